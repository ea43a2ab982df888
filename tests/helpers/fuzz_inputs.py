"""Hostile inputs for the query words, the API's query parameters and the importer, and the
checks every input must pass: shared by the bounded tests (tests/test_fuzz_inputs.py) and the
long run (bench/fuzz_inputs.py).

Each ``check_*`` returns None when the input was handled as the contract says (a value, or the
user's error in one line), and a short description of the failure otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.errors import UserError
from bot.io.load import import_history
from bot.output.text import API, CLI, Spelling
from bot.platforms import REGISTRY
from bot.query import words
from bot.store.db import make_engine, migrate
from bot.store.tables import SNAPSHOT

NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
ZONES = [ZoneInfo(name) for name in ("UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Europe/Paris")]
# What a query layer escape looks like in the API: its catch-all, not the layer's own words.
_ESCAPES = ("a value is out of range", "invalid value (")

# --- strategies -------------------------------------------------------------------------------

_EDGE_DATES = [
    "0001-01-01",
    "0001-01-01T00:00+01:00",
    "1969-12-31T23:59:59-14:00",
    "1970-01-01",
    "1970-01-01T00:00:00+14:00",
    "9998-12-31",
    "9998-12-31T23:59:59-12:00",
    "9999-12-31",
    "9999-12-31T23:59:59.999999-23:59",
    "2024-02-30",
    "2024-13-01",
    "today",
    "yesterday",
    "",
    " ",
    "Z",
    "2024-06-30T25:00",
    "+002024-01-01",
]


@st.composite
def date_words(draw: st.DrawFn) -> str:
    """A date or time as a user might type it, or something near one."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(_EDGE_DATES))
    if kind == 1:
        moment = draw(st.datetimes(timezones=st.none() | st.timezones()))
        text = moment.isoformat()
        return text[:10] if draw(st.booleans()) else text
    if kind == 2:
        year = draw(st.integers(1, 9999))
        month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
        offset = draw(st.sampled_from(["", "Z", "+01:00", "-23:59", "+14:00"]))
        time = draw(st.sampled_from(["", "T00:00", "T23:59:59", " 12:00"]))
        return f"{year:04d}-{month:02d}-{day:02d}{time}{offset if time else ''}"
    return draw(st.text(max_size=40))


def query_values() -> st.SearchStrategy[str]:
    """Any query parameter value: dates, numbers, words and junk."""
    return st.one_of(
        date_words(),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["1d", "7d", "ytd", "365D", "raw", "week", "month", "day", "year", "-1"]),
        st.text(max_size=30),
    )


@st.composite
def api_requests(draw: st.DrawFn) -> str:
    """A GET path with query parameters on one of the API's query routes."""
    route = draw(
        st.sampled_from(
            [
                ("/accounts/x/DGSN_MAROC/snapshots", ("since", "until", "every")),
                ("/growth", ("period", "at", "group")),
                ("/report", ("year", "from", "to")),
                ("/digest", ("date", "period")),
                ("/accounts", ("group",)),
            ]
        )
    )
    path, names = route
    if path.startswith("/accounts/") and draw(st.booleans()):
        platform = draw(st.sampled_from([*REGISTRY, "myspace", ""]))
        handle = draw(st.text(min_size=1, max_size=30).filter(lambda h: h not in (".", "..")))
        path = f"/accounts/{platform}/{handle}/snapshots"
    chosen = draw(st.lists(st.sampled_from(names), unique=True))
    params = {name: draw(query_values()) for name in chosen}
    head, _, tail = path.partition("/accounts/")
    if tail:
        path = head + "/accounts/" + quote(tail, safe="/")
    return f"{path}?{urlencode(params)}" if params else path


def _cell() -> st.SearchStrategy[Any]:
    """A value for an import cell: plausible, extreme or wrong in type."""
    return st.one_of(
        st.none(),
        st.integers(-(2**70), 2**70),
        st.sampled_from(["1,234", "1 234", "١٢٣", "²", "+5", "-0", "1e3", "12.0", "NaN", ""]),
        st.text(max_size=12),
        st.floats(allow_nan=True),
        st.lists(st.integers(), max_size=2),
    )


@st.composite
def import_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows of an import file: mostly good-looking, each field sometimes hostile."""
    handles = {
        "x": ["DGSN_MAROC", "dgsn_maroc", "ab_c", "a%"],
        "bluesky": ["bsky.app", "BSKY.app", "bsky\x00.app"],
        "mastodon": ["Gargron@mastodon.social", "gargron@MASTODON.social"],
        "youtube": ["UC_x5XG1OV2P6uZZ5FSM9Ttw", "@handle"],
    }
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        platform = draw(st.sampled_from([*handles, "myspace"]))
        handle = draw(st.sampled_from(handles.get(platform, ["tom"])) | st.text(max_size=20))
        row: dict[str, Any] = {
            "platform": platform,
            "handle": handle,
            "captured_at": draw(date_words()),
            "followers": draw(st.integers(0, 10**9) | _cell()),
        }
        if draw(st.booleans()):
            row["posts"] = draw(_cell())
        if draw(st.booleans()):
            row["following"] = draw(_cell())
        rows.append(row)
    return rows


def write_import_file(directory: Path, rows: list[dict[str, Any]], kind: str) -> Path:
    """``rows`` as a CSV (every column, as text) or a JSON lines file."""
    if kind == "jsonl":
        path = directory / "fuzz.jsonl"
        text = "".join(json.dumps(row, allow_nan=True) + "\n" for row in rows)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return path
    path = directory / "fuzz.csv"
    buffer = io.StringIO()
    columns = ["platform", "handle", "captured_at", "followers", "following", "posts"]
    writer = csv.DictWriter(buffer, columns, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else str(v) for k, v in row.items()})
    path.write_bytes(buffer.getvalue().encode("utf-8", errors="surrogateescape"))
    return path


# --- checks -----------------------------------------------------------------------------------


def _user_error_ok(exc: UserError) -> str | None:
    """A user's error must be one short line."""
    message = str(exc)
    if "\n" in message or len(message) > 600:
        return f"user error not one short line: {message[:120]!r}"
    return None


