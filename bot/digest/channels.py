"""Apprise channels: naming a BOT_NOTIFY URL without its secrets, and one delivery through it.

A channel's name is Apprise's own privacy form of the URL (passwords and tokens masked as
``****`` or ``a...z``) without its query string, with any credential-like piece that Apprise
left in clear (a token in a webhook path) masked too. The name is the ``digest_run.channel`` key,
the text of logs and of results: the URL itself never leaves this module but to Apprise.

Apprise answers a send with True or False only; the HTTP status of a failure is in its log
lines (``…error=404.``), and the socket's exception in its debug lines, which ``send`` captures
for its own thread (nothing below the logger's own level reaches any other handler) to tell a
permanent failure (the receiver is gone or refuses us: 401, 403, 404, 410) and an unknown one
(the request went out, no answer came within the timeout: the receiver may have it) from one
worth retrying at once.

Apprise waits 4 s for an answer by default; ``send`` gives each receiver ``timeout`` instead
(``[bot] notify_timeout``, 30 s by default), unless the URL sets its own ``rto=``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import apprise
from apprise import OverflowMode
from apprise.attachment.memory import AttachMemory
from apprise.plugins.email import NotifyEmail

from bot.config import Secret, notify_secret_parts

# Statuses that will not change by retrying the same URL: the webhook was deleted, the token
# revoked or refused. Anything else (5xx, 429, timeouts, refused connections) is retried.
PERMANENT_STATUSES = frozenset({401, 403, 404, 410})
# Services whose messages render Markdown (Apprise's schemes); email gets HTML, others text.
MARKDOWN_SCHEMES = frozenset(
    {"slack", "discord", "tgram", "mmost", "mmosts", "rocket", "rockets", "matrix", "matrixs"}
)
_STATUS = re.compile(r"error=(\d{3})\b")
# requests' words for an answer that did not come in time after the request was sent (a
# connect timeout, "Connection to … timed out", means nothing was sent: a plain failure).
_READ_TIMEOUT = re.compile(r"Read timed out|ReadTimeout")
_MAX_NAME = 255
_APPRISE_LOG = logging.getLogger("apprise")


@dataclass(frozen=True)
class Channel:
    """One delivery target: an Apprise URL (secret) under a name safe to show and store."""

    name: str
    url: Secret | None = None
    # Why Apprise cannot use the URL: such a channel is disabled, never sent to.
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How one send went: delivered, or why not and whether retrying may help."""

    ok: bool
    permanent: bool = False
    error: str | None = None
    # Sent, but no answer came in time: the receiver may have it (not retried at once).
    unknown: bool = False


@dataclass(frozen=True)
class Body:
    """The message as a channel receives it."""

    title: str
    text: str
    markdown: str
    html: str
    images: Mapping[str, bytes]


def parse_channels(urls: Sequence[Secret]) -> list[Channel]:
    """One channel per distinct URL, in BOT_NOTIFY order; unusable URLs carry their problem."""
    channels: list[Channel] = []
    seen: set[str] = set()
    names: set[str] = set()
    for position, secret in enumerate(urls, start=1):
        url = secret.reveal()
        if url in seen:
            continue
        seen.add(url)
        plugin = _instantiate(url)
        if plugin is None:
            name = f"BOT_NOTIFY#{position} ({_scheme(url)}://)"
            problem = f"BOT_NOTIFY entry {position}: Apprise cannot use this {_scheme(url)}:// URL"
            channels.append(Channel(name=name, url=secret, problem=problem))
            continue
        name = channel_name(url, str(plugin.url(privacy=True)))
        if name in names:
            # Two URLs that differ only in their masked parts: keep both, apart.
            name = f"{name} (#{position})"
        names.add(name)
        channels.append(Channel(name=name, url=secret))
    return channels


def notify_problems(urls: Sequence[Secret]) -> list[str]:
    """One line per BOT_NOTIFY entry Apprise cannot use, naming its position, never the URL."""
    return [c.problem for c in parse_channels(urls) if c.problem is not None]


def channel_name(url: str, privacy_url: str) -> str:
    """Apprise's masked URL without its query, every credential-like piece masked, ≤255 chars."""
    name = privacy_url.split("?", 1)[0].rstrip("/")
    for part in sorted(notify_secret_parts(url)[1:], key=len, reverse=True):
        if len(part) >= 4:
            name = name.replace(part, f"{part[0]}...{part[-1]}")
    return name[:_MAX_NAME]


