"""The read-only HTTP API over the seed history: same JSON as the CLI, a token, clear errors."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import load_settings
from bot.io.load import import_history
from tests.helpers.cli import run_cli
from tests.helpers.processes import TIMEOUT, bot, environment, read_line_with, rest_of

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"
TOKEN = "api-Secret-7f3c"
NOW = datetime(2022, 1, 5, 12, tzinfo=UTC)
# The seed has a row after NOW; an import refuses rows later than its own now.
IMPORTED = datetime(2022, 2, 1, tzinfo=UTC)


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> TestClient:
    """The API over the imported seed, with BOT_API_TOKEN set."""
    config = tmp_path / "accounts.toml"
    config.write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    settings = load_settings(config, environ={"BOT_API_TOKEN": TOKEN})
    import_history(engine, settings, SEED, IMPORTED)
    return TestClient(create_app(settings, engine, clock=ManualClock(NOW)))


def get(client: TestClient, path: str) -> object:
    response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_report_gives_the_seed_figures(client: TestClient) -> None:
    document = get(client, "/report?year=2021")
    assert isinstance(document, dict) and document["year"] == 2021
    lines = {a["platform"]: a for a in document["accounts"]}
    assert lines["x"]["followers_growth_pct"] == 40.0
    assert lines["facebook"]["followers_growth_pct"] == 47.28
    assert lines["x"]["posts_in_period"] == 1061
    ranged = get(client, "/report?from=2021-01-01&to=2021-12-31")
    assert isinstance(ranged, dict) and ranged["from"] == "2021-01-01"


def test_query_routes_answer_the_cli_json(client: TestClient) -> None:
    accounts = get(client, "/accounts")
    assert isinstance(accounts, list)
    assert {(a["platform"], a["handle"]) for a in accounts} == {
        ("x", "DGSN_MAROC"),
        ("facebook", "DGSN.MAROC"),
    }
    rows = get(client, "/accounts/x/DGSN_MAROC/snapshots?since=2021-12-31")
    assert isinstance(rows, list) and rows[0]["followers"] == 317074
    assert set(rows[0]) == {"captured_at", "followers", "following", "posts"}
    growth = get(client, "/growth?period=365d&at=2021-12-31")
    assert isinstance(growth, list)
    assert {g["handle"]: g["growth_pct"] for g in growth}["DGSN_MAROC"] == 40.0
    status = get(client, "/status")
    assert isinstance(status, dict) and set(status) == {"platforms", "accounts"}
    digest = get(client, "/digest?date=2021-12-31")
    assert isinstance(digest, dict) and digest["date"] == "2021-12-31"


@pytest.mark.parametrize("group", ["%00", "%25", "nobody", "a%5Cb"])
def test_a_group_no_account_is_in_answers_an_empty_list(client: TestClient, group: str) -> None:
    # Imported accounts have no groups; a NUL or a pattern is a name like any other.
    assert get(client, f"/accounts?group={group}") == []
    assert get(client, f"/growth?period=7d&at=2021-12-31&group={group}") == []


def test_a_token_is_required(client: TestClient) -> None:
    assert client.get("/accounts").status_code == 401
    wrong = client.get("/accounts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in wrong.text
    assert client.get("/healthz").json() == {"status": "ok"}  # no token needed


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/accounts/x/nobody/snapshots", 404, "unknown account"),
        ("/growth?period=banana", 400, "period"),
        ("/report", 400, "year=YYYY or from=D&to=D"),
        ("/report?year=1800", 400, "year"),
        ("/accounts/x/DGSN_MAROC/snapshots?since=yesterdayish", 400, "since"),
        ("/digest?period=year", 400, "period"),
    ],
)
def test_query_mistakes_are_clear_errors(
    client: TestClient, path: str, status: int, words: str
) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == status, response.text
    assert words in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "field", "error"),
    [
        ("/growth?period=banana", "period", "period: unknown period 'banana': expected one of 1d"),
        ("/growth?at=soon", "at", "at: expected a date like 2021-12-31 or an ISO time"),
        # FastAPI's own validation answers in the same shape, with a 400 instead of its 422.
        ("/report?year=abc", "year", "year: input should be a valid integer"),
        ("/report?year=1800", "year", "year: expected a year like 2021, got 1800"),
        ("/report", "year", "report: give either year=YYYY or from=D&to=D (exactly one of them)"),
        ("/report?from=2021-01-01", "to", "report: to is missing (from=D&to=D)"),
        ("/report?from=2021-05-01&to=2021-01-01", "to", "to (2021-01-01) is before from"),
        ("/report?from=spring&to=2021-01-01", "from", "from: expected a date like"),
        ("/digest?date=31/03/2024", "date", "date: expected a date like 2024-03-31, today or"),
        ("/digest?date=2999-01-01", "date", "date: 2999-01-01 has not started yet"),
        ("/digest?date=2022-01-05&period=week", "date", "date: the week 2022-01-03 to 2022-01-09"),
        ("/digest?period=year", "period", "period: expected one of day, week, month, got 'year'"),
        (
            "/accounts/x/DGSN_MAROC/snapshots?every=hour",
            "every",
            "every: expected one of raw, day, week, month, got 'hour'",
        ),
        ("/accounts/x/DGSN_MAROC/snapshots?until=soon", "until", "until: expected a date"),
    ],
)
def test_mistakes_answer_one_error_shape_naming_the_field(
    client: TestClient, path: str, field: str, error: str
) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "field"} and body["field"] == field
    assert body["error"].startswith(error), body["error"]
    assert "--" not in body["error"]  # the API's spelling, not the command line's


def test_not_found_and_unauthorized_share_the_shape(client: TestClient) -> None:
    missing = client.get(
        "/accounts/x/nobody/snapshots", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert missing.status_code == 404
    assert missing.json() == {"error": missing.json()["error"], "field": None}
    refused = client.get("/status")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": "missing or wrong bearer token (BOT_API_TOKEN)",
        "field": None,
    }


def test_serving_beyond_loopback_needs_a_token(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text("")
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_API_TOKEN", raising=False)
    result = run_cli(capsys, "serve", "--host", "0.0.0.0")
    assert result.code == 2
    assert "set BOT_API_TOKEN before serving beyond loopback" in result.err
    assert "Traceback" not in result.err


@contextlib.contextmanager
def serving(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``bot serve`` on a free loopback port with ``env`` added, stopped with SIGTERM after."""
    (tmp_path / "accounts.toml").write_text("")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        bot("serve", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**environment(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}"), **env},
    )
    try:
        read_line_with(process, "stderr", "Uvicorn running")
        yield process, f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=TIMEOUT)


