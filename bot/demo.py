"""``bot demo``: simulator, real poll path and injected clock; then a digest and a report."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings, PlatformSettings, Secret, Settings
from bot.daemon.poller import poll_due
from bot.daemon.runtime import Runtime
from bot.digest import build_digest, render_digest
from bot.growth import year_bounds
from bot.http.client import make_client
from bot.output.tables import render
from bot.query import rows as views
from bot.query.report import year_period
from bot.query.report_text import dated
from bot.simulator import Simulator
from bot.store.accounts import sync_accounts

DEMO_ACCOUNTS = (
    AccountSettings("mastodon", "Gargron@mastodon.social", "Mastodon founder", ("reference",)),
    AccountSettings("mastodon", "newsroom@mastodon.social", "Newsroom", ("press",)),
    AccountSettings("bluesky", "bsky.app", "Bluesky", ("reference",)),
    AccountSettings("bluesky", "press-office.bsky.social", "Press office", ("press",)),
    AccountSettings("bluesky", "missing-account.bsky.social", "Gone", ("press",)),
    AccountSettings("x", "DGSN_MAROC", "DGSN on X", ("institution",)),
    AccountSettings("youtube", "@newsroom", "Newsroom video", ("press",)),
)
# The simulator accepts any token but "bad-token"; the demo's is not a secret.
DEMO_TOKEN = "demo-token"
STEP = timedelta(hours=12)


def demo_settings(base_url: str) -> Settings:
    """Settings pointing every demo platform at the local simulator."""
    return Settings(
        timezone=ZoneInfo("Africa/Casablanca"),
        poll_interval=STEP,
        platforms={
            # The simulator listens on loopback, which platforms may reach only when allowed.
            account.platform: PlatformSettings(
                name=account.platform,
                base_url=base_url,
                token=Secret(DEMO_TOKEN),
                allow_private_addresses=True,
            )
            for account in DEMO_ACCOUNTS
        },
        accounts=DEMO_ACCOUNTS,
        database_url="(demo)",
    )


async def run_demo(engine: Engine, *, days: int, out: TextIO | None = None) -> Settings:
    """Poll the simulator every 12 simulated hours for ``days`` days, then print the results."""
    stream = out or sys.stdout
    end = datetime(2026, 1, 2, tzinfo=UTC)
    clock = ManualClock(end - timedelta(days=days))
    simulator = Simulator(clock)
    # A re-run polls by the ids the first run stored: this simulator knows them as the first did.
    for entry in DEMO_ACCOUNTS:
        simulator.remember(entry.platform, [entry.handle])
    base_url = await simulator.start("127.0.0.1", 0)
    settings = demo_settings(base_url)
    try:
        with Session(engine) as session:
            # A re-run replays the same simulated days: make every account due again.
            for account in sync_accounts(session, settings, clock()):
                account.next_poll_at = clock()
                session.add(account)
            session.commit()
        stream.write(
            f"simulator on {base_url}; polling {len(DEMO_ACCOUNTS)} accounts "
            f"every 12 h from {clock():%Y-%m-%d} to {end:%Y-%m-%d}…\n"
        )
        polls = 0
        # One runtime for the whole run, as the daemon keeps one: budgets and ids carry over.
        runtime = Runtime(settings, clock)
        async with make_client() as client:
            while clock() <= end:
                polls += len(
                    await poll_due(
                        engine=engine,
                        settings=settings,
                        client=client,
                        clock=clock,
                        runtime=runtime,
                    )
                )
                clock.advance(STEP)
        requests = sum(simulator.requests.values())
        stream.write(f"{polls} account polls in {requests} HTTP requests\n\n")
    finally:
        await simulator.stop()
    _print_results(engine, settings, end, stream)
    return settings


def _print_results(engine: Engine, settings: Settings, end: datetime, stream: TextIO) -> None:
    """Accounts, growth over 30 and 365 days, and the annual report of the last full year."""
    render(views.account_rows(engine), views.ACCOUNT_COLUMNS, "table", out=stream, title="Accounts")
    for period in ("30d", "365d"):
        rows = views.growth_rows(engine, settings, period=period, at=end, group=None)
        render(rows, views.GROWTH_COLUMNS, "table", out=stream, title=f"Growth over {period}")
    year = end.year - 1
    first, last = year_bounds(year, settings.timezone)
    lines = views.report(engine, settings, first=first, last=last)
    render(
        views.report_table_rows(lines),
        dated(views.REPORT_COLUMNS, year_period(year, settings, end)),
        "table",
        out=stream,
        title=f"Annual report {year} ({settings.timezone.key})",
    )
    # The digest of the last simulated day, as the daemon would send it the morning after.
    last_day = end.astimezone(settings.timezone).date() - timedelta(days=1)
    stream.write("\n" + render_digest(build_digest(engine, settings, last_day, now=end), "text"))
