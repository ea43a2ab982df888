"""Digest delivery against real receivers on loopback: a webhook (json://) and SMTP (mailto://)."""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import Engine, select

from bot.clock import ManualClock
from bot.config import Secret, Settings, load_settings
from bot.digest.channels import body_format, channel_name, notify_problems
from bot.digest.deliver import (
    FILES,
    LEASE,
    DeliveryResult,
    DigestMessage,
    send_digest,
    write_files,
)
from bot.errors import ConfigError, InputError
from bot.http.redact import RedactingFilter, Redactor
from bot.store import digests
from bot.store.db import make_engine
from bot.store.models import DigestRun
from tests.helpers import webhook as helper

DAY = date(2025, 3, 1)
SMTP_USER = "digest"
SMTP_PASSWORD = "Smtp-S3cret-pw"
HOOK_USER = "hook"
HOOK_PASSWORD = "W3bh00k-Basic-Pass"
PATH_TOKEN = "AbCdEf123456GhIjKl7890"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MESSAGE = DigestMessage(
    title="Digest 2025-03-01",
    text="Followers 1,234 (+1.2%)",
    markdown="**Followers** 1,234 (+1.2%)",
    html='<html><body><p>Followers 1,234</p><img src="cid:chart-1"></body></html>',
    json='{"date": "2025-03-01"}',
    images={"chart-1": PNG},
)


class Webhook(helper.Webhook):
    """The shared loopback receiver, with URLs that may carry basic-auth credentials."""

    def url(self, path: str, *, auth: bool = False) -> str:
        """The json:// Apprise URL of ``path`` on this receiver."""
        userinfo = f"{HOOK_USER}:{HOOK_PASSWORD}@" if auth else ""
        return f"json://{userinfo}127.0.0.1:{self.port}{path}"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A threaded HTTP server on 127.0.0.1 recording every JSON POST."""
    with helper.running_webhook(Webhook()) as hook:
        assert isinstance(hook, Webhook)
        yield hook


@dataclass
class Mailbox:
    """A loopback SMTP server's received messages."""

    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def url(self) -> str:
        """The mailto:// Apprise URL for plain SMTP on this port, with login."""
        return (
            f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.port}"
            "?smtp=127.0.0.1&from=bot@example.org&to=team@example.org"
        )


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 with LOGIN/PLAIN auth allowed without TLS (loopback only)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port=port)

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            box.messages.append(email.message_from_bytes(raw))
            return "250 OK"

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        box.logins.append((login, password))
        return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD))

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield box
    controller.stop()


def _settings(*urls: str) -> Settings:
    return Settings(notify=tuple(Secret(u) for u in urls))


def _clock() -> ManualClock:
    return ManualClock(datetime(2025, 3, 2, 7, 0, tzinfo=UTC))


def _by_channel(results: list[DeliveryResult]) -> dict[str, str]:
    return {r.channel: r.status for r in results}


def _rows(engine: Engine) -> list[DigestRun]:
    return digests.runs_on(engine, DAY)


