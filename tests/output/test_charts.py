"""bot.output.charts and `bot chart`: deterministic PNGs, gaps kept as gaps, suspect points out."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import system_clock
from bot.growth import Point
from bot.output.charts import followers_chart_png, gap_threshold, segments
from bot.query import rows as views
from bot.store.accounts import get_or_create
from bot.store.writes import insert_snapshots
from tests.helpers.cli import cli_env, run_cli

CASABLANCA = ZoneInfo("Africa/Casablanca")
START = datetime(2021, 1, 1, tzinfo=UTC)


def _daily(days: range, base: int = 226_482, step: int = 250) -> list[Point]:
    return [Point(START + timedelta(days=d), base + d * step) for d in days]


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every PNG chunk, checking each CRC on the way."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + data) == crc
        chunks.append((kind, data))
        at += 12 + length
    return chunks


def test_png_has_the_requested_size_and_no_metadata() -> None:
    png = followers_chart_png(_daily(range(365)), title="X (@DGSN_MAROC)", tz=CASABLANCA)
    chunks = _chunks(png)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == (600, 220)
    # No Software or creation time: the same history must give byte-identical files.
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds)


def test_custom_size() -> None:
    png = followers_chart_png(
        _daily(range(30)), title="t", tz=CASABLANCA, width_px=800, height_px=300
    )
    assert struct.unpack(">II", _chunks(png)[0][1][:8]) == (800, 300)


def test_same_input_same_bytes_and_the_zone_matters() -> None:
    points = _daily(range(0, 60))
    first = followers_chart_png(points, title="t", tz=CASABLANCA)
    assert followers_chart_png(points, title="t", tz=CASABLANCA) == first
    assert followers_chart_png(list(reversed(points)), title="t", tz=CASABLANCA) == first
    # Tick labels are local dates: a zone 13 hours away moves them.
    assert followers_chart_png(points, title="t", tz=ZoneInfo("Pacific/Auckland")) != first
    assert followers_chart_png(points, title="other", tz=CASABLANCA) != first


def test_empty_history_still_draws() -> None:
    png = followers_chart_png([], title="nothing yet", tz=CASABLANCA)
    assert _chunks(png)[0][0] == b"IHDR"
    assert followers_chart_png([Point(START, None)], title="nothing yet", tz=CASABLANCA) == png


def test_single_point_and_flat_series_draw() -> None:
    one = followers_chart_png([Point(START, 10)], title="t", tz=CASABLANCA)
    flat = followers_chart_png(
        [Point(START + timedelta(days=d), 10) for d in range(5)], title="t", tz=CASABLANCA
    )
    assert one != flat


def test_a_gap_is_not_bridged() -> None:
    with_gap = _daily(range(0, 20)) + _daily(range(40, 60))
    bridged = [
        *with_gap[:20],
        Point(START + timedelta(days=30), 226_482 + 30 * 250),
        *with_gap[20:],
    ]
    assert followers_chart_png(with_gap, title="t", tz=CASABLANCA) != followers_chart_png(
        bridged, title="t", tz=CASABLANCA
    )


@pytest.mark.parametrize(
    ("points", "runs"),
    [
        ([], []),
        (_daily(range(10)), [10]),
        (_daily(range(10)) + _daily(range(20, 25)), [10, 5]),  # 11 days without data
        (_daily(range(0, 70, 7)), [10]),  # weekly data is not "gappy"
        (_daily(range(0, 70, 7)) + _daily(range(100, 120, 7)), [10, 3]),
        # a missing count ends the line: unknown is not 0 and not a straight bridge
        ([*_daily(range(5)), Point(START + timedelta(days=5), None), *_daily(range(6, 9))], [5, 3]),
        ([Point(START, None)], []),
    ],
    ids=["empty", "daily", "pause", "weekly", "weekly-pause", "missing-count", "only-missing"],
)
def test_segments(points: list[Point], runs: list[int]) -> None:
    assert [len(run) for run in segments(points)] == runs


def test_gap_threshold_scales_with_spacing() -> None:
    hourly = [START + timedelta(hours=h) for h in range(48)]
    weekly = [START + timedelta(weeks=w) for w in range(10)]
    assert gap_threshold(hourly) == timedelta(days=1)  # never below a day
    assert gap_threshold(weekly) == timedelta(weeks=3)
    assert gap_threshold([]) == timedelta(days=1)


@pytest.mark.process
def test_drawing_selects_no_global_backend() -> None:
    # Reading rcParams["backend"] would itself resolve (and import) a backend: read it raw.
    code = (
        "import sys, matplotlib\n"
        "raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "before = raw()\n"
        "from datetime import datetime, UTC\nfrom zoneinfo import ZoneInfo\n"
        "from bot.output.charts import followers_chart_png\nfrom bot.growth import Point\n"
        "point = Point(datetime(2021, 1, 1, tzinfo=UTC), 5)\n"
        "followers_chart_png([point], title='t', tz=ZoneInfo('UTC'))\n"
        "print('matplotlib.pyplot' in sys.modules, raw() == before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False", "True"]


# --- `bot chart` and its data (SQLite and PostgreSQL) ---------------------------------------


def _store(engine: Engine, rows: list[tuple[datetime, int | None, str]]) -> None:
    with Session(engine) as session:
        account = get_or_create(session, "mastodon", "dgsn@social.example", system_clock())
        insert_snapshots(
            session.connection(),
            [
                {
                    "account_id": account.id,
                    "captured_at": at,
                    "followers": followers,
                    "following": None,
                    "posts": None,
                    "extra": None,
                    "precision": 1,
                    "source": "import",
                    "quality": quality,
                }
                for at, followers, quality in rows
            ],
        )
        session.commit()


def test_chart_series_leaves_suspect_points_out(engine: Engine) -> None:
    day = timedelta(days=1)
    _store(
        engine,
        [
            (START, 1000, "ok"),
            (START + day, 0, "suspect"),
            (START + 2 * day, 800, "confirmed_drop"),
            (START + 3 * day, 820, "ok"),
        ],
    )
    title, points = views.chart_series(
        engine, "mastodon:dgsn@social.example", since=None, until=START + 2 * day
    )
    assert title == "mastodon:dgsn@social.example: followers"
    assert [(p.at, p.followers) for p in points] == [(START, 1000), (START + 2 * day, 800)]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    return cli_env(monkeypatch, tmp_path, database_url, '[bot]\ntimezone = "Africa/Casablanca"\n')


def test_chart_command_writes_the_png(
    env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(engine, [(START + timedelta(days=d), 1000 + d, "ok") for d in range(40)])
    result = run_cli(capsys, "chart", "mastodon:dgsn@social.example", "--output", "h.png")
    assert result.code == 0, result.err
    assert "h.png: 40 snapshots drawn" in result.out
    whole = (env / "h.png").read_bytes()
    assert _chunks(whole)[0][0] == b"IHDR"
    assert not (env / "h.png.partial").exists()
    part = run_cli(
        capsys, "chart", "mastodon:dgsn@social.example", "-o", "p.png",
        "--since", "2021-01-11", "--until", "2021-01-20",
    )  # fmt: skip
    assert part.code == 0 and "10 snapshots drawn" in part.out
    assert (env / "p.png").read_bytes() != whole


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("chart", "mastodon:nobody@social.example", "-o", "x.png"), 1, "unknown account"),
        (("chart", "myspace:tom", "-o", "x.png"), 1, "unknown platform 'myspace'"),
        (("chart", "mastodon:dgsn@social.example", "-o", "x.jpg"), 2, "ending in .png"),
        (("chart", "mastodon:dgsn@social.example", "-o", "x"), 2, "ending in .png"),
        (("chart", "mastodon:dgsn@social.example", "-o", "x.png", "--since", "soon"), 2, "--since"),
        (("chart", "mastodon:dgsn@social.example", "-o", "nodir/x.png"), 2, "cannot write"),
    ],
)
def test_chart_mistakes_are_one_line(
    env: Path,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    code: int,
    needle: str,
) -> None:
    _store(engine, [(START, 1000, "ok")])
    result = run_cli(capsys, *args)
    assert result.code == code
    assert needle in result.err and result.err.strip().count("\n") == 0
    assert not list(env.glob("*.png"))
