"""Keeping secrets out of log lines and stored messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "[REDACTED]"
_FORMATTER = logging.Formatter()
# Secrets that may travel in URLs or headers even when we do not know their value.
_PATTERNS = (
    re.compile(r"(access_token|key|client_secret|token)=[^&\s\"']+", re.IGNORECASE),
    re.compile(r"/bot\d+:[A-Za-z0-9_-]+"),
    re.compile(r"(Bearer|Basic|bearer)\s+[A-Za-z0-9._~+/=-]+"),
)


class Redactor:
    """Replaces known secret values and secret-shaped URL parts with a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}={MASK}", text)
        text = _PATTERNS[1].sub(f"/bot{MASK}", text)
        return _PATTERNS[2].sub(lambda m: f"{m.group(1)} {MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's final message."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redactor(record.getMessage()), ()
        if record.exc_info:
            # Formatters reuse exc_text when it is set: a traceback is printed redacted.
            record.exc_text = self.redactor(_FORMATTER.formatException(record.exc_info))
        return True
