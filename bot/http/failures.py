"""Naming a failed connection truthfully: refused, unresolved, a certificate, a reset, a timeout.

httpx-aiohttp maps every connector failure to ``ConnectTimeout`` or ``ConnectError``; the cause
is further down the chain (``__cause__``, aiohttp's ``os_error``). The words are fixed: never
the exception's own text, which may quote the URL and its token.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Failure:
    """What went wrong, in a few words, and whether trying again may help."""

    words: str
    retry: bool
    timeout: bool = False


def describe(exc: BaseException, host: str) -> Failure:
    """The failure a transport exception stands for (``host``: the name the URL asked for)."""
    chain = list(_chain(exc))
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            # aiohttp's subclass keeps the reason on the error it wraps.
            inner = getattr(cause, "certificate_error", cause)
            reason = getattr(inner, "verify_message", None) or "not trusted"
            # A bad certificate stays bad: retrying it as a timeout only hides it.
            return Failure(f"TLS certificate of {host} refused: {reason}", retry=False)
        if isinstance(cause, ssl.SSLError):
            return Failure(f"TLS handshake with {host} failed", retry=False)
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "ClientConnectorDNSError":
            return Failure(f"the name {host} did not resolve (DNS)", retry=True)
        if isinstance(cause, ConnectionRefusedError):
            return Failure(f"connection refused by {host}", retry=True)
        if isinstance(cause, ConnectionResetError):
            return Failure(f"connection reset by {host}", retry=True)
    for cause in chain:
        if isinstance(cause, httpx.TimeoutException | TimeoutError):
            return Failure(f"timed out ({type(cause).__name__})", retry=True, timeout=True)
    return Failure(f"connection failed ({type(exc).__name__})", retry=True)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: causes, contexts and aiohttp's ``os_error``, a few deep."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 12:
        current = pending.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        inner = getattr(current, "os_error", None)
        for nxt in (inner, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                pending.append(nxt)
    return seen
