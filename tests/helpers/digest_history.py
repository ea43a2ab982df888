"""A fixed history for the digest tests and the sample digest in docs/.

The digest day is Sunday 2024-03-31 in Europe/Paris: clocks go forward that night, so the day
lasts 23 hours (2024-03-30T23:00Z to 2024-03-31T22:00Z), and its 365-day window reaches back
over the leap day 2024-02-29. Snapshots are taken daily at 00:00Z, then from 20 February every
6 hours (00, 06, 12, 18 UTC), and:

- mastodon:comms@social.example: two years of history; a snapshot at 2024-03-31T22:30Z (already
  1 April in Paris) jumps past 25,000 and must appear in no digest of 31 March.
- facebook:acmepage: no post counter; crosses 100,000 at 2024-03-30T23:30Z, which is 00:30 on
  31 March in Paris (30 March in UTC).
- x:acme: a drop of 30% at 2024-03-31T06:00Z that the next polls confirmed (confirmed_drop).
- x:acme_news: a count of 0 at 2024-03-31T12:00Z (suspect), back at 18:00Z; history since
  2023-06-01, so its 365-day window is null. With x:acme: a platform event on x.
- youtube:UCacme: subscribers rounded to 3 significant figures (precision 10,000).
- bluesky:acme.example: since 2024-01-15, no data from 2024-03-20 to 2024-03-27 (7-day window
  null), heading for 5,000.
- telegram:@acmechannel: no post counter, last poll attempt timed out (failing).
- github:acme-labs: no data since 2024-03-25T12:00Z (stale).
- mastodon:new@social.example: three days of history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import AccountSettings, Settings
from bot.store.models import Account, PollAttempt
from bot.store.writes import insert_snapshots

TZ = ZoneInfo("Europe/Paris")
DAY_START = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
END = datetime(2024, 4, 1, 6, 0, tzinfo=UTC)
STEP = timedelta(hours=6)
# Before this, one snapshot a day (00:00Z) is enough for the 7-, 30- and 365-day windows and
# keeps the history small; from it on, every 6 hours as the daemon polls.
DENSE_FROM = datetime(2024, 2, 20, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _days(at: datetime, since: datetime) -> float:
    return (at - since).total_seconds() / 86400


def _rounded(value: int) -> tuple[int, int]:
    """YouTube's 3 significant figures and the rounding step."""
    step = 10 ** max(len(str(value)) - 3, 0)
    return value // step * step, step


@dataclass(frozen=True)
class Spec:
    """One account of the fixed history."""

    platform: str
    handle: str
    label: str | None
    groups: tuple[str, ...]
    start: datetime
    followers: Callable[[datetime], int]
    posts: Callable[[datetime], int | None]
    end: datetime = END
    gap: tuple[datetime, datetime] | None = None
    rounded: bool = False
    # captured_at -> (followers, quality): points that replace or add to the regular ones.
    special: tuple[tuple[datetime, int, str], ...] = ()


def _acme_x(at: datetime) -> int:
    base = 300_000 + int(_days(at, utc(2023, 1, 1)) * 80)
    # The drop at 06:00Z on 31 March is real: the account lost 30%.
    return int(base * 0.7) if at >= utc(2024, 3, 31, 6) else base


