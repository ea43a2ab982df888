"""Meta Graph API error bodies, shared by the Facebook and Instagram adapters.

Graph errors arrive as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``,
usually with HTTP 400 whatever the cause, so the ``code`` decides what went wrong, not the status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from bot.errors import AuthError, GoneError, PlatformError, RateLimitedError, TransientError
from bot.http.headers import retry_after_seconds

GRAPH_VERSION = "v21.0"
GRAPH_ORIGIN = "https://graph.facebook.com"
# Platform rate limit: 200 calls per hour per app user; one configured token is one user.
GRAPH_HOURLY_CALLS = 200

_AUTH_CODES = frozenset({102, 104, 190, 10, 3})
_THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80010)})
_TRANSIENT_CODES = frozenset({1, 2})
# Instagram business_discovery: personal or unknown username (code 110 / subcode 2207013).
_UNKNOWN_USER_SUBCODES = frozenset({2207013, 2207006})
_ALIASES = re.compile(r"aliases you requested do not exist:\s*(.+?)\s*$", re.IGNORECASE)
_OBJECT_ID = re.compile(r"Object with ID '([^']+)' does not exist", re.IGNORECASE)
_UNKNOWN_USER = re.compile(r"invalid user id|cannot be found|cannot find user", re.IGNORECASE)
_PERMISSION = re.compile(r"permission|access token|app token|feature|secret proof", re.IGNORECASE)


def graph_error(platform: str, response: httpx.Response, body: Any) -> PlatformError | None:
    """Map a Graph error answer (any status) to the error tree; None when it is not one.

    An object Graph says does not exist is a ``GoneError`` whose ``names`` are the ids or
    aliases it named (none when the message names none).
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return error_from(platform, error, response.status_code, response.headers)


def error_from(
    platform: str, error: Mapping[str, Any], status: int, headers: Mapping[str, str]
) -> PlatformError:
    """Classify one Graph ``error`` object by its code (and subcode for code 100/110)."""
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("message") or error.get("type") or "Graph API error")[:300]
    text = f"Graph error {code}: {message}"
    if code in _THROTTLE_CODES:
        return RateLimitedError(
            platform, text, http_status=status, retry_after=_regain_seconds(headers)
        )
    if code in _AUTH_CODES or (isinstance(code, int) and 200 <= code <= 299):
        # 10 and 200-299 refuse a permission the token lacks; the others refuse the token.
        permission = code == 10 or (isinstance(code, int) and 200 <= code <= 299)
        return AuthError(platform, text, http_status=status, missing_permission=permission)
    if code in _TRANSIENT_CODES or error.get("is_transient") is True:
        return TransientError(platform, text, http_status=status)
    if code in (100, 110, 803):
        return _not_found_or_refused(platform, code, subcode, message, text, status)
    return PlatformError(platform, text, http_status=status)


def _not_found_or_refused(
    platform: str, code: int, subcode: object, message: str, text: str, status: int
) -> PlatformError:
    """Code 100 means both "no such object" and "not allowed to see it": the words decide."""
    aliases = _ALIASES.search(message)
    if aliases:
        names = tuple(n.strip() for n in aliases.group(1).rstrip(".").split(",") if n.strip())
        return GoneError(platform, text, names=names, http_status=status)
    object_id = _OBJECT_ID.search(message)
    if object_id:
        return GoneError(platform, text, names=(object_id.group(1),), http_status=status)
    if code == 110 or subcode in _UNKNOWN_USER_SUBCODES or _UNKNOWN_USER.search(message):
        return GoneError(platform, text, http_status=status)
    if _PERMISSION.search(message):
        return AuthError(platform, text, http_status=status, missing_permission=True)
    return PlatformError(platform, text, http_status=status)


def _regain_seconds(headers: Mapping[str, str]) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) of X-Business-Use-Case-Usage, else headers."""
    raw = {k.lower(): v for k, v in headers.items()}.get("x-business-use-case-usage")
    minutes: list[float] = []
    try:
        usage = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        usage = {}
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else []:
                value = (
                    entry.get("estimated_time_to_regain_access")
                    if isinstance(entry, dict)
                    else None
                )
                if isinstance(value, int | float) and not isinstance(value, bool):
                    minutes.append(float(value))
    if minutes and max(minutes) > 0:
        return max(minutes) * 60
    return retry_after_seconds(headers)
