"""Keeping secrets out of log lines and stored messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

MASK = "[REDACTED]"
_FORMATTER = logging.Formatter()
# A query parameter whose name holds one of these carries a credential (api_key, access_token,
# client_secret, password, sig, X-Amz-Signature, auth, session_id…): its value is never shown.
_CREDENTIAL = r"key|token|secret|passw|pwd|sig|auth|credential|session"
_CREDENTIAL_NAME = re.compile(_CREDENTIAL, re.IGNORECASE)
# Secrets that may travel in URLs or headers even when we do not know their value.
_PATTERNS = (
    re.compile(rf"([\w.-]*(?:{_CREDENTIAL})[\w.-]*)=[^&\s\"'#]+", re.IGNORECASE),
    re.compile(r"/bot\d+:[A-Za-z0-9_-]+"),
    re.compile(r"(Bearer|Basic|bearer)\s+[A-Za-z0-9._~+/=-]+"),
)


def redact_url(url: str) -> str:
    """``url`` with the value of every credential-looking query parameter masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pieces = []
    for piece in parts.query.split("&"):
        name, equals, value = piece.partition("=")
        masked = equals and value and _CREDENTIAL_NAME.search(name)
        pieces.append(f"{name}={MASK}" if masked else piece)
    return parts._replace(query="&".join(pieces)).geturl()


def credential_values(url: str) -> list[str]:
    """The values of ``url``'s credential-looking query parameters, for the redactor."""
    query = urlsplit(url).query
    return [
        v for k, v in parse_qsl(query, keep_blank_values=True) if v and _CREDENTIAL_NAME.search(k)
    ]


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


def quiet_http_logs() -> None:
    """httpx and httpcore log every URL at INFO/DEBUG; URLs may carry tokens."""
    # Apprise sends through urllib3 (requests), whose debug lines show webhook paths.
    # Here, not in bot.http.client: every command sets it, and only some need httpx.
    for name in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