SPECS = (
    Spec(
        "mastodon",
        "comms@social.example",
        "Comms (Mastodon)",
        ("institution",),
        utc(2022, 12, 1),
        lambda at: 8_000 + int(_days(at, utc(2022, 12, 1)) * 9.5),
        lambda at: 1_200 + int(_days(at, utc(2022, 12, 1)) * 1.3),
        special=((utc(2024, 3, 31, 22, 30), 25_400, "ok"),),
    ),
    Spec(
        "facebook",
        "acmepage",
        "Acme on Facebook",
        ("institution",),
        utc(2023, 3, 1),
        lambda at: 100_000 + round((at - utc(2024, 3, 30, 23, 15)).total_seconds() / 900),
        lambda at: None,
        special=((utc(2024, 3, 30, 23, 30), 100_001, "ok"),),
    ),
    Spec(
        "x",
        "acme",
        "Acme on X",
        ("institution",),
        utc(2023, 1, 1),
        _acme_x,
        lambda at: 5_000 + int(_days(at, utc(2023, 1, 1)) * 3),
        special=((utc(2024, 3, 31, 6), _acme_x(utc(2024, 3, 31, 6)), "confirmed_drop"),),
    ),
    Spec(
        "x",
        "acme_news",
        "Acme News",
        ("peers",),
        utc(2023, 6, 1),
        lambda at: 40_000 + int(_days(at, utc(2023, 6, 1)) * 20),
        lambda at: 9_000 + int(_days(at, utc(2023, 6, 1)) * 12),
        special=((utc(2024, 3, 31, 12), 0, "suspect"),),
    ),
    Spec(
        "youtube",
        "UCacme",
        "Acme TV",
        ("institution",),
        utc(2023, 1, 1),
        lambda at: 1_180_000 + int(_days(at, utc(2023, 1, 1)) * 150),
        lambda at: 800 + int(_days(at, utc(2023, 1, 1)) / 2),
        rounded=True,
    ),
    Spec(
        "bluesky",
        "acme.example",
        "Acme on Bluesky",
        ("peers",),
        utc(2024, 1, 15),
        lambda at: 3_000 + int(_days(at, utc(2024, 1, 15)) * 25),
        lambda at: 150 + int(_days(at, utc(2024, 1, 15)) * 2),
        gap=(utc(2024, 3, 20), utc(2024, 3, 28)),
    ),
    Spec(
        "telegram",
        "@acmechannel",
        None,
        (),
        utc(2023, 1, 1),
        lambda at: 12_000 + int(_days(at, utc(2023, 1, 1)) * 5),
        lambda at: None,
        end=utc(2024, 3, 31, 12),
    ),
    Spec(
        "github",
        "acme-labs",
        "Acme Labs",
        (),
        utc(2023, 1, 1),
        lambda at: 700 + int(_days(at, utc(2023, 1, 1)) / 2),
        lambda at: 40 + int(_days(at, utc(2023, 1, 1)) / 30),
        end=utc(2024, 3, 25, 12),
    ),
    Spec(
        "mastodon",
        "new@social.example",
        "New account",
        ("peers",),
        utc(2024, 3, 29),
        lambda at: 300 + int(_days(at, utc(2024, 3, 29)) * 40),
        lambda at: 10 + int(_days(at, utc(2024, 3, 29)) * 4),
    ),
)


def _rows(spec: Spec, account_id: int) -> list[dict[str, object]]:
    """Every 6 h from start to end, minus the gap, with the special points."""
    special = {at: (followers, quality) for at, followers, quality in spec.special}
    times = []
    at = spec.start
    while at <= spec.end:
        if not (spec.gap and spec.gap[0] <= at < spec.gap[1]):
            times.append(at)
        at += STEP if at >= DENSE_FROM else timedelta(days=1)
    times = sorted(set(times) | {t for t in special if t <= END})
    rows = []
    for at in times:
        followers, quality = special.get(at, (spec.followers(at), "ok"))
        precision = 1
        if spec.rounded:
            followers, precision = _rounded(followers)
        rows.append(
            {
                "account_id": account_id,
                "captured_at": at,
                "followers": followers,
                "following": None,
                "posts": spec.posts(at),
                "extra": None,
                "precision": precision,
                "source": "import",
                "quality": quality,
            }
        )
    return rows


def load(engine: Engine, specs: tuple[Spec, ...] = SPECS) -> Settings:
    """Write the fixed history into ``engine``; the Settings that configure its accounts."""
    with Session(engine) as session:
        accounts = []
        for spec in specs:
            account = Account(
                platform=spec.platform,
                handle=spec.handle,
                label=spec.label,
                groups=list(spec.groups),
                created_at=spec.start,
            )
            session.add(account)
            accounts.append(account)
        session.commit()
        ids = {(a.platform, a.handle): a.id or 0 for a in accounts}
        telegram = ids[("telegram", "@acmechannel")]
        session.add(
            PollAttempt(
                account_id=telegram,
                started_at=utc(2024, 3, 31, 12),
                duration_ms=120,
                outcome="ok",
            )
        )
        session.add(
            PollAttempt(
                account_id=telegram,
                started_at=utc(2024, 3, 31, 18),
                duration_ms=30_000,
                outcome="timeout",
                message="timed out after 30 s",
            )
        )
        session.commit()
    with engine.begin() as connection:
        for spec in specs:
            insert_snapshots(connection, _rows(spec, ids[(spec.platform, spec.handle)]))
    return Settings(
        timezone=TZ,
        accounts=tuple(AccountSettings(s.platform, s.handle, s.label, s.groups) for s in specs),
    )
