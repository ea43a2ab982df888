"""The query paths at scale: many accounts per statement give what each account's own rule gives.

A varied history (gaps, suspect points, a stale account beside fresh ones, an account with none,
a removed one, groups) is read for every account at once and compared with a reference model
applied to each account's points alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from bot import growth
from bot.config import Settings
from bot.kinds import AccountStatus, Quality
from bot.query import rows as views
from bot.store import history
from bot.store.accounts import all_accounts
from bot.store.listing import listed_accounts
from bot.store.tables import ACCOUNT
from bot.store.writes import NewSnapshot, insert_snapshots
from tests.helpers.store import snap

T0 = datetime(2024, 1, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
AT = T0 + 40 * DAY


def _accounts(engine: Engine) -> list[int]:
    """Six accounts: groups, a label, one removed, created in an order unlike their names."""
    rows = [
        ("bluesky", "fresh.bsky.social", ["news", "b", "café"], AccountStatus.ACTIVE),
        ("mastodon", "stale@example.social", ["news", 'say "hi"', "50%_"], AccountStatus.ACTIVE),
        ("bluesky", "gappy.bsky.social", [], AccountStatus.ACTIVE),
        ("x", "suspectlast", ["b", "a\\b", "Ünï 🙂"], AccountStatus.ACTIVE),
        ("bluesky", "empty.bsky.social", ["news"], AccountStatus.ACTIVE),
        ("github", "gone", ["news"], AccountStatus.REMOVED),
    ]
    with engine.begin() as connection:
        for i, (platform, handle, groups, status) in enumerate(rows):
            connection.execute(
                insert(ACCOUNT).values(
                    platform=platform,
                    handle=handle,
                    label=f"label {i}" if i % 2 else None,
                    groups=groups,
                    status=status,
                    created_at=T0 - DAY,
                    last_polled_at=T0 + i * DAY if i != 4 else None,
                    last_error="HTTP 503" if i == 3 else None,
                )
            )
    with engine.connect() as connection:
        return [row.id for row in listed_accounts(connection, removed=True)]


def _history(ids: dict[str, int]) -> list[NewSnapshot]:
    """Daily points with gaps and suspect ones; ``stale`` stops 13 days before ``AT``."""
    rows: list[NewSnapshot] = []
    for day in range(41):
        at = T0 + day * DAY
        rows.append(snap(ids["fresh"], at, 1000 + 5 * day, posts=day))
        if day <= 27:
            # Twice a day: at ``AT - 5 days`` its 7-day baseline is 12 hours before its last one.
            rows.append(snap(ids["stale"], at + timedelta(hours=3), 200 + day))
            rows.append(snap(ids["stale"], at + timedelta(hours=15), 300 + day))
        if day % 3 != 1:
            suspect = day % 7 == 0
            quality = Quality.SUSPECT if suspect else Quality.OK
            rows.append(snap(ids["gappy"], at, 3 if suspect else 50 + day, quality=quality))
        last = day == 40
        quality = Quality.SUSPECT if last else Quality.OK
        rows.append(snap(ids["suspectlast"], at, 1 if last else 70 + day, quality=quality))
        rows.append(snap(ids["gone"], at, 9 + day))
    return rows


def _reference(
    points: list[growth.Point], *, at: datetime, target: datetime, tol: timedelta
) -> tuple[growth.Point | None, growth.Point | None, growth.Point | None]:
    """growth_candidates' rule over one account's good points, sorted by time."""
    current = max((p for p in points if p.at <= at), key=lambda p: p.at, default=None)
    if current is None:
        return None, None, None
    older = [p for p in points if p.at < current.at]
    before = [p for p in older if target - tol <= p.at < target]
    after = [p for p in older if target <= p.at <= min(target + tol, at)]
    return (
        current,
        max(before, key=lambda p: p.at, default=None),
        min(after, key=lambda p: p.at, default=None),
    )


@pytest.fixture
def stored(engine: Engine) -> tuple[dict[str, int], dict[int, list[growth.Point]]]:
    """The accounts by short name and each one's good points."""
    names = ["empty", "fresh", "gappy", "gone", "stale", "suspectlast"]  # by platform, handle
    ordered = _accounts(engine)
    by_handle: dict[str, int] = {}
    with engine.connect() as connection:
        for row in listed_accounts(connection, removed=True):
            by_handle[next(n for n in names if row.handle.startswith(n))] = row.id
    assert sorted(by_handle.values()) == sorted(ordered)
    rows = _history(by_handle)
    with engine.begin() as connection:
        insert_snapshots(connection, rows)
    good: dict[int, list[growth.Point]] = {i: [] for i in ordered}
    for row in sorted(rows, key=lambda r: r["captured_at"]):
        if row["quality"] != Quality.SUSPECT:
            point = growth.Point(row["captured_at"], row["followers"], None, row["posts"])
            good[row["account_id"]].append(point)
    return by_handle, good