def _word_calls(text: str, tz: ZoneInfo, spell: Spelling) -> list[Callable[[], object]]:
    """Every query word parser fed ``text``."""
    settings = Settings(timezone=tz)
    return [
        lambda: words.since_until(text, None, tz, spell),
        lambda: words.since_until(None, text, tz, spell),
        lambda: words.at(text, tz, NOW, spell),
        lambda: words.day(text, tz, NOW, spell),
        lambda: words.digest_day(text, "day", tz, NOW, spell),
        lambda: words.digest_day(text, "week", tz, NOW, spell),
        lambda: words.digest_day(text, "month", tz, NOW, spell),
        lambda: words.snapshot_time(text, tz, spell),
        lambda: words.report_period(None, text, "2024-01-01", settings, spell, now=NOW),
        lambda: words.report_period(None, "1970-01-01", text, settings, spell, now=NOW),
        lambda: words.growth_period(text, spell),
        lambda: words.every(text, spell),
        lambda: words.digest_period(text, spell),
    ]


def check_words(text: str, tz: ZoneInfo) -> str | None:
    """Every parser answers a value or an InputError naming a field, in both faces."""
    for spell in (CLI, API):
        for call in _word_calls(text, tz, spell):
            try:
                call()
            except UserError as exc:
                if getattr(exc, "field", None) is None:
                    return f"error names no field for {text!r}: {exc}"
                if (problem := _user_error_ok(exc)) is not None:
                    return problem
            except Exception as exc:
                return f"{type(exc).__name__} for {text!r} in {tz.key}: {exc}"
    return None


def check_year(year: int) -> str | None:
    """``--year`` of any size: a report period or an InputError."""
    try:
        words.report_period(year, None, None, Settings(), API, now=NOW)
    except UserError:
        return None
    except Exception as exc:
        return f"{type(exc).__name__} for year {year}: {exc}"
    return None


def check_api(client: TestClient, path: str) -> str | None:
    """Never a 500: 200, or 400/404 in the one error shape, the field named by the query layer."""
    response = client.get(path)
    if response.status_code == 200:
        return None
    if response.status_code not in (400, 404):
        return f"{response.status_code} for {path}: {response.text[:200]}"
    body = response.json()
    if not isinstance(body, dict) or set(body) != {"error", "field"}:
        return f"wrong error shape for {path}: {body!r}"
    if str(body["error"]).startswith(_ESCAPES):
        return f"escaped the query layer for {path}: {body['error']}"
    return None


def check_import(engine: Engine, settings: Settings, path: Path) -> str | None:
    """Stored, or a one-line error naming the file (and line) with nothing written."""
    before = _snapshots(engine)
    try:
        import_history(engine, settings, path, NOW)
    except UserError as exc:
        if (problem := _user_error_ok(exc)) is not None:
            return problem
        if path.name not in str(exc):
            return f"import error does not name the file: {exc}"
        if _snapshots(engine) != before:
            return f"half-written: {exc}"
    except Exception as exc:
        return f"{type(exc).__name__} importing {path.read_bytes()[:200]!r}: {exc}"
    return None


def _snapshots(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(SNAPSHOT)).scalar_one())


# --- set-up -----------------------------------------------------------------------------------


@contextmanager
def fuzz_target(directory: Path) -> Iterator[tuple[Engine, Settings, TestClient]]:
    """A migrated SQLite database with one account, its settings and an API client on it."""
    config = directory / "accounts.toml"
    config.write_text(
        '[bot]\ntimezone = "Pacific/Kiritimati"\n\n'
        '[[accounts]]\nplatform = "x"\nhandle = "DGSN_MAROC"\n'
    )
    settings = load_settings(config, environ={"DATABASE_URL": f"sqlite:///{directory}/f.db"})
    engine = make_engine(settings.database_url)
    migrate(engine)
    history = directory / "seed.csv"
    history.write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        "x,DGSN_MAROC,2023-06-30,1000,1,10\nx,DGSN_MAROC,2024-06-29,1100,1,12\n"
    )
    import_history(engine, settings, history, NOW)
    app = create_app(settings, engine, clock=ManualClock(NOW))
    try:
        yield engine, settings, TestClient(app, raise_server_exceptions=False)
    finally:
        engine.dispose()
