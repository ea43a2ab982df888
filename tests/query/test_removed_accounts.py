"""An account taken out of the config is ``removed``: kept, never polled, listed only with --all."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import load_settings
from bot.digest import build_digest
from bot.kinds import AccountStatus
from bot.query import rows as views
from bot.query.accounts import account_by_key
from bot.store.accounts import get_or_create, scheduled_accounts, sync_accounts
from bot.store.models import Snapshot
from bot.store.tables import SNAPSHOT
from tests.helpers.cli import run_cli
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
BOTH = settings_for(["kept.bsky.social", "gone.bsky.social"], timezone=UTC)
KEPT = settings_for(["kept.bsky.social"], timezone=UTC)


def _history(engine: Engine) -> None:
    """Both accounts configured, each with a snapshot a year back and one at T0."""
    with Session(engine) as session:
        accounts = sync_accounts(session, BOTH, T0 - timedelta(days=400))
        for account in accounts:
            for at, followers in ((T0 - timedelta(days=365), 100), (T0, 150)):
                session.add(
                    Snapshot(account_id=account.id or 0, captured_at=at, followers=followers)
                )
        session.commit()


def _handles(rows: Any) -> list[str]:
    return [row["handle"] for row in rows]


def test_removed_is_kept_left_out_unless_asked_and_live_again_when_re_added(
    engine: Engine,
) -> None:
    _history(engine)
    with Session(engine) as session:
        sync_accounts(session, KEPT, T0)
        gone = account_by_key(session, "bluesky:gone.bsky.social")
        assert (gone.status, gone.next_poll_at) == (AccountStatus.REMOVED, None)
        due = scheduled_accounts(session, now=T0 + timedelta(days=1), everything=True)
        assert [a.handle for a in due] == ["kept.bsky.social"]
    assert _handles(views.account_rows(engine)) == ["kept.bsky.social"]
    every = views.account_rows(engine, removed=True)
    assert [(r["handle"], r["status"]) for r in every] == [
        ("gone.bsky.social", "removed"),
        ("kept.bsky.social", "active"),
    ]
    lines = views.growth_rows(engine, KEPT, period="365d", at=T0, group=None)
    assert _handles(lines) == ["kept.bsky.social"]
    lines = views.growth_rows(engine, KEPT, period="365d", at=T0, group=None, removed=True)
    assert [line["growth_pct"] for line in lines] == [50.0, 50.0]
    first, last = T0 - timedelta(days=365), T0
    entries = views.report_entries(engine, first=first, last=last, tz=UTC)
    assert [e.handle for e in entries] == ["kept.bsky.social"]
    entries = views.report_entries(engine, first=first, last=last, tz=UTC, removed=True)
    assert len(entries) == 2
    # Re-added: live again, due at once, with its history.
    with Session(engine) as session:
        sync_accounts(session, BOTH, T0 + timedelta(hours=1))
        back = account_by_key(session, "bluesky:gone.bsky.social")
        assert (back.status, back.next_poll_at) == (AccountStatus.ACTIVE, T0 + timedelta(hours=1))
    [row] = [r for r in views.account_rows(engine) if r["handle"] == "gone.bsky.social"]
    assert (row["status"], row["followers"]) == ("active", 150)


def test_digests_leave_removed_accounts_out(engine: Engine) -> None:
    _history(engine)
    nobody = settings_for([], timezone=UTC)
    with Session(engine) as session:
        # An account only ever imported was never in the config: not removed by a sync.
        imported = get_or_create(session, "bluesky", "imported.bsky.social", T0)
        session.add(Snapshot(account_id=imported.id or 0, captured_at=T0, followers=7))
        session.commit()
        sync_accounts(session, nobody, T0)
        assert account_by_key(session, "bluesky:imported.bsky.social").status == "active"
    # With no account configured, a digest shows every stored account that is not removed.
    digest = build_digest(engine, nobody, date(2025, 3, 1), now=T0 + timedelta(days=1))
    assert [line.handle for line in digest.accounts] == ["imported.bsky.social"]
    with Session(engine) as session:
        stored = session.connection().execute(select(func.count()).select_from(SNAPSHOT))
        assert stored.scalar_one() == 5  # the history of removed accounts is kept


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """Two configured Bluesky accounts with a year of imported history each."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "accounts.toml"
    path.write_text(_config("kept.bsky.social", "gone.bsky.social"))
    monkeypatch.setenv("BOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    rows = ["platform,handle,captured_at,followers,following,posts"]
    for handle in ("kept.bsky.social", "gone.bsky.social"):
        rows += [f"bluesky,{handle},2024-12-31,100,1,10", f"bluesky,{handle},2025-06-30,120,1,12"]
    (tmp_path / "history.csv").write_text("\n".join(rows) + "\n")
    return path


def _config(*handles: str) -> str:
    entries = "".join(f'[[accounts]]\nplatform = "bluesky"\nhandle = "{h}"\n' for h in handles)
    return f'[bot]\ntimezone = "UTC"\n\n{entries}'


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    result = run_cli(capsys, *args, "-f", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_cli_and_api_take_all(
    config: Path, capsys: pytest.CaptureFixture[str], engine: Engine
) -> None:
    assert run_cli(capsys, "import", "history.csv").code == 0
    config.write_text(_config("kept.bsky.social"))
    assert _handles(_json(capsys, "accounts")) == ["kept.bsky.social"]
    listed = _json(capsys, "accounts", "--all")
    assert [(r["handle"], r["status"]) for r in listed] == [
        ("gone.bsky.social", "removed"),
        ("kept.bsky.social", "active"),
    ]
    growth = ("growth", "--period", "ytd", "--at", "2025-06-30")
    assert _handles(_json(capsys, *growth)) == ["kept.bsky.social"]
    assert len(_json(capsys, *growth, "--all")) == 2
    report = ("report", "--year", "2025")
    assert _handles(_json(capsys, *report)["accounts"]) == ["kept.bsky.social"]
    assert len(_json(capsys, *report, "--all")["accounts"]) == 2
    refused = run_cli(capsys, "poll", "bluesky:gone.bsky.social")
    assert refused.code == 2 and refused.out == ""
    assert "bluesky:gone.bsky.social was removed from the config" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    settings = load_settings(config, environ={"BOT_API_TOKEN": "tok3n-x"})
    app = create_app(settings, engine, clock=ManualClock(datetime(2025, 7, 1, tzinfo=UTC)))
    client = TestClient(app)
    auth = {"Authorization": "Bearer tok3n-x"}
    assert _handles(client.get("/accounts", headers=auth).json()) == ["kept.bsky.social"]
    assert len(client.get("/accounts?all=true", headers=auth).json()) == 2
    assert len(client.get("/growth?period=ytd&all=true", headers=auth).json()) == 2
    assert len(client.get("/report?year=2025&all=true", headers=auth).json()["accounts"]) == 2
    wrong = client.get("/accounts?all=maybe", headers=auth)
    assert wrong.status_code == 400 and wrong.json()["field"] == "all"


def test_the_html_report_with_all_charts_removed_accounts_too(engine: Engine) -> None:
    from bot.query.report import Period
    from bot.query.report_html import report_series

    _history(engine)
    with Session(engine) as session:
        sync_accounts(session, KEPT, T0)
    first, last = T0 - timedelta(days=365), T0
    entries = views.report_entries(engine, first=first, last=last, tz=UTC, removed=True)
    period = Period(first, last, first.date(), last.date(), None, {"from": "a", "to": "b"})
    series = report_series(engine, period, entries)
    # `bot report -f html --all`: the removed account's sentence has its chart, not an empty one.
    assert [m.value for m in series[("bluesky", "gone.bsky.social")]] == [100, 150]