def test_each_channel_is_delivered_once_across_calls(
    engine: Engine, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(webhook.url("/digest"), mailbox.url())
    clock = _clock()
    kwargs: dict[str, Any] = {"day": DAY, "message": MESSAGE, "clock": clock}
    first = send_digest(engine, settings, files_dir=tmp_path, **kwargs)
    assert [r.status for r in first] == ["sent", "sent", "sent"]
    assert first[0].channel == FILES
    clock.advance(timedelta(hours=1))
    second = send_digest(engine, settings, files_dir=tmp_path, **kwargs)
    assert [r.status for r in second] == ["skipped", "skipped", "skipped"]
    assert len(webhook.requests["/digest"]) == 1
    assert len(mailbox.messages) == 1
    rows = _rows(engine)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert {r.sent_at for r in rows} == {datetime(2025, 3, 2, 7, 0, tzinfo=UTC)}


def test_each_service_gets_its_best_format(
    engine: Engine, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(webhook.url("/digest"), mailbox.url())
    send_digest(engine, settings, day=DAY, message=MESSAGE, clock=_clock(), files_dir=tmp_path)
    [payload] = webhook.delivered["/digest"]
    assert payload["title"] == MESSAGE.title
    assert payload["message"] == MESSAGE.text
    [mail] = mailbox.messages
    assert mail["Subject"] == MESSAGE.title
    assert mail["To"] == "team@example.org"
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert mail.get_content_type() == "multipart/related"
    html = parts["text/html"].get_payload(decode=True)
    assert isinstance(html, bytes)
    assert b"Followers 1,234" in html
    assert b'src="cid:chart-1"' in html
    image = parts["image/png"]
    assert image["Content-ID"] == "<chart-1>"
    assert image.get_payload(decode=True) == PNG
    assert mailbox.logins == [(SMTP_USER, SMTP_PASSWORD)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mailto://me:pw@mail.example.org?to=team@example.org", "html"),
        ("mailtos://me:pw@mail.example.org?to=team@example.org", "html"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "markdown"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "markdown"),
        ("tgram://123456789:ABCdefGhIJKlmnOPQRstuvWXYZ12345/-1001234567", "markdown"),
        ("json://127.0.0.1:8080/hook", "text"),
        ("ntfy://digest-topic", "text"),
    ],
)
def test_body_format_per_service(url: str, expected: str) -> None:
    assert body_format(url) == expected


def test_a_failed_channel_is_retried_and_does_not_block_the_others(
    engine: Engine,
    webhook: Webhook,
    mailbox: Mailbox,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    webhook.script["/digest"] = [500]
    settings = _settings(webhook.url("/digest"), mailbox.url())
    clock = _clock()
    first = send_digest(engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path)
    hook, mail = first[1], first[2]
    assert (hook.status, hook.attempts) == ("failed", 1)
    assert hook.error is not None and "500" in hook.error
    assert mail.status == "sent"
    assert len(mailbox.messages) == 1
    row = digests.get_run(engine, day=DAY, channel=hook.channel)
    assert row is not None
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert row.last_error is not None and "500" in row.last_error
    assert "retried on the next send" in caplog.text

    clock.advance(timedelta(hours=1))
    second = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
    )
    assert _by_channel(second) == {FILES: "skipped", hook.channel: "sent", mail.channel: "skipped"}
    assert second[1].attempts == 2
    third = send_digest(engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path)
    assert third[1].status == "skipped"
    assert len(webhook.requests["/digest"]) == 2
    assert len(webhook.delivered["/digest"]) == 1
    assert len(mailbox.messages) == 1
    row = digests.get_run(engine, day=DAY, channel=hook.channel)
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert row.sent_at == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)


def test_a_404_webhook_disables_the_channel_until_forced(
    engine: Engine, webhook: Webhook, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.script["/gone"] = [404]
    settings = _settings(webhook.url("/gone"), webhook.url("/digest"))
    clock = _clock()
    first = send_digest(engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path)
    gone = first[1]
    assert gone.status == "disabled"
    assert gone.error is not None and "404" in gone.error
    assert first[2].status == "sent"
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "disabled" in r.message
    ]
    assert len(warnings) == 1 and gone.channel in warnings[0].message

    second = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
    )
    assert (second[1].status, second[1].attempts) == ("disabled", 1)
    assert second[1].error == gone.error
    assert len(webhook.requests["/gone"]) == 1

    forced = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path, force=True
    )
    assert [r.status for r in forced] == ["sent", "sent", "sent"]
    assert (forced[1].attempts, forced[2].attempts) == (2, 2)
    assert len(webhook.delivered["/gone"]) == 1
    assert len(webhook.delivered["/digest"]) == 2


def test_force_resends_a_date_already_sent(
    engine: Engine, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(webhook.url("/digest"), mailbox.url())
    clock = _clock()
    send_digest(engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path)
    again = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path, force=True
    )
    assert [(r.status, r.attempts) for r in again] == [("sent", 2)] * 3
    assert len(webhook.delivered["/digest"]) == 2
    assert len(mailbox.messages) == 2
    # Another day is its own delivery.
    other = send_digest(
        engine,
        settings,
        day=DAY + timedelta(days=1),
        message=MESSAGE,
        clock=clock,
        files_dir=tmp_path,
    )
    assert [r.status for r in other] == ["sent"] * 3


