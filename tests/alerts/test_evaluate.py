"""Evaluating alerts over a real store: once per event across restarts and workers, suspect points
never, notices delivered once per channel with the digest's retry rules, logs with labels only."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from bot.alerts import deliver_pending, evaluate, run_alerts
from bot.clock import ManualClock
from bot.config import AccountSettings, AlertRules, AlertSettings, Secret, Settings
from bot.kinds import Quality
from bot.store.accounts import sync_accounts
from bot.store.db import make_engine
from bot.store.models import Alert, AlertDelivery, PollAttempt
from bot.store.tables import ACCOUNT
from bot.store.writes import insert_snapshots
from tests.helpers.store import snap
from tests.helpers.webhook import Webhook, running_webhook

T0 = datetime(2025, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
OK, SUSPECT, CONFIRMED = Quality.OK, Quality.SUSPECT, Quality.CONFIRMED_DROP
TOKEN = "Sup3rSecretWebhookToken42"


def _settings(*urls: str, **fields: object) -> Settings:
    account = AccountSettings("x", "DGSN_MAROC", label="DGSN", groups=("police",))
    return Settings(
        accounts=(account,),
        notify=tuple(Secret(u) for u in urls),
        poll_interval=HOUR,
        **fields,  # type: ignore[arg-type]
    )


def _store(engine: Engine, settings: Settings, counts: list[tuple[int, Quality]]) -> int:
    """The account synced and its history at T0, T0+1h, …; its id."""
    with Session(engine) as session:
        [account] = sync_accounts(session, settings, T0)
        assert account.id is not None
        account_id = account.id
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [snap(account_id, T0 + HOUR * i, n, quality=q) for i, (n, q) in enumerate(counts)],
        )
    return account_id


def _alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).scalars())  # type: ignore[call-overload]


def _set_status(engine: Engine, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(ACCOUNT).values(status=status))


def test_an_event_is_raised_once_across_restarts(engine: Engine) -> None:
    settings = _settings()
    _store(engine, settings, [(1000, OK), (1000, OK), (900, OK), (900, OK)])
    now = T0 + HOUR * 4
    first = evaluate(engine, settings, now)
    assert [(c.kind, c.opened) for c in first] == [("drop", True)]
    # A restarted daemon (nothing in memory) sees the same store: nothing new.
    assert evaluate(engine, settings, now + HOUR) == []
    assert [a.kind for a in _alerts(engine)] == ["drop"]


def test_two_workers_open_and_resolve_each_alert_once(engine: Engine) -> None:
    settings = _settings()
    _store(engine, settings, [(1000, OK)])
    _set_status(engine, "not_found")
    url = engine.url.render_as_string(hide_password=False)
    engines = [engine, make_engine(url)]
    changes: list[int] = []
    lock = threading.Lock()

    def race(at: datetime) -> None:
        barrier = threading.Barrier(2)

        def worker(own: Engine) -> None:
            barrier.wait()
            found = evaluate(own, settings, at)
            with lock:
                changes.extend(c.alert_id for c in found)

        threads = [threading.Thread(target=worker, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    race(T0 + HOUR)
    assert len(changes) == 1
    _set_status(engine, "active")
    race(T0 + HOUR * 2)
    assert len(changes) == 2
    [alert] = _alerts(engine)
    assert alert.resolved_at == T0 + HOUR * 2 and alert.open_key is None
    engines[1].dispose()


@pytest.mark.parametrize(
    ("counts", "kinds"),
    [
        # The quality gate held both low points as suspect: never an alert.
        ([(1000, OK), (1000, OK), (700, SUSPECT), (700, SUSPECT)], []),
        # It confirmed the drop: the confirmed point and the next one hold it.
        ([(1000, OK), (1000, OK), (700, CONFIRMED), (700, OK)], ["drop"]),
        # A suspect zero between good counts changes nothing.
        ([(1000, OK), (1000, OK), (0, SUSPECT), (1000, OK)], []),
    ],
)
def test_only_counts_the_quality_gate_passed_are_judged(
    engine: Engine, counts: list[tuple[int, Quality]], kinds: list[str]
) -> None:
    settings = _settings()
    _store(engine, settings, counts)
    evaluate(engine, settings, T0 + HOUR * len(counts))
    assert [a.kind for a in _alerts(engine)] == kinds


def test_enabled_false_raises_nothing(engine: Engine) -> None:
    settings = _settings(alerts=AlertSettings(enabled=False))
    _store(engine, settings, [(1000, OK), (1000, OK), (900, OK), (900, OK)])
    _set_status(engine, "suspended")
    assert run_alerts(engine, settings, ManualClock(T0 + HOUR * 4)) == []
    assert _alerts(engine) == []


def test_a_milestone_is_raised_once_even_when_passed_again(engine: Engine) -> None:
    settings = _settings(milestones=(1000,))
    account_id = _store(engine, settings, [(990, OK), (1001, OK)])
    assert [c.kind for c in evaluate(engine, settings, T0 + HOUR * 2)] == ["milestone"]
    with engine.begin() as connection:
        insert_snapshots(
            connection,
            [snap(account_id, T0 + HOUR * 2, 995), snap(account_id, T0 + HOUR * 3, 1002)],
        )
    assert evaluate(engine, settings, T0 + HOUR * 4) == []
    [alert] = _alerts(engine)
    assert alert.message == "DGSN (x:DGSN_MAROC): 1,000 followers reached (1,001)"


def test_alerts_are_logged_at_warning_with_the_label_and_no_secret(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(f"json://127.0.0.1:9/{TOKEN}")
    _store(engine, settings, [(1000, OK)])
    _set_status(engine, "suspended")
    with caplog.at_level(logging.WARNING):
        run_alerts(engine, settings, ManualClock(T0 + HOUR))
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "alert: DGSN (x:DGSN_MAROC): account suspended" in lines
    assert all(TOKEN not in line for line in caplog.messages)
    with Session(engine) as session:
        rows = session.exec(select(AlertDelivery)).scalars().all()  # type: ignore[call-overload]
    assert rows and all(TOKEN not in (r.channel + (r.last_error or "")) for r in rows)


def _raise_one(engine: Engine, settings: Settings) -> None:
    _store(engine, settings, [(1000, OK)])
    _set_status(engine, "not_found")
    evaluate(engine, settings, T0 + HOUR)


def test_each_channel_gets_each_notice_once(engine: Engine) -> None:
    with running_webhook() as hook:
        settings = _settings(hook.url("/a"), hook.url("/b"))
        _raise_one(engine, settings)
        clock = ManualClock(T0 + HOUR)
        assert {r.status for r in deliver_pending(engine, settings, clock)} == {"sent"}
        assert deliver_pending(engine, settings, clock) == []
        _set_status(engine, "active")
        run_alerts(engine, settings, clock)
        run_alerts(engine, settings, clock)
    for path in ("/a", "/b"):
        assert [p["title"] for p in hook.delivered[path]] == [
            "Alert: DGSN (x:DGSN_MAROC)",
            "Resolved: DGSN (x:DGSN_MAROC)",
        ]


def test_a_failed_channel_is_retried_and_a_gone_one_disabled(engine: Engine) -> None:
    hook: Webhook
    with running_webhook() as hook:
        hook.script["/flaky"] = [500]
        hook.script["/gone"] = [404, 404]
        settings = _settings(hook.url("/flaky"), hook.url("/gone"))
        _raise_one(engine, settings)
        clock = ManualClock(T0 + HOUR)
        first = sorted(r.status for r in deliver_pending(engine, settings, clock))
        second = [r.status for r in deliver_pending(engine, settings, clock)]
        third = deliver_pending(engine, settings, clock)
    assert first == ["disabled", "failed"] and second == ["sent"] and third == []
    assert len(hook.delivered["/flaky"]) == 1 and hook.delivered["/gone"] == []
    assert hook.script["/gone"] == [404]  # never tried again


def test_an_old_notice_is_not_sent_late(engine: Engine) -> None:
    with running_webhook() as hook:
        settings = _settings(hook.url("/late"))
        _raise_one(engine, settings)
        assert deliver_pending(engine, settings, ManualClock(T0 + HOUR + timedelta(days=2))) == []
    assert hook.delivered["/late"] == []


def test_a_rule_turned_off_closes_its_alert_quietly(engine: Engine) -> None:
    settings = _settings()
    _raise_one(engine, settings)
    quiet = _settings(
        alerts=AlertSettings(accounts={"x:dgsn_maroc": {"status": False}}),
    )
    [change] = evaluate(engine, quiet, T0 + HOUR * 2)
    assert not change.opened and change.message is None
    [alert] = _alerts(engine)
    assert alert.resolved_at is not None and alert.resolve_message is None


def test_a_drop_that_recovers_says_so(engine: Engine) -> None:
    settings = _settings()
    account_id = _store(engine, settings, [(1000, OK), (1000, OK), (900, OK), (900, OK)])
    evaluate(engine, settings, T0 + HOUR * 4)
    with engine.begin() as connection:
        insert_snapshots(connection, [snap(account_id, T0 + HOUR * 4, 990)])
    [change] = evaluate(engine, settings, T0 + HOUR * 5)
    assert (
        change.message == "DGSN (x:DGSN_MAROC): followers back to 990 (were 1,000 before the drop)"
    )


def test_a_config_spelt_in_another_case_still_raises_alerts(engine: Engine) -> None:
    # Stored as DGSN_MAROC; the config now says dgsn_maroc (X treats them as one account).
    _store(engine, _settings(), [(1000, OK), (1000, OK), (900, OK), (900, OK)])
    respelt = Settings(
        accounts=(AccountSettings("x", "dgsn_maroc", label="DGSN", any_case=True),),
        poll_interval=HOUR,
    )
    assert [c.kind for c in evaluate(engine, respelt, T0 + HOUR * 4)] == ["drop"]


def test_polls_that_read_a_suspect_count_are_not_silence(engine: Engine) -> None:
    # The gate holds a drop as suspect while it waits for confirmation; the polls still answered.
    settings = _settings(alerts=AlertSettings(rules=AlertRules(missed_polls=2)))
    account_id = _store(engine, settings, [(1000, OK)])
    with Session(engine) as session:
        session.add(PollAttempt(account_id=account_id, started_at=T0, duration_ms=5, outcome="ok"))
        for hour in range(1, 5):
            at = T0 + HOUR * hour
            session.add(
                PollAttempt(account_id=account_id, started_at=at, duration_ms=5, outcome="suspect")
            )
        session.commit()
    assert [c.kind for c in evaluate(engine, settings, T0 + HOUR * 4)] == []
