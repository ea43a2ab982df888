"""Logging for the daemon: one line per event, as text or JSON, every line redacted."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from bot.http.client import quiet_http_logs
from bot.http.redact import RedactingFilter, Redactor

LOG_FORMATS = ("text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message"}`` per line (plus ``exc`` for an exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(
    fmt: str, redactor: Redactor, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Replace the root handlers with one stderr handler in ``fmt``, behind the redactor."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx and httpcore would log every URL; URLs may carry tokens.
    quiet_http_logs()
    # APScheduler logs two lines per tick at INFO: noise next to our one line per cycle.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