@pytest.mark.parametrize("period", ["1d", "7d", "30d", "365d", "ytd"])
@pytest.mark.parametrize("back", [0, 5, 13])
def test_growth_candidates_follow_each_accounts_own_points(
    engine: Engine,
    stored: tuple[dict[str, int], dict[int, list[growth.Point]]],
    period: str,
    back: int,
) -> None:
    ids, good = stored
    at = AT - back * DAY
    target = growth.period_target(period, at, UTC)
    tol = growth.tolerance(period)
    with engine.connect() as connection:
        found = history.growth_candidates(
            connection, sorted(good), at=at, target=target, tol=tol
        )
    for account_id, points in good.items():
        got = tuple(row.point() if row else None for row in found[account_id])
        assert got == _reference(points, at=at, target=target, tol=tol), account_id
    # The stale account beside fresh ones (newer snapshots elsewhere): its own current figure
    # bounds its candidates, so an older one within the tolerance is still found.
    if period == "7d" and back == 5:
        current, before, _ = found[ids["stale"]]
        assert current is not None and before is not None
        assert before.captured_at < current.captured_at


def test_seeks_of_an_account_without_history_and_of_an_unknown_id(
    engine: Engine, stored: tuple[dict[str, int], dict[int, list[growth.Point]]]
) -> None:
    ids, _ = stored
    with engine.connect() as connection:
        latest = history.latest(connection, [ids["empty"], ids["suspectlast"], 999_999])
        recent = history.recent(connection, [ids["suspectlast"], ids["gappy"]])
        ends = history.range_endpoints(connection, [ids["empty"]], first=T0, last=AT)
    assert latest[ids["empty"]] is None
    assert 999_999 not in latest
    newest = latest[ids["suspectlast"]]
    assert newest is not None and (newest.captured_at, newest.quality) == (AT, Quality.SUSPECT)
    # Behind a suspect newest point, the newest good one; a gap (day 40) is no point at all.
    behind = recent[ids["suspectlast"]][1]
    assert behind is not None and (behind.captured_at, behind.followers) == (AT - DAY, 109)
    newest_good = recent[ids["gappy"]]
    assert [r.captured_at if r else None for r in newest_good] == [AT - DAY, AT - DAY]
    assert ends == {ids["empty"]: (None, None)}


# Names a database could read as a pattern, a prefix, a substring or another case, store
# escaped in the JSON text, or (NUL) refuse as a parameter.
GROUPS = [None, "news", "b", "nobody", "new", "café", 'say "hi"', "50%_", "%", "a\\b", "Ünï 🙂"]
GROUPS += ["News", "xnews", "a\x00b"]
NOBODYS = ("nobody", "new", "%", "News", "xnews", "a\x00b")


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("removed", [False, True])
def test_listed_accounts_are_all_accounts_as_light_rows(
    engine: Engine,
    stored: tuple[dict[str, int], dict[int, list[growth.Point]]],
    group: str | None,
    removed: bool,
) -> None:
    with Session(engine) as session:
        expected = [
            (
                a.id,
                a.platform,
                a.handle,
                a.label,
                a.groups,
                a.status,
                a.created_at,
                a.last_polled_at,
                a.last_error,
            )
            for a in all_accounts(session, group, removed=removed)
        ]
    with engine.connect() as connection:
        got = [
            (
                a.id,
                a.platform,
                a.handle,
                a.label,
                a.groups,
                a.status,
                a.created_at,
                a.last_polled_at,
                a.last_error,
            )
            for a in listed_accounts(connection, group, removed=removed)
        ]
    assert got == expected
    assert (group in NOBODYS) == (got == [])


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("removed", [False, True])
def test_a_groups_growth_and_listing_are_its_members_lines_of_the_whole(
    engine: Engine,
    stored: tuple[dict[str, int], dict[int, list[growth.Point]]],
    group: str | None,
    removed: bool,
) -> None:
    # The group is filtered inside the statement now; the members come from each account's
    # own list, and their lines must be those of the ungrouped answer, in the same order.
    with Session(engine) as session:
        members = {
            (a.platform, a.handle)
            for a in all_accounts(session, removed=removed)
            if group is None or group in a.groups
        }
    settings = Settings()
    growth_of = partial(views.growth_rows, engine, settings, period="7d", at=AT, removed=removed)
    every = growth_of(group=None)
    assert growth_of(group=group) == [r for r in every if (r["platform"], r["handle"]) in members]
    listed = views.account_rows(engine, None, removed=removed)
    grouped = views.account_rows(engine, group, removed=removed)
    assert grouped == [r for r in listed if (r["platform"], r["handle"]) in members]
    assert (grouped == []) == (group in NOBODYS)


@pytest.mark.parametrize("raw", ["null", '"news"', '{"news": 1}', "[1]", '[["news"]]', '"1"'])
def test_a_groups_value_that_is_no_list_of_names_puts_the_account_in_no_group(
    engine: Engine, raw: str
) -> None:
    # The bot stores only lists of names; a value written by hand must neither match nor
    # make the statement fail for the other accounts (PostgreSQL's array functions raise).
    _accounts(engine)
    value = "CAST(:raw AS json)" if engine.dialect.name == "postgresql" else ":raw"
    with engine.begin() as connection:
        statement = text(f"UPDATE account SET groups = {value} WHERE handle = 'fresh.bsky.social'")
        connection.execute(statement, {"raw": raw})
    with engine.connect() as connection:
        handles = {g: {a.handle for a in listed_accounts(connection, g)} for g in ("news", "1")}
    assert handles == {"news": {"empty.bsky.social", "stale@example.social"}, "1": set()}