@pytest.mark.process
def test_bot_serve_process_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    with serving(tmp_path, {"BOT_API_TOKEN": TOKEN}) as (process, address):
        base = f"http://{address}"
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        answer = httpx.get(
            f"{base}/accounts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert answer.status_code == 200 and answer.json() == []
    rest = rest_of(process, "stderr")
    assert process.returncode == 0 and TOKEN not in rest


def open_client(
    engine: Engine, tmp_path: Path, environ: dict[str, str], **options: object
) -> TestClient:
    """The API over the seed with ``environ`` as its environment and ``create_app`` options."""
    config = tmp_path / "accounts.toml"
    config.write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    settings = load_settings(config, environ=environ)
    import_history(engine, settings, SEED, IMPORTED)
    return TestClient(create_app(settings, engine, clock=ManualClock(NOW), **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8123", 200),
        ("localhost:8123", 200),
        ("[::1]:8123", 200),
        ("LOCALHOST:8123", 200),
        ("evil.example:8123", 400),
        ("evil.example", 400),
        ("localhost:8124", 400),
        ("127.0.0.1", 400),
        ("", 400),
    ],
)
def test_loopback_without_a_token_answers_only_loopback_host_names(
    engine: Engine, tmp_path: Path, host: str, status: int
) -> None:
    # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends its own Host.
    client = open_client(engine, tmp_path, {}, bound=("127.0.0.1", 8123))
    for path in ("/accounts", "/healthz"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == status, (path, response.text)
        if status == 400:
            assert response.json() == {
                "error": f"host: {host!r} is not this server (expected localhost:8123, "
                "127.0.0.1:8123 or [::1]:8123)",
                "field": "host",
            }


def test_a_token_or_a_public_bind_leaves_the_host_alone(engine: Engine, tmp_path: Path) -> None:
    behind_token = open_client(
        engine, tmp_path, {"BOT_API_TOKEN": TOKEN}, bound=("127.0.0.1", 8123)
    )
    answer = behind_token.get(
        "/accounts", headers={"Host": "bot.example.org", "Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 200


def test_reddit_handles_with_a_slash_are_reachable(engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text("")
    settings = load_settings(config, environ={"BOT_API_TOKEN": TOKEN})
    history = tmp_path / "reddit.csv"
    history.write_text(
        "platform,handle,captured_at,followers,following,posts\n"
        "reddit,r/Python,2021-12-30,1200000,,\nreddit,r/Python,2021-12-31,1200100,,\n"
    )
    import_history(engine, settings, history, IMPORTED)
    client = TestClient(create_app(settings, engine, clock=ManualClock(NOW)))
    rows = get(client, "/accounts/reddit/r/Python/snapshots")
    assert isinstance(rows, list) and [r["followers"] for r in rows] == [1200000, 1200100]
    missing = client.get(
        "/accounts/reddit/r/nobody/snapshots", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert missing.status_code == 404 and missing.json()["field"] is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/accounts/x/DGSN_MAROC/snapshots?until=9999-12-31", "until"),
        ("/accounts/x/DGSN_MAROC/snapshots?since=9999-12-31", "since"),
        ("/accounts/x/DGSN_MAROC/snapshots?since=0001-01-01T00:00%2B01:00", "since"),
        ("/accounts/x/DGSN_MAROC/snapshots?since=0001-01-01", "since"),
        ("/growth?at=9999-12-31", "at"),
        ("/growth?at=0001-01-01", "at"),
        ("/growth?at=9999-12-31T23:59:59-01:00", "at"),
        ("/digest?date=9999-12-31", "date"),
        ("/digest?date=0001-01-01", "date"),
        ("/report?from=0001-01-01&to=9999-12-31", "from"),
        ("/report?year=9999", "year"),
    ],
)
def test_extreme_dates_are_400_in_the_one_shape(
    client: TestClient, path: str, field: str | None
) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "field"}, body
    # The query layer's bounds (bot/query/words.py) name the field.
    assert body["field"] == field, body


def test_an_out_of_range_value_that_escapes_is_still_a_400(engine: Engine, tmp_path: Path) -> None:
    client = open_client(engine, tmp_path, {"BOT_API_TOKEN": TOKEN})
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/overflow")
    def overflow() -> None:
        raise OverflowError("date value out of range")

    response = client.get("/overflow", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "a value is out of range (date value out of range)",
        "field": None,
    }


def test_unknown_routes_and_failures_answer_the_one_shape(engine: Engine, tmp_path: Path) -> None:
    client = open_client(engine, tmp_path, {})
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    assert client.get("/nowhere").json() == {"error": "not Found", "field": None}
    quiet = TestClient(app, raise_server_exceptions=False)
    failed = quiet.get("/broken")
    assert failed.status_code == 500
    assert failed.json() == {"error": "internal error", "field": None}


def test_healthz_says_503_in_json_when_the_database_is_gone(tmp_path: Path) -> None:
    password = "hunter2-Secret-pw"
    gone = create_engine(
        f"postgresql+psycopg://bot:{password}@127.0.0.1:1/none",
        connect_args={"connect_timeout": 2},
    )
    config = tmp_path / "accounts.toml"
    config.write_text("")
    settings = load_settings(config, environ={})
    client = TestClient(create_app(settings, gone, clock=ManualClock(NOW)))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and set(body) == {"status", "error"}
    assert password not in response.text and "127.0.0.1:1" not in body["error"]
    assert response.headers["content-type"] == "application/json"


def test_a_non_ascii_token_matches(engine: Engine, tmp_path: Path) -> None:
    token = "clé-secrète-Ünï-42"
    client = open_client(engine, tmp_path, {"BOT_API_TOKEN": token})
    header = f"Bearer {token}".encode()
    assert client.get("/accounts", headers={"Authorization": header}).status_code == 200
    wrong = f"Bearer {token[:-1]}x".encode()
    assert client.get("/accounts", headers={"Authorization": wrong}).status_code == 401
    assert client.get("/accounts", headers={"Authorization": "Bearer cl"}).status_code == 401


@pytest.mark.process
def test_bot_serve_without_a_token_answers_only_its_own_host_name(tmp_path: Path) -> None:
    with serving(tmp_path, {}) as (process, address):
        base = f"http://{address}"
        assert httpx.get(f"{base}/accounts", timeout=5).json() == []
        local = address.replace("127.0.0.1", "localhost")
        assert httpx.get(f"{base}/accounts", headers={"Host": local}, timeout=5).status_code == 200
        rebound = httpx.get(f"{base}/accounts", headers={"Host": "evil.example"}, timeout=5)
        assert rebound.status_code == 400 and rebound.json()["field"] == "host"
    assert process.returncode == 0
