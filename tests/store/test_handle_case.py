"""Handles that differ only in case are one account where the platform says so: config,
import and API find the first spelling stored and never create a second account."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.status import status
from bot.digest.build import build_digest
from bot.io.load import import_history
from bot.store.accounts import sync_accounts
from bot.store.models import Account

NOW = datetime(2022, 1, 5, 12, tzinfo=UTC)
HEADER = "platform,handle,captured_at,followers,following,posts\n"


def accounts(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Account).order_by(Account.id)).all()  # type: ignore[arg-type]
        return [(a.platform, a.handle) for a in rows]


def config(tmp_path: Path, *handles: tuple[str, str]) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(
        "".join(f'[[accounts]]\nplatform = "{p}"\nhandle = "{h}"\n' for p, h in handles)
    )
    return path


def test_config_import_and_api_share_the_first_spelling(engine: Engine, tmp_path: Path) -> None:
    settings = load_settings(
        config(tmp_path, ("x", "DGSN_MAROC"), ("mastodon", "Gargron@mastodon.social")),
        environ={},
    )
    with Session(engine) as session:
        sync_accounts(session, settings, NOW)
    history = tmp_path / "history.csv"
    history.write_text(
        HEADER + "x,dgsn_maroc,2021-12-30,100,,\n"
        "x,Dgsn_Maroc,2021-12-31,110,,\n"
        "mastodon,GARGRON@Mastodon.Social,2021-12-31,5,,\n"
    )
    import_history(engine, settings, history, NOW)
    assert accounts(engine) == [("x", "DGSN_MAROC"), ("mastodon", "Gargron@mastodon.social")]
    # The config spelt another way later is still the same account, still scheduled.
    respelt = load_settings(
        config(tmp_path, ("x", "dgsn_maroc"), ("mastodon", "gargron@mastodon.social")), environ={}
    )
    with Session(engine) as session:
        configured = sync_accounts(session, respelt, NOW)
        assert [a.handle for a in configured] == ["DGSN_MAROC", "Gargron@mastodon.social"]
        assert all(a.next_poll_at is not None for a in configured)
    assert len(accounts(engine)) == 2
    client = TestClient(create_app(respelt, engine, clock=ManualClock(NOW)))
    rows = client.get("/accounts/x/dgsn_MAROC/snapshots").json()
    assert [r["followers"] for r in rows] == [100, 110]
    # The digest and the status report take the configured account in its stored spelling.
    digest = build_digest(engine, respelt, date(2021, 12, 31), now=NOW)
    assert [line.key for line in digest.accounts] == [
        "x:DGSN_MAROC",
        "mastodon:Gargron@mastodon.social",
    ]
    stale = {a["handle"] for a in status(engine, respelt, NOW)["accounts"]}
    assert stale == {"DGSN_MAROC", "Gargron@mastodon.social"}  # not polled since 2021


def test_case_sensitive_ids_stay_apart(engine: Engine, tmp_path: Path) -> None:
    channel = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
    settings = load_settings(
        config(tmp_path, ("youtube", channel), ("youtube", channel.upper())), environ={}
    )
    with Session(engine) as session:
        sync_accounts(session, settings, NOW)
    assert accounts(engine) == [("youtube", channel), ("youtube", channel.upper())]


def test_an_import_spelling_one_account_two_ways_counts_what_it_added(
    engine: Engine, tmp_path: Path
) -> None:
    settings = load_settings(config(tmp_path, ("x", "DGSN_MAROC")), environ={})
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "x,DGSN_MAROC,2021-12-29,90,,\nx,DGSN_MAROC,2021-12-30,100,,\n")
    assert import_history(engine, settings, first, NOW).added == 2
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "x,dgsn_maroc,2021-12-31,110,,\nx,Dgsn_Maroc,2022-01-01,120,,\n")
    # Two spellings, one account with two snapshots already: two added, not 2 - 2.
    assert import_history(engine, settings, second, NOW).added == 2
