"""The dashboard's login: a signed, expiring session cookie given for the right BOT_API_TOKEN.

The cookie holds a random id signed with a key derived from the token (itsdangerous adds the
time it was signed), so it proves a login without storing anything: changing BOT_API_TOKEN ends
every session, and a cookie older than ``MAX_AGE`` is refused. The token itself never leaves
the login form's POST body: it is in no cookie, URL or page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, TimestampSigner

from bot.clock import Clock, system_clock
from bot.config import Settings

COOKIE = "bot_session"
MAX_AGE = timedelta(hours=12)
_SALT = "bot dashboard session"


class _Signer(TimestampSigner):
    """itsdangerous's timestamped signer on the injected clock (time is never read directly)."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        super().__init__(key, salt=_SALT)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


class Sessions:
    """Checks a token typed into the login form, and issues and checks session cookies."""

    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        token = settings.api_token.reveal().encode("utf-8") if settings.api_token else None
        self._token = token
        # A key of its own: a leaked cookie tells nothing about the token it was derived from.
        key = hmac.new(token, _SALT.encode(), hashlib.sha256).digest() if token else b""
        self._signer = _Signer(key, clock) if token else None

    @property
    def required(self) -> bool:
        """Whether a login is needed at all (False without BOT_API_TOKEN, on loopback)."""
        return self._token is not None

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is BOT_API_TOKEN (compared in constant time)."""
        if self._token is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._token)

    def valid(self, request: Request) -> bool:
        """Whether ``request`` carries a session cookie this server signed, not yet expired."""
        value = request.cookies.get(COOKIE)
        if self._signer is None or not value:
            return False
        try:
            self._signer.unsign(value, max_age=int(MAX_AGE.total_seconds()))
        except BadSignature:  # SignatureExpired is one too
            return False
        return True

    def start(self, response: Response, *, secure: bool) -> None:
        """Give ``response`` a fresh session cookie (HttpOnly, SameSite=Strict, expiring)."""
        if self._signer is None:
            return
        value = self._signer.sign(secrets.token_urlsafe(16)).decode("ascii")
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(MAX_AGE.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )

    @staticmethod
    def end(response: Response) -> None:
        """Tell the browser to forget the session cookie."""
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
