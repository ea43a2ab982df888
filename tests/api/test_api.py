"""The read-only HTTP API over the seed history: same JSON as the CLI, a token, clear errors."""

from __future__ import annotations

import signal
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.config import load_settings
from bot.io.load import import_history
from tests.helpers.cli import run_cli
from tests.helpers.processes import TIMEOUT, bot, environment, read_line_with, rest_of

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"
TOKEN = "api-Secret-7f3c"
NOW = datetime(2022, 1, 5, 12, tzinfo=UTC)


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> TestClient:
    """The API over the imported seed, with BOT_API_TOKEN set."""
    config = tmp_path / "accounts.toml"
    config.write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    settings = load_settings(config, environ={"BOT_API_TOKEN": TOKEN})
    import_history(engine, settings, SEED, NOW)
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


@pytest.mark.process
def test_bot_serve_process_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "accounts.toml").write_text("")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**environment(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}"), "BOT_API_TOKEN": TOKEN}
    process = subprocess.Popen(
        bot("serve", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        read_line_with(process, "stderr", "Uvicorn running")
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        answer = httpx.get(
            f"{base}/accounts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert answer.status_code == 200 and answer.json() == []
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=TIMEOUT)
    rest = rest_of(process, "stderr")
    assert code == 0 and TOKEN not in rest
