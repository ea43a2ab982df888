"""Weekly and monthly digests: periods, what they gather, when the daemon sends them, the CLI.

Time is a ManualClock; "restarts" are fresh calls against the same database (the state is in
digest_run). Monday 1 September 2025 is both a Monday and a 1st.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Settings, load_settings
from bot.digest import build_digest, compose, periods
from bot.digest.daily import due_digests, send_due_digests
from bot.digest.deliver import send_digest
from bot.errors import ConfigError, InputError
from bot.store.accounts import sync_accounts
from bot.store.digests import get_run, runs_on
from bot.store.models import Account
from bot.store.writes import PollRecord, SnapshotValues, insert_snapshots, save_poll_records
from tests.helpers import digest_history
from tests.helpers.cli import run_cli
from tests.helpers.digest_history import Spec, utc

GOLDEN = Path(__file__).parents[1] / "fixtures" / "digest"
TZ = ZoneInfo("Africa/Casablanca")  # UTC+1 all year since 2018
ALL = Settings(
    timezone=TZ,
    digest_at=time(8, 0),
    accounts=(AccountSettings("bluesky", "a.bsky.social"),),
    platforms={"bluesky": PlatformSettings("bluesky")},
    digests=("daily", "weekly", "monthly"),
)


def local(*parts: int) -> datetime:
    """A local Casablanca time as an aware datetime."""
    return datetime(*parts, tzinfo=TZ)  # type: ignore[arg-type,misc]


# --- periods -----------------------------------------------------------------------------------


def test_spans() -> None:
    assert periods.span("day", date(2025, 3, 26)) == (date(2025, 3, 26), date(2025, 3, 26))
    assert periods.span("week", date(2025, 3, 26)) == (date(2025, 3, 24), date(2025, 3, 30))
    assert periods.span("week", date(2025, 3, 30)) == (date(2025, 3, 24), date(2025, 3, 30))
    assert periods.span("month", date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert periods.last_complete("week", date(2025, 3, 31)) == date(2025, 3, 30)
    assert periods.last_complete("week", date(2025, 3, 30)) == date(2025, 3, 23)
    assert periods.last_complete("month", date(2025, 3, 1)) == date(2025, 2, 28)


def test_titles() -> None:
    assert periods.title("week", date(2025, 3, 24), date(2025, 3, 30)) == (
        "Weekly digest, 24\u201330 March 2025"
    )
    assert periods.title("week", date(2025, 3, 31), date(2025, 4, 6)) == (
        "Weekly digest, 31 March \u2013 6 April 2025"
    )
    assert periods.title("week", date(2024, 12, 30), date(2025, 1, 5)) == (
        "Weekly digest, 30 December 2024 \u2013 5 January 2025"
    )
    assert periods.title("month", date(2025, 3, 1), date(2025, 3, 31)) == (
        "Monthly digest, March 2025"
    )


def test_run_channels_keep_daily_names_and_fit_the_column() -> None:
    assert periods.run_channel("day", "files") == "files"
    assert periods.run_channel("week", "files") == "weekly:files"
    assert periods.run_channel("month", "json://h/x") == "monthly:json://h/x"
    long_a, long_b = "a" * 250 + "1", "a" * 250 + "2"
    keys = {periods.run_channel("month", name) for name in (long_a, long_b)}
    assert len(keys) == 2 and all(len(k) == 255 for k in keys)
    assert periods.file_stem("day", date(2025, 3, 30)) == "2025-03-30"
    assert periods.file_stem("week", date(2025, 3, 30)) == "2025-03-30-weekly"


# --- what is due -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2025, 8, 31, 9, 0), [("day", "2025-08-30")]),  # a Sunday
        (local(2025, 9, 1, 7, 59), []),  # Monday the 1st, before digest_at
        (
            local(2025, 9, 1, 8, 0),
            [("day", "2025-08-31"), ("week", "2025-08-31"), ("month", "2025-08-31")],
        ),
        (
            local(2025, 9, 1, 23, 55),
            [("day", "2025-08-31"), ("week", "2025-08-31"), ("month", "2025-08-31")],
        ),
        (local(2025, 9, 2, 8, 0), [("day", "2025-09-01")]),
        (local(2025, 9, 8, 8, 30), [("day", "2025-09-07"), ("week", "2025-09-07")]),
        (local(2025, 10, 1, 8, 30), [("day", "2025-09-30"), ("month", "2025-09-30")]),
    ],
)
def test_due_digests(now: datetime, expected: list[tuple[str, str]]) -> None:
    found = due_digests(ALL, now.astimezone(UTC))
    assert [(period, day.isoformat()) for period, day in found] == expected


def test_only_configured_digests_are_due() -> None:
    monday_first = local(2025, 9, 1, 9, 0).astimezone(UTC)
    assert [p for p, _ in due_digests(Settings(timezone=TZ), monday_first)] == ["day"]
    monthly = Settings(timezone=TZ, digests=("monthly",))
    assert [p for p, _ in due_digests(monthly, monday_first)] == ["month"]
    assert due_digests(monthly, local(2025, 9, 8, 9, 0).astimezone(UTC)) == []


# --- the daemon's sends ------------------------------------------------------------------------


def store(engine: Engine, at: datetime, followers: int = 1500) -> None:
    """One successful poll of the configured account."""
    with Session(engine) as session:
        [account] = sync_accounts(session, ALL, at)
        account_id = account.id or 0
    observation = SnapshotValues("did:plc:a", followers, 10, 20)
    record = PollRecord(account_id, at, 5, "ok", "active", at + timedelta(hours=6), observation)
    with engine.begin() as connection:
        save_poll_records(connection, [record])


def test_each_period_is_sent_once_per_channel(engine: Engine, tmp_path: Path) -> None:
    files = tmp_path / "digests"
    clock = ManualClock(local(2025, 9, 1, 7, 0))

    def send() -> list[str]:
        results = asyncio.run(send_due_digests(engine, ALL, clock, files_dir=files))
        return [f"{r.channel}:{r.status}" for r in results]

    for day in range(20, 32):
        store(engine, utc(2025, 8, day, 12), 1000 + 10 * day)
    assert send() == []  # 08:00 not reached yet
    clock.set(local(2025, 9, 1, 8, 5))
    assert send() == ["files:sent", "weekly:files:sent", "monthly:files:sent"]
    sunday = date(2025, 8, 31)
    assert {run.channel: run.status for run in runs_on(engine, sunday)} == {
        "files": "sent",
        "weekly:files": "sent",
        "monthly:files": "sent",
    }
    assert (files / "2025-08-31.md").read_text().startswith("# Growth digest for Sunday 31")
    weekly = (files / "2025-08-31-weekly.md").read_text(encoding="utf-8")
    assert weekly.startswith("# Weekly digest, 25\u201331 August 2025\n")
    assert "| **7 days** |" in weekly
    monthly = (files / "2025-08-31-monthly.json").read_text(encoding="utf-8")
    assert '"period": "month"' in monthly and '"from": "2025-08-01"' in monthly
    assert (files / "2025-08-31-monthly.html").is_file()
    # Every 5 minutes for the rest of the day, and after a restart: nothing more.
    clock.advance(timedelta(minutes=5))
    assert send() == []
    clock.set(local(2025, 9, 1, 23, 55))
    assert send() == []
    # Tuesday: yesterday's daily only; the week and month were done.
    store(engine, utc(2025, 9, 1, 12))
    clock.set(local(2025, 9, 2, 8, 0))
    assert send() == ["files:sent"]
    # The next Monday: daily and weekly, each once.
    for day in range(2, 8):
        store(engine, utc(2025, 9, day, 12))
    clock.set(local(2025, 9, 8, 8, 0))
    assert send() == ["files:sent", "weekly:files:sent"]
    assert send() == []
    assert (
        (files / "2025-09-07-weekly.md")
        .read_text(encoding="utf-8")
        .startswith("# Weekly digest, 1\u20137 September 2025\n")
    )
    assert get_run(engine, day=date(2025, 9, 7), channel="monthly:files") is None


def test_a_failed_period_channel_is_retried_alone(engine: Engine, tmp_path: Path) -> None:
    """The weekly files channel fails (a file in the way), the daily one is not sent again."""
    files = tmp_path / "digests"
    files.mkdir()
    blocker = files / "2025-08-31-weekly.md"
    blocker.mkdir()  # renaming a file over a directory fails
    store(engine, utc(2025, 8, 30, 12))
    clock = ManualClock(local(2025, 9, 1, 8, 5))
    settings = Settings(
        timezone=TZ,
        accounts=ALL.accounts,
        platforms=ALL.platforms,
        digests=("daily", "weekly"),
    )

    def send() -> list[str]:
        results = asyncio.run(send_due_digests(engine, settings, clock, files_dir=files))
        return [f"{r.channel}:{r.status}:{r.attempts}" for r in results]

    assert send() == ["files:sent:1", "weekly:files:failed:1"]
    clock.advance(timedelta(minutes=5))
    assert send() == ["weekly:files:failed:2"]
    blocker.rmdir()
    clock.advance(timedelta(minutes=5))
    assert send() == ["weekly:files:sent:3"]
    assert send() == []


def test_send_digest_claims_each_period_apart(engine: Engine, tmp_path: Path) -> None:
    store(engine, utc(2025, 8, 30, 12))
    clock = ManualClock(local(2025, 9, 2, 9, 0))
    sunday = date(2025, 8, 31)

    def send(period: str, force: bool = False) -> list[str]:
        message = compose(build_digest(engine, ALL, sunday, now=clock(), period=period))
        results = send_digest(
            engine,
            ALL,
            day=sunday,
            message=message,
            clock=clock,
            files_dir=tmp_path,
            period=period,
            force=force,
        )
        return [f"{r.channel}:{r.status}" for r in results]

    assert send("week") == ["weekly:files:sent"]
    assert send("week") == ["weekly:files:skipped"]
    assert send("day") == ["files:sent"]
    assert send("month") == ["monthly:files:sent"]
    assert send("week", force=True) == ["weekly:files:sent"]


# --- what a weekly or monthly digest gathers ----------------------------------------------------

PARIS_SPECS = (
    # Crosses 1,000 at 00:30 on 1 March in Paris (29 February in UTC), 5,000 on Wednesday 27 March.
    Spec(
        "mastodon",
        "grow@social.example",
        "Grow",
        (),
        utc(2024, 1, 1),
        lambda at: (
            900 if at < utc(2024, 2, 29, 23, 30) else 4_900 if at < utc(2024, 3, 27) else 6_000
        ),
        lambda at: None,
        special=((utc(2024, 2, 29, 23, 30), 1_100, "ok"),),
    ),
    # Both x accounts report a suspect 0 on Tuesday 26 March: a platform event that day.
    *(
        Spec(
            "x",
            handle,
            None,
            (),
            utc(2024, 1, 1),
            lambda at: 10_000,
            lambda at: None,
            special=((utc(2024, 3, 26, 10), 0, "suspect"),),
        )
        for handle in ("one", "two")
    ),
)


def load(engine: Engine, specs: tuple[Spec, ...]) -> Settings:
    """Accounts and snapshots of ``specs`` (digest_history.load adds the full history's extras)."""
    with Session(engine) as session:
        accounts = [
            Account(platform=s.platform, handle=s.handle, label=s.label, created_at=s.start)
            for s in specs
        ]
        session.add_all(accounts)
        session.commit()
        ids = [a.id or 0 for a in accounts]
    with engine.begin() as connection:
        for spec, account_id in zip(specs, ids, strict=True):
            insert_snapshots(connection, digest_history._rows(spec, account_id))
    return Settings(timezone=digest_history.TZ)


def test_milestones_and_anomalies_span_the_period(engine: Engine) -> None:
    settings = load(engine, PARIS_SPECS)
    sunday = date(2024, 3, 31)
    daily = build_digest(engine, settings, sunday)
    weekly = build_digest(engine, settings, sunday, period="week")
    monthly = build_digest(engine, settings, sunday, period="month")
    assert daily.milestones == () and daily.anomalies == ()
    assert [m.milestone for m in weekly.milestones] == [5_000]
    # The whole of March, though its first day is more than 30 days before the end of the 31st.
    assert [m.milestone for m in monthly.milestones] == [1_000, 5_000]
    assert monthly.milestones[0].crossed_at == utc(2024, 2, 29, 23, 30)
    for digest in (weekly, monthly):
        kinds = [(a.kind, a.handle) for a in digest.anomalies]
        assert kinds == [("suspect", "one"), ("suspect", "two"), ("platform_event", None)]
        event = digest.anomalies[-1]
        assert event.at is not None and event.at.astimezone(digest.timezone).date() == date(
            2024, 3, 26
        )
    text = compose(weekly).text
    assert "Platform event on x on 2024-03-26: 2 accounts dropped (one, two)" in text
    assert "Milestones reached this week" in text and "Anomalies this week" in text
    # The figures are the end day's, whatever the period; the charts keep to 30 days.
    assert weekly.accounts == daily.accounts
    assert all(p.at >= daily.at - timedelta(days=30) for p in monthly.accounts[0].points)


# --- configuration -----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_digests_key(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[bot]\n"), environ={}).digests == ("daily",)
    chosen = load_settings(write(tmp_path, '[bot]\ndigests = ["monthly", "daily"]\n'), environ={})
    assert chosen.digests == ("daily", "monthly")
    weekly = load_settings(write(tmp_path, '[bot]\ndigests = ["weekly"]\n'), environ={})
    assert weekly.digests == ("weekly",)


@pytest.mark.parametrize(
    "value", ["[]", '["yearly"]', '["daily", "Weekly"]', '"weekly"', "[1]", "true"]
)
def test_bad_digests_key(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"[bot]\ndigests = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert message.startswith(f"{path}: bot.digests: expected a non-empty list chosen from daily")
    assert "\n" not in message


def test_build_refuses_an_unknown_period(engine: Engine) -> None:
    with pytest.raises(InputError, match="--period: expected one of day, week, month"):
        build_digest(engine, ALL, date(2025, 3, 30), period="year")


# --- the command -------------------------------------------------------------------------------


def test_command_prints_a_week_and_a_month(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    digest_history.load(engine)
    week = run_cli(capsys, "digest", "--period", "week", "--date", "2024-03-25")
    assert week.code == 0, week.err
    assert week.out == (GOLDEN / "2024-03-31-weekly.txt").read_text(encoding="utf-8")
    month = run_cli(capsys, "digest", "--period", "month", "--date", "2024-03-01", "-f", "markdown")
    assert month.out == (GOLDEN / "2024-03-31-monthly.md").read_text(encoding="utf-8")
    day = run_cli(capsys, "digest", "--period", "day", "--date", "2024-03-31")
    assert day.out == (GOLDEN / "2024-03-31.txt").read_text(encoding="utf-8")


def test_command_defaults_to_the_last_complete_period(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paris = ZoneInfo("Europe/Paris")
    before = datetime.now(paris).date()
    week = run_cli(capsys, "digest", "--period", "week", "-f", "json")
    month = run_cli(capsys, "digest", "--period", "month", "-f", "json")
    after = datetime.now(paris).date()
    assert week.code == 0 and month.code == 0, week.err + month.err
    sundays = {periods.last_complete("week", d).isoformat() for d in (before, after)}
    month_ends = {periods.last_complete("month", d).isoformat() for d in (before, after)}
    assert any(f'"date": "{d}"' in week.out for d in sundays)
    assert any(f'"date": "{d}"' in month.out for d in month_ends)
    assert '"period": "week"' in week.out and '"period": "month"' in month.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "year"], "error: --period: expected one of day, week, month, got 'year'"),
        (["--period", "week", "--date", "today"], "error: --date: the week "),
        (["--period", "month", "--date", "2999-01-10"], "error: --date: the month 2999-01-01 to"),
        (["--period", "week", "--date", "31/03/2024"], "error: --date: expected a date like"),
    ],
)
def test_command_refuses_bad_periods(
    cli_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "digest", *args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1, result.err
    assert result.out == ""


def test_command_sends_a_week_once(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    digest_history.load(engine)
    args = ("digest", "--period", "week", "--date", "2024-03-31", "--send")
    first = run_cli(capsys, *args)
    assert (first.code, first.out) == (0, "weekly:files: sent\n"), first.err
    folder = cli_env / "data" / "digests"
    assert (folder / "2024-03-31-weekly.md").read_text(encoding="utf-8") == (
        GOLDEN / "2024-03-31-weekly.md"
    ).read_text(encoding="utf-8")
    assert run_cli(capsys, *args).out == "weekly:files: skipped\n"
    assert run_cli(capsys, *args, "--force").out == "weekly:files: sent\n"
    # The daily digest of the same Sunday is a delivery of its own.
    daily = run_cli(capsys, "digest", "--date", "2024-03-31", "--send")
    assert daily.out == "files: sent\n"
    assert not (folder / "2024-03-31-monthly.md").exists()