def test_only_the_named_channels_are_sent(
    engine: Engine, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(webhook.url("/digest"), mailbox.url())
    results = send_digest(
        engine,
        settings,
        day=DAY,
        message=MESSAGE,
        clock=_clock(),
        files_dir=tmp_path,
        channels=[FILES],
    )
    assert [r.channel for r in results] == [FILES]
    assert not webhook.requests and not mailbox.messages
    with pytest.raises(InputError, match="unknown digest channel 'nope'"):
        send_digest(
            engine,
            settings,
            day=DAY,
            message=MESSAGE,
            clock=_clock(),
            channels=["nope"],
            files_dir=tmp_path,
        )


def test_two_workers_racing_deliver_each_channel_once(
    engine: Engine, database_url: str, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(webhook.url("/digest"), mailbox.url())
    clock = _clock()
    other = make_engine(database_url)
    start = threading.Barrier(2)
    results: list[list[DeliveryResult]] = []

    def worker(worker_engine: Engine, folder: Path) -> None:
        start.wait()
        results.append(
            send_digest(
                worker_engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=folder
            )
        )

    try:
        threads = [
            threading.Thread(target=worker, args=(e, tmp_path / name))
            for e, name in ((engine, "a"), (other, "b"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        other.dispose()
    assert len(results) == 2
    for index in range(3):
        statuses = sorted(r[index].status for r in results)
        assert statuses in (["busy", "sent"], ["sent", "skipped"]), statuses
    assert len(webhook.requests["/digest"]) == 1
    assert len(mailbox.messages) == 1
    written = [p.name for p in tmp_path.glob("*/2025-03-01.md")]
    assert written == ["2025-03-01.md"]
    assert {(r.status, r.attempts) for r in _rows(engine)} == {("sent", 1)}


def test_a_dead_workers_claim_expires(engine: Engine, webhook: Webhook, tmp_path: Path) -> None:
    settings = _settings(webhook.url("/digest"))
    clock = _clock()
    name = channel_name(webhook.url("/digest"), webhook.url("/digest"))
    # Another worker claimed the webhook, then died before recording anything.
    assert digests.claim(engine, day=DAY, channel=name, now=clock(), lease=LEASE) is not None
    first = send_digest(engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path)
    assert _by_channel(first) == {FILES: "sent", name: "busy"}
    assert not webhook.requests
    clock.advance(LEASE + timedelta(minutes=1))
    second = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
    )
    assert _by_channel(second) == {FILES: "skipped", name: "sent"}
    assert second[1].attempts == 2
    assert len(webhook.delivered["/digest"]) == 1


def test_a_late_worker_cannot_overwrite_a_claim_taken_over(engine: Engine) -> None:
    start = datetime(2025, 3, 2, 7, 0, tzinfo=UTC)
    late = digests.claim(engine, day=DAY, channel="c", now=start, lease=LEASE)
    taken = digests.claim(engine, day=DAY, channel="c", now=start + LEASE, lease=LEASE)
    assert late is not None and taken is not None
    assert digests.claim(engine, day=DAY, channel="c", now=start + LEASE, lease=LEASE) is None
    assert digests.finish(engine, taken, status="sent", now=start + LEASE)
    assert not digests.finish(engine, late, status="failed", now=start + LEASE, error="boom")
    row = digests.get_run(engine, day=DAY, channel="c")
    assert row is not None and (row.status, row.attempts, row.last_error) == ("sent", 2, None)


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_secrets_never_reach_rows_logs_or_results(
    engine: Engine,
    webhook: Webhook,
    mailbox: Mailbox,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    level: int,
) -> None:
    token_path = f"/hooks/{PATH_TOKEN}"
    webhook.script[token_path] = [500]
    webhook.script["/auth"] = [404]
    urls = (webhook.url(token_path), webhook.url("/auth", auth=True), mailbox.url())
    settings = _settings(*urls)
    caplog.set_level(level)
    if level == logging.DEBUG:
        # Apprise's and urllib3's debug lines print a webhook's path, token included: the
        # daemon's log handler redacts them with the secrets BOT_NOTIFY contributes.
        caplog.handler.addFilter(RedactingFilter(Redactor(settings.secret_values())))
    clock = _clock()
    results = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
    )
    results += send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=clock, files_dir=tmp_path
    )
    assert [r.status for r in results[:4]] == ["sent", "failed", "disabled", "sent"]
    assert [r.status for r in results[4:]] == ["skipped", "sent", "disabled", "skipped"]
    assert mailbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
    with engine.connect() as connection:
        stored = repr(connection.execute(select(DigestRun.__table__)).all())  # type: ignore[attr-defined]
    shown = " ".join(json.dumps(r.to_json()) for r in results)
    for secret in (PATH_TOKEN, HOOK_PASSWORD, SMTP_PASSWORD, *urls):
        assert secret not in stored
        assert secret not in shown
        assert secret not in caplog.text
    assert "json://127.0.0.1" in shown and "mailto://" in shown
    for secret in (PATH_TOKEN, HOOK_PASSWORD, SMTP_PASSWORD):
        assert secret in settings.secret_values()


def test_an_url_apprise_cannot_use_is_disabled_and_named_by_position(
    engine: Engine, webhook: Webhook, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = "nosuchservice://user:Sup3rSecretValue@host/path"
    settings = _settings(webhook.url("/digest"), bad)
    assert notify_problems(settings.notify) == [
        "BOT_NOTIFY entry 2: Apprise cannot use this nosuchservice:// URL"
    ]
    results = send_digest(
        engine, settings, day=DAY, message=MESSAGE, clock=_clock(), files_dir=tmp_path
    )
    assert [r.status for r in results] == ["sent", "sent", "disabled"]
    assert results[2].channel == "BOT_NOTIFY#2 (nosuchservice://)"
    assert "Sup3rSecretValue" not in caplog.text + repr(results)


@pytest.mark.parametrize(
    ("value", "position"), [("notaurl", 1), ("json://127.0.0.1/a slack:/broken", 2)]
)
def test_bot_notify_entries_must_be_urls(tmp_path: Path, value: str, position: int) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text("", encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env_file=env, environ={"BOT_NOTIFY": value})
    message = str(raised.value)
    assert message.startswith("BOT_NOTIFY: entry ")
    assert f"entry {position} of" in message
    assert value.split()[-1] not in message


def test_bot_notify_urls_are_secrets(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text("", encoding="utf-8")
    url = "tgram://123456789:ABCdefGhIJKlmnOPQRstuvWXYZ12345/-1001234567"
    settings = load_settings(config, env_file=None, environ={"BOT_NOTIFY": f" {url}  "})
    assert len(settings.notify) == 1
    assert url not in repr(settings)
    assert "ABCdefGhIJKlmnOPQRstuvWXYZ12345" in settings.secret_values()


def test_files_are_written_whole_and_point_at_their_charts(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-03-01.md").write_text("an old digest", encoding="utf-8")
    write_files(folder, DAY, MESSAGE)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "2025-03-01-chart-1.png",
        "2025-03-01.html",
        "2025-03-01.json",
        "2025-03-01.md",
    ]
    assert (folder / "2025-03-01.md").read_text(encoding="utf-8") == MESSAGE.markdown
    assert (folder / "2025-03-01.json").read_text(encoding="utf-8") == MESSAGE.json
    html = (folder / "2025-03-01.html").read_text(encoding="utf-8")
    assert 'src="2025-03-01-chart-1.png"' in html and "cid:" not in html
    assert (folder / "2025-03-01-chart-1.png").read_bytes() == PNG


def test_a_files_failure_is_retried(engine: Engine, tmp_path: Path) -> None:
    blocked = tmp_path / "digests"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    clock = _clock()
    first = send_digest(
        engine, Settings(), day=DAY, message=MESSAGE, clock=clock, files_dir=blocked
    )
    assert [(r.channel, r.status) for r in first] == [(FILES, "failed")]
    assert first[0].error is not None and "cannot write" in first[0].error
    blocked.unlink()
    second = send_digest(
        engine, Settings(), day=DAY, message=MESSAGE, clock=clock, files_dir=blocked
    )
    assert [(r.status, r.attempts) for r in second] == [("sent", 2)]
    assert not [p for p in blocked.iterdir() if p.name.endswith(".tmp")]


def test_a_digest_longer_than_the_service_takes_is_split(
    engine: Engine, webhook: Webhook, tmp_path: Path
) -> None:
    lines = [f"account {i:05d}: followers {i * 7:,}" for i in range(2000)]
    long = DigestMessage(**{**MESSAGE.__dict__, "text": "\n".join(lines)})
    assert len(long.text) > 32_768
    settings = _settings(webhook.url("/digest"))
    results = send_digest(
        engine, settings, day=DAY, message=long, clock=_clock(), files_dir=tmp_path
    )
    assert results[1].status == "sent"
    received = webhook.delivered["/digest"]
    assert len(received) >= 2
    joined = "".join(p["message"] for p in received)
    assert lines[0] in joined and lines[-1] in joined
