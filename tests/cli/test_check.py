"""`bot check`: one cheap request per platform in use, its answer read into a state and words."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.checks import CheckState, PlatformCheck, budget_text, check_settings
from bot.clock import ManualClock
from bot.config import load_settings
from bot.http.budget import RateBudget
from bot.http.client import make_client
from bot.simulator import Simulator
from tests.helpers.adapters import response_for
from tests.helpers.cli import run_cli

T0 = datetime(2025, 6, 1, tzinfo=UTC)
GOOD_X = "sim-x-token-4f1c9a"
GOOD_FACEBOOK = "sim-fb-token-77e0b2"
GOOD_TELEGRAM = "123456:sim-telegram-9d3e"


@contextmanager
def simulator_in_thread() -> Iterator[tuple[Simulator, str]]:
    """The simulator on its own event loop, so the command under test can run its own."""
    loop = asyncio.new_event_loop()
    simulator = Simulator(ManualClock(T0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        url = asyncio.run_coroutine_threadsafe(simulator.start("127.0.0.1", 0), loop).result(30)
        yield simulator, url
    finally:
        asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def write_setup(
    tmp_path: Path, base_url: str, *, x: str, facebook: str, telegram: str | None
) -> tuple[Path, Path]:
    """An accounts file on the simulator for X, Facebook and Telegram, and its .env."""
    platforms = "".join(
        f'[platforms.{name}]\nbase_url = "{base_url}"\nallow_private_addresses = true\n\n'
        for name in ("x", "facebook", "telegram")
    )
    accounts = "".join(
        f'[[accounts]]\nplatform = "{p}"\nhandle = "{h}"\n\n'
        for p, h in (("x", "DGSN_MAROC"), ("x", "XDevelopers"), ("facebook", "DGSN.MAROC"))
    )
    accounts += '[[accounts]]\nplatform = "telegram"\nhandle = "@telegram"\n'
    config = tmp_path / "accounts.toml"
    config.write_text(platforms + accounts, encoding="utf-8")
    env = tmp_path / "check.env"
    lines = [f"X_BEARER_TOKEN={x}", f"FACEBOOK_ACCESS_TOKEN={facebook}"]
    lines += [f"TELEGRAM_BOT_TOKEN={telegram}"] if telegram else []
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config, env


@pytest.fixture
def check_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean working directory and a SQLite database of its own."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_CONFIG", "X_BEARER_TOKEN", "FACEBOOK_ACCESS_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    return tmp_path


def test_good_wrong_token_and_missing_permission_are_three_states(
    check_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with simulator_in_thread() as (simulator, url):
        config, env = write_setup(
            check_env, url, x=GOOD_X, facebook="no-permission", telegram="bad-token"
        )
        result = run_cli(capsys, "check", "--config", str(config), "--env-file", str(env))
        requests = dict(simulator.requests)
    assert result.code == 1, result.err
    rows = {line.split()[1]: line for line in result.out.splitlines() if line.startswith("│ ")}
    assert "ok" in rows["x"] and "X_BEARER_TOKEN set" in rows["x"]
    assert "auth error" in rows["telegram"] and "Unauthorized" in rows["telegram"]
    assert "missing permission" in rows["facebook"]
    assert "Page Public Metadata" in result.out  # the permission's own name, from Meta's words
    assert "not ready" in result.out
    # One account per platform: X reads one handle of its two.
    assert requests["/2/users/by"] == 1
    for secret in (GOOD_X, "no-permission", "bad-token"):
        assert secret not in result.out + result.err


def test_all_good_exits_zero_and_json_says_ready(
    check_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with simulator_in_thread() as (_simulator, url):
        config, env = write_setup(
            check_env, url, x=GOOD_X, facebook=GOOD_FACEBOOK, telegram=GOOD_TELEGRAM
        )
        result = run_cli(
            capsys, "check", "-c", str(config), "--env-file", str(env), "--format", "json"
        )
    assert result.code == 0, result.out + result.err
    document = json.loads(result.out)
    assert document["ready"] is True
    assert [row["state"] for row in document["platforms"]] == ["ok", "ok", "ok"]
    assert {row["platform"]: row["accounts"] for row in document["platforms"]} == {
        "x": 2,
        "facebook": 1,
        "telegram": 1,
    }
    assert document["platforms"][0]["budget"] == "300 per 15 minutes"
    assert "schema" in document["database"] or "pending" in document["database"]
    for secret in (GOOD_X, GOOD_FACEBOOK, GOOD_TELEGRAM):
        assert secret not in result.out + result.err


def test_offline_sends_nothing_and_names_a_missing_credential(
    check_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with simulator_in_thread() as (simulator, url):
        config, env = write_setup(check_env, url, x=GOOD_X, facebook=GOOD_FACEBOOK, telegram=None)
        result = run_cli(
            capsys, "check", "--offline", "-c", str(config), "--env-file", str(env), "-f", "json"
        )
        sent = sum(simulator.requests.values())
    assert sent == 0
    assert result.code == 1
    rows = {row["platform"]: row for row in json.loads(result.out)["platforms"]}
    assert rows["x"]["state"] == "not checked (offline)"
    assert rows["telegram"]["state"] == "no credentials"
    assert rows["telegram"]["credentials"] == "TELEGRAM_BOT_TOKEN missing"
    assert "TELEGRAM_BOT_TOKEN" in rows["telegram"]["detail"]


def test_a_config_error_is_one_line_and_exit_2(
    check_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = check_env / "accounts.toml"
    config.write_text('[[accounts]]\nplatform = "nosuch"\nhandle = "x"\n', encoding="utf-8")
    result = run_cli(capsys, "check", "--config", str(config))
    assert result.code == 2
    assert result.err.startswith("error: ") and len(result.err.strip().splitlines()) == 1


def test_no_accounts_is_not_ready(check_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = check_env / "accounts.toml"
    config.write_text('[bot]\ntimezone = "UTC"\n', encoding="utf-8")
    result = run_cli(capsys, "check", "--config", str(config))
    assert result.code == 1
    assert result.out.rstrip().endswith("not ready: no [[accounts]] configured")


# Recorded (or, where the fixture says so, documented) error bodies: platform, its .env line,
# the fixture served for every request, the state `bot check` must report and words it shows.
RECORDED = [
    (
        "facebook",
        "FACEBOOK_ACCESS_TOKEN=t0k3n-fb",
        "facebook/error-100-missing-page-permission.json",
        CheckState.MISSING_PERMISSION,
        "pages_read_engagement",
    ),
    (
        "facebook",
        "FACEBOOK_ACCESS_TOKEN=t0k3n-fb",
        "facebook/error-190-invalid-token.json",
        CheckState.AUTH_ERROR,
        "Graph error 190",
    ),
    (
        "instagram",
        "INSTAGRAM_ACCESS_TOKEN=t0k3n-ig",
        "instagram/error-190-expired-token.json",
        CheckState.AUTH_ERROR,
        "190",
    ),
    (
        "youtube",
        "YOUTUBE_API_KEY=t0k3n-yt",
        "youtube/error-400-key-invalid.json",
        CheckState.AUTH_ERROR,
        "API key refused",
    ),
    (
        "youtube",
        "YOUTUBE_API_KEY=t0k3n-yt",
        "youtube/error-403-permission-denied.json",
        CheckState.MISSING_PERMISSION,
        "YouTube Data API v3",
    ),
    (
        "youtube",
        "YOUTUBE_API_KEY=t0k3n-yt",
        "youtube/error-403-quota-exceeded.json",
        CheckState.RATE_LIMITED,
        "quota",
    ),
    (
        "x",
        "X_BEARER_TOKEN=t0k3n-x",
        "x/error-403-client-forbidden.json",
        CheckState.MISSING_PERMISSION,
        "users lookup",
    ),
    ("x", "X_BEARER_TOKEN=t0k3n-x", "x/error-401-unauthorized.json", CheckState.AUTH_ERROR, "401"),
    (
        "telegram",
        "TELEGRAM_BOT_TOKEN=1:t0k3n-tg",
        "telegram/error-403-bot-kicked.json",
        CheckState.MISSING_PERMISSION,
        "bot was kicked",
    ),
    (
        "twitch",
        "TWITCH_CREDENTIALS=cid:t0k3n-tw",
        "twitch/error-401-invalid-oauth-token.json",
        CheckState.AUTH_ERROR,
        "Invalid OAuth token",
    ),
    (
        "github",
        "GITHUB_TOKEN=t0k3n-gh",
        "github/error-401-bad-credentials.json",
        CheckState.AUTH_ERROR,
        "Bad credentials",
    ),
    (
        "mastodon",
        "MASTODON_TOKEN=t0k3n-md",
        "mastodon/error-401-invalid-token.json",
        CheckState.AUTH_ERROR,
        "access token is invalid",
    ),
]
HANDLES = {
    "facebook": "DGSN.MAROC",
    "instagram": "bluebottle",
    "youtube": "UCabcdefghijklmnopqrstuv",
    "x": "DGSN_MAROC",
    "telegram": "@telegram",
    "twitch": "twitchdev",
    "github": "octocat",
    "mastodon": "Gargron@mastodon.social",
}


@pytest.mark.parametrize(("platform", "env_line", "name", "state", "words"), RECORDED)
def test_recorded_error_bodies_become_states(
    tmp_path: Path, platform: str, env_line: str, name: str, state: CheckState, words: str
) -> None:
    options = '[platforms.instagram]\nig_user_id = "17841405309211844"\n\n'
    config = tmp_path / "accounts.toml"
    config.write_text(
        f'{options}[[accounts]]\nplatform = "{platform}"\nhandle = "{HANDLES[platform]}"\n',
        encoding="utf-8",
    )
    env = tmp_path / ".env"
    env.write_text(env_line + "\n", encoding="utf-8")
    settings = load_settings(config, env_file=env, environ={})
    transport = httpx.MockTransport(lambda request: response_for(name, request))

    async def go() -> list[PlatformCheck]:
        async with make_client(transport=transport) as client:
            return await check_settings(settings, ManualClock(T0), client)

    [row] = asyncio.run(go())
    assert (row.platform, row.state) == (platform, state), row.detail
    assert words in row.detail
    assert not row.ready


@pytest.mark.parametrize(
    ("budget", "text"),
    [
        (RateBudget(300, 900), "300 per 15 minutes"),
        (RateBudget(10_000, 86_400), "10,000 per day"),
        (RateBudget(30, 1), "30 per second"),
        (RateBudget(5, 90), "5 per 90 seconds"),
    ],
)
def test_budget_reads_as_a_person_says_it(budget: RateBudget, text: str) -> None:
    assert budget_text(budget) == text