def body_format(url: str, plugin: Any = None) -> str:
    """The body Apprise gets for this URL: ``html`` for email, ``markdown`` for chat, else text."""
    plugin = plugin if plugin is not None else _instantiate(url)
    if isinstance(plugin, NotifyEmail):
        return "html"
    return "markdown" if _scheme(url) in MARKDOWN_SCHEMES else "text"


def send(url: str, body: Body, *, timeout: float | None = None) -> Outcome:
    """Deliver ``body`` through one Apprise URL (blocking); never raises for a refused send.

    ``timeout``: seconds the receiver may take to answer (None: Apprise's or the URL's own).
    """
    plugin = _instantiate(url)
    if plugin is None:
        return Outcome(ok=False, permanent=True, error="Apprise cannot use this URL")
    if timeout is not None and not re.search(r"[?&]rto=", url):
        plugin.socket_read_timeout = timeout
    fmt = body_format(url, plugin)
    text = {"html": body.html, "markdown": body.markdown}.get(fmt, body.text)
    attach = None
    if fmt == "html" and body.images:
        # The HTML references each chart as cid:NAME; Apprise embeds a same-named attachment.
        plugin.inline = True
        attach = apprise.AppriseAttachment()
        for name, data in body.images.items():
            image = AttachMemory(content=data, name=name, mimetype="image/png")  # type: ignore[no-untyped-call]
            attach.add(image)
    with _CapturedLog() as captured:
        try:
            ok = bool(
                plugin.notify(
                    body=text,
                    title=body.title,
                    body_format=fmt,
                    attach=attach,
                    overflow=_overflow(url),
                )
            )
        except Exception as exc:  # a plugin bug must not stop the other channels
            return Outcome(ok=False, error=f"{type(exc).__name__} in Apprise")
    if ok:
        return Outcome(ok=True)
    if any(_READ_TIMEOUT.search(line) for line in captured.debug):
        waited = f"{plugin.socket_read_timeout:g} s"
        return Outcome(
            ok=False,
            unknown=True,
            error=f"sent, but no answer within {waited}: the receiver may have it",
        )
    statuses = [int(s) for line in captured.lines for s in _STATUS.findall(line)]
    status = statuses[-1] if statuses else None
    summary = captured.lines[-1] if captured.lines else "Apprise reported a failure"
    return Outcome(
        ok=False,
        permanent=status in PERMANENT_STATUSES,
        error=f"HTTP {status}: {summary}" if status else summary,
    )


def _overflow(url: str) -> OverflowMode | None:
    """Split a digest longer than the service takes (Discord: 2,000 characters) unless the URL
    sets ``overflow=`` itself (None: the plugin's parsed mode); Apprise's default sends it whole."""
    return None if re.search(r"[?&]overflow=", url) else OverflowMode.SPLIT


def _instantiate(url: str) -> Any:
    """Apprise's plugin for ``url``, or None when it cannot use it (Apprise logs why, masked)."""
    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def _scheme(url: str) -> str:
    """The URL's scheme in lower case, when it looks like one (a secret pasted alone does not)."""
    scheme = url.split("://", 1)[0].lower()
    return scheme if re.fullmatch(r"[a-z][a-z0-9+.-]{0,15}", scheme) else "?"


class _CapturedLog(logging.Filter):
    """Collects Apprise's records of the current thread (other threads may be sending too).

    A filter on Apprise's logger, which is opened to DEBUG while any capture runs: the filter
    keeps this thread's lines (warnings in ``lines``, all in ``debug``) and lets through to
    the handlers only what the logger's own level would have let through.
    """

    _lock = threading.Lock()
    _active = 0
    _level = logging.NOTSET  # Apprise's logger's own level, restored by the last capture
    _floor = logging.WARNING  # the records handlers would have seen

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.lines: list[str] = []
        self.debug: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread == self.thread:
            message = record.getMessage()
            self.debug.append(message)
            if record.levelno >= logging.WARNING:
                self.lines.append(message)
        return record.levelno >= _CapturedLog._floor

    def __enter__(self) -> _CapturedLog:
        with _CapturedLog._lock:
            if _CapturedLog._active == 0:
                _CapturedLog._level = _APPRISE_LOG.level
                _CapturedLog._floor = _APPRISE_LOG.getEffectiveLevel()
                _APPRISE_LOG.setLevel(logging.DEBUG)
            _CapturedLog._active += 1
            _APPRISE_LOG.addFilter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _CapturedLog._lock:
            _APPRISE_LOG.removeFilter(self)
            _CapturedLog._active -= 1
            if _CapturedLog._active == 0:
                _APPRISE_LOG.setLevel(_CapturedLog._level)
