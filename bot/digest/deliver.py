"""Delivering a day's digest to every channel, once per (date, channel).

Channels: ``files`` (always: ``<files_dir>/<date>.md``, ``.html``, ``.json`` and one PNG per
chart, each written to a temporary file and renamed over the old one, so a reader never sees half
a file) and one channel per distinct Apprise URL in ``BOT_NOTIFY``, named by its masked form
(see channels.py). Email gets the HTML with the charts inline, chat services (Slack, Discord,
Telegram, Mattermost, Rocket.Chat, Matrix) Markdown, every other service plain text.

Semantics, per (date, channel), through the ``digest_run`` row (bot/store/digests.py):

- **once**: a channel is sent only by the worker that claims its row; a second call, a restarted
  daemon or another worker sees ``sent`` and sends nothing (result ``skipped``), or sees a live
  claim and leaves it (result ``busy``). A claim older than ``LEASE`` (its worker died) is taken
  over.
- **failed**: a failure (5xx, timeout, refused connection, a disk error for ``files``) is stored
  (``attempts`` + 1, ``last_error``) and retried by the next call; it never stops other channels.
- **unknown**: the request went out but no answer came within ``[bot] notify_timeout`` (30 s by
  default): the receiver may have it, so it is not retried at once but only once
  ``UNKNOWN_WAIT`` has passed (a slow receiver that did get it meanwhile gets no duplicate).
- **disabled**: a permanent failure (HTTP 401, 403, 404 or 410, or a URL Apprise cannot use) is
  logged as a warning and not retried for that date.
- **force**: re-sends a date already ``sent`` or ``disabled`` (never one being sent right now).

A weekly or monthly digest (``period``) is a delivery of its own: its row's channel is
``weekly:<name>`` or ``monthly:<name>`` under the period's last day (bot/digest/periods.py), and
that key is what results and log lines name; ``files`` writes ``<date>-weekly.md`` and so on.

URLs never reach a log line, a row or a result: only channel names and redacted errors do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.digest import channels as apprise_channels
from bot.digest import periods
from bot.digest.channels import Body, Channel, Outcome
from bot.digest.model import DigestMessage
from bot.errors import InputError
from bot.http.redact import Redactor
from bot.kinds import DeliveryStatus
from bot.output.files import write_atomic
from bot.store import digests

log = logging.getLogger(__name__)

FILES = "files"
# Longer than any send takes (Apprise's own timeouts are well under a minute per service).
LEASE = timedelta(minutes=15)
# How long a delivery whose answer never came waits before it is tried again.
UNKNOWN_WAIT = timedelta(hours=1)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class DeliveryResult:
    """What one channel did for this call: sent, failed, disabled, skipped or busy."""

    channel: str
    status: DeliveryStatus | Literal["skipped", "busy"]
    attempts: int
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object (``channel, status, attempts, error``)."""
        return {
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
        }


def configured_channels(settings: Settings) -> list[Channel]:
    """``files`` first, then every BOT_NOTIFY URL in order."""
    return [Channel(name=FILES), *apprise_channels.parse_channels(settings.notify)]


def send_digest(
    engine: Engine,
    settings: Settings,
    *,
    day: date,
    message: DigestMessage,
    channels: Sequence[str] | None = None,
    force: bool = False,
    clock: Clock,
    files_dir: Path = Path("data/digests"),
    period: str = "day",
) -> list[DeliveryResult]:
    """Deliver ``day``'s digest (of ``period``) to every channel, or the named ones, needing it."""
    redact = Redactor(settings.secret_values())
    targets = _select(configured_channels(settings), channels)
    return [
        _deliver(
            engine,
            channel,
            day=day,
            message=message,
            force=force,
            clock=clock,
            files_dir=files_dir,
            redact=redact,
            period=period,
            timeout=settings.notify_timeout.total_seconds(),
        )
        for channel in targets
    ]


def deliver_digest(
    engine: Engine,
    settings: Settings,
    day: date,
    *,
    period: str = "day",
    clock: Clock,
    channels: Sequence[str] | None = None,
    force: bool = False,
    files_dir: Path = Path("data/digests"),
) -> list[DeliveryResult]:
    """Build the digest of ``day`` (or of its week or month), then ``send_digest`` it.

    The one send path of ``bot digest --send`` and of the daemon (bot/digest/daily.py).
    """
    # Imported here: compose pulls in the renderers and matplotlib, which a poll-only
    # daemon never needs before its first digest.
    from bot.digest.build import build_digest
    from bot.digest.render import compose

    message = compose(build_digest(engine, settings, day, now=clock(), period=period))
    return send_digest(
        engine,
        settings,
        day=day,
        message=message,
        channels=channels,
        force=force,
        clock=clock,
        files_dir=files_dir,
        period=period,
    )


