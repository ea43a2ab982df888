"""Logging for every command: one line per event, every line redacted and shown literally.

The daemon and the API log as text or JSON (``configure``); the other commands print their
warnings as ``warning: ...`` on stderr for as long as they run (``command_logging``).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from bot.http.redact import RedactingFilter, Redactor, quiet_http_logs
from bot.output.text import literal

LOG_FORMATS = ("text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_COMMAND = "%(levelname)s: %(message)s"


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


class LiteralFilter(logging.Filter):
    """Shows a record's message literally: a platform's escape sequence never reaches a terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = literal(record.getMessage()), ()
        if record.exc_text:
            # A traceback keeps its lines; what an exception quoted is shown like the message.
            record.exc_text = "\n".join(map(literal, record.exc_text.split("\n")))
        return True


class _CommandHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the line (tests capture it)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redacting = RedactingFilter(redactor)
        _guard(self, self.redacting)
        self.setFormatter(_LowerLevel(_COMMAND))
        self.setLevel(logging.WARNING)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current stderr."""


class _LowerLevel(logging.Formatter):
    """``warning: ...``, in the same voice as the commands' ``error: ...`` lines."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return line.replace(record.levelname, record.levelname.lower(), 1)


def _guard(handler: logging.Handler, redacting: RedactingFilter) -> None:
    """Redact first, then make what is left literal."""
    handler.addFilter(redacting)
    handler.addFilter(LiteralFilter())


def configure(
    fmt: str, redactor: Redactor, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Replace the root handlers with one stderr handler in ``fmt``, behind the redactor."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    _guard(handler, RedactingFilter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx and httpcore would log every URL; URLs may carry tokens.
    quiet_http_logs()
    # APScheduler logs two lines per tick at INFO: noise next to our one line per cycle.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@contextmanager
def command_logging() -> Iterator[None]:
    """While a command runs, its warnings go to stderr redacted (secret-shaped parts at first)."""
    handler = _CommandHandler(Redactor())
    root = logging.getLogger()
    root.addHandler(handler)
    quiet_http_logs()
    try:
        yield
    finally:
        root.removeHandler(handler)


def redact_secrets(redactor: Redactor) -> None:
    """Once the settings are read, the command's log lines mask their secret values too."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _CommandHandler):
            handler.redacting.redactor = redactor
