"""A receiver that answers after the channel timeout: "unknown", not "failed", and no duplicate
within the retry window (a real loopback webhook, Apprise's json:// plugin)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import Secret, Settings, load_settings
from bot.digest.deliver import UNKNOWN_WAIT, send_digest
from bot.errors import ConfigError
from bot.store import digests
from tests.digest.test_deliver import MESSAGE

DAY = date(2025, 3, 1)
TIMEOUT = timedelta(seconds=1)


@dataclass
class SlowHook:
    """A webhook that reads each request whole, then waits ``delay`` seconds before answering."""

    port: int = 0
    delay: float = 0.0
    received: list[bytes] = field(default_factory=list)
    answered: threading.Event = field(default_factory=threading.Event)

    def url(self, query: str = "") -> str:
        return f"json://127.0.0.1:{self.port}/digest{query}"


@pytest.fixture
def slow_hook() -> Iterator[SlowHook]:
    hook = SlowHook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook.received.append(self.rfile.read(int(self.headers["Content-Length"])))
            # The receiver has the digest now; its answer is what is late.
            threading.Event().wait(hook.delay)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting
            hook.answered.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


def settings(url: str, timeout: timedelta = TIMEOUT) -> Settings:
    return Settings(notify=(Secret(url),), notify_timeout=timeout)


def test_an_answer_after_the_timeout_is_unknown_and_not_resent_at_once(
    engine: Engine, slow_hook: SlowHook, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow_hook.delay = 3 * TIMEOUT.total_seconds()
    clock = ManualClock(datetime(2025, 3, 2, 7, 0, tzinfo=UTC))
    chosen = settings(slow_hook.url())

    def send() -> Any:
        return send_digest(
            engine, chosen, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
        )[1]

    with caplog.at_level(logging.WARNING):
        first = send()
    assert (first.status, first.attempts) == ("unknown", 1)
    assert first.error == "sent, but no answer within 1 s: the receiver may have it"
    assert len(slow_hook.received) == 1
    row = digests.get_run(engine, day=DAY, channel=first.channel)
    assert row is not None and (row.status, row.attempts) == ("unknown", 1)
    assert "not retried before 1:00:00" in caplog.text
    # Apprise's debug lines about the socket were read, never shown to the bot's handlers.
    assert "Socket Exception" not in caplog.text
    slow_hook.answered.wait(10)

    # The next sends within the retry window send nothing: no duplicate for the receiver.
    clock.advance(UNKNOWN_WAIT - timedelta(minutes=1))
    again = send()
    assert (again.status, again.attempts) == ("unknown", 1)
    assert len(slow_hook.received) == 1

    # After the window, a receiver that answers in time gets it once more and it is sent.
    slow_hook.delay = 0
    clock.advance(timedelta(minutes=2))
    last = send()
    assert (last.status, last.attempts) == ("sent", 2)
    assert len(slow_hook.received) == 2


def test_a_longer_notify_timeout_waits_for_a_slow_receiver(
    engine: Engine, slow_hook: SlowHook, tmp_path: Path
) -> None:
    # Apprise alone gives up after 4 s; the bot's default waits 30 s.
    slow_hook.delay = 1.5
    clock = ManualClock(datetime(2025, 3, 2, 7, 0, tzinfo=UTC))
    result = send_digest(
        engine,
        settings(slow_hook.url(), timeout=timedelta(seconds=5)),
        day=DAY,
        message=MESSAGE,
        clock=clock,
        files_dir=tmp_path,
    )[1]
    assert result.status == "sent"
    assert len(slow_hook.received) == 1


def test_a_url_with_its_own_read_timeout_keeps_it(
    engine: Engine, slow_hook: SlowHook, tmp_path: Path
) -> None:
    slow_hook.delay = 2.5
    clock = ManualClock(datetime(2025, 3, 2, 7, 0, tzinfo=UTC))
    result = send_digest(
        engine,
        settings(slow_hook.url("?rto=1"), timeout=timedelta(seconds=30)),
        day=DAY,
        message=MESSAGE,
        clock=clock,
        files_dir=tmp_path,
    )[1]
    assert result.status == "unknown"
    slow_hook.answered.wait(10)


def test_a_refused_connection_is_a_plain_failure(engine: Engine, tmp_path: Path) -> None:
    # Nothing listens: nothing was sent, so retrying at once cannot duplicate anything.
    clock = ManualClock(datetime(2025, 3, 2, 7, 0, tzinfo=UTC))
    result = send_digest(
        engine,
        settings("json://127.0.0.1:9/digest"),
        day=DAY,
        message=MESSAGE,
        clock=clock,
        files_dir=tmp_path,
    )[1]
    assert result.status == "failed"


def test_notify_timeout_is_bounded(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text("[bot]\n")
    assert load_settings(config, environ={}).notify_timeout == timedelta(seconds=30)
    config.write_text('[bot]\nnotify_timeout = "2m"\n')
    assert load_settings(config, environ={}).notify_timeout == timedelta(minutes=2)
    config.write_text('[bot]\nnotify_timeout = "11m"\n')
    with pytest.raises(ConfigError, match=r"bot\.notify_timeout: expected a duration of at most"):
        load_settings(config, environ={})