def write_files(
    files_dir: Path, day: date, message: DigestMessage, *, period: str = "day"
) -> list[Path]:
    """Write the digest's files for ``day`` atomically; the HTML points at the PNGs beside it."""
    files_dir.mkdir(parents=True, exist_ok=True)
    stem = periods.file_stem(period, day)
    html = message.html
    written: list[Path] = []
    for cid, data in message.images.items():
        name = f"{stem}-{_SAFE_NAME.sub('-', cid).strip('.-') or 'chart'}"
        name = name if name.endswith(".png") else f"{name}.png"
        html = html.replace(f"cid:{cid}", name)
        written.append(write_atomic(files_dir / name, data))
    for suffix, text in ((".md", message.markdown), (".json", message.json), (".html", html)):
        written.append(write_atomic(files_dir / f"{stem}{suffix}", text.encode("utf-8")))
    return written


def _select(available: list[Channel], names: Sequence[str] | None) -> list[Channel]:
    """The named channels (all when ``names`` is None); an unknown name is the user's mistake."""
    if names is None:
        return available
    by_name = {c.name: c for c in available}
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name)
            raise InputError(f"unknown digest channel {name!r} (configured: {known})")
    return [c for c in available if c.name in set(names)]


def _deliver(
    engine: Engine,
    channel: Channel,
    *,
    day: date,
    message: DigestMessage,
    force: bool,
    clock: Clock,
    files_dir: Path,
    redact: Redactor,
    period: str,
    timeout: float,
) -> DeliveryResult:
    """Claim, send and record one channel."""
    # The digest_run key: the plain name for a daily digest, "weekly:files" and so on.
    name = periods.run_channel(period, channel.name)
    held = digests.claim(
        engine,
        day=day,
        channel=name,
        now=clock(),
        lease=LEASE,
        force=force,
        unknown_wait=UNKNOWN_WAIT,
    )
    if held is None:
        return _unclaimed(engine, day, name)
    outcome = _attempt(channel, day, message, files_dir, period, timeout)
    error = redact(outcome.error) if outcome.error else None
    status = _status(outcome)
    if not digests.finish(engine, held, status=status, now=clock(), error=error):
        log.warning("digest %s to %s: our claim expired before we could record it", day, name)
    _log(day, name, status, held.attempts, error)
    return DeliveryResult(name, status, held.attempts, error)


def _log(day: date, name: str, status: DeliveryStatus, attempts: int, error: str | None) -> None:
    """One log line for a channel's outcome: sent, failed, unknown or disabled."""
    if status == DeliveryStatus.SENT:
        log.info("digest %s sent to %s", day, name)
    elif status == DeliveryStatus.FAILED:
        log.warning(
            "digest %s to %s failed (attempt %d, retried on the next send): %s",
            day,
            name,
            attempts,
            error,
        )
    elif status == DeliveryStatus.UNKNOWN:
        log.warning(
            "digest %s to %s: %s (not retried before %s; raise [bot] notify_timeout for a"
            " slow receiver)",
            day,
            name,
            error,
            UNKNOWN_WAIT,
        )
    else:
        log.warning(
            "digest %s to %s disabled for that date: %s (fix BOT_NOTIFY, then send with --force)",
            day,
            name,
            error,
        )


def _status(outcome: Outcome) -> DeliveryStatus:
    """The row status an outcome records."""
    if outcome.ok:
        return DeliveryStatus.SENT
    if outcome.permanent:
        return DeliveryStatus.DISABLED
    return DeliveryStatus.UNKNOWN if outcome.unknown else DeliveryStatus.FAILED


def _attempt(
    channel: Channel,
    day: date,
    message: DigestMessage,
    files_dir: Path,
    period: str,
    timeout: float,
) -> Outcome:
    """One try at one channel; never raises for the channel's own failure."""
    if channel.problem is not None:
        return Outcome(ok=False, permanent=True, error=channel.problem)
    if channel.url is None:
        try:
            write_files(files_dir, day, message, period=period)
        except OSError as exc:
            return Outcome(ok=False, error=f"cannot write {files_dir}: {exc.strerror or exc}")
        return Outcome(ok=True)
    body = Body(
        title=message.title,
        text=message.text,
        markdown=message.markdown,
        html=message.html,
        images=message.images,
    )
    return apprise_channels.send(channel.url.reveal(), body, timeout=timeout)


def _unclaimed(engine: Engine, day: date, name: str) -> DeliveryResult:
    """Why a channel was not ours to send: already sent, disabled, or another worker's."""
    run = digests.get_run(engine, day=day, channel=name)
    if run is None or run.status in (DeliveryStatus.SENDING, DeliveryStatus.FAILED):
        # failed: another worker took and failed it between our two statements.
        return DeliveryResult(name, "busy", run.attempts if run else 0, None)
    status: DeliveryStatus | Literal["skipped"] = (
        "skipped" if run.status == DeliveryStatus.SENT else DeliveryStatus(run.status)
    )
    return DeliveryResult(name, status, run.attempts, run.last_error)
