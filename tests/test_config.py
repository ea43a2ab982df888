"""Config loading: a table of bad configs, each one line naming the file and the key."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.config import Secret, load_settings, parse_duration
from bot.errors import ConfigError

GOOD = """
[bot]
timezone = "Africa/Casablanca"
poll_interval = "6h"
digest_at = "08:30"

[platforms.bluesky]
base_url = "http://127.0.0.1:8765"
allow_private_addresses = true

[platforms.mastodon]
token_env = "MASTODON_TOKEN"

[[accounts]]
platform = "bluesky"
handle = "@BSKY.app"
label = "Bluesky"
groups = ["reference"]
interval = "90s"

[[accounts]]
platform = "mastodon"
handle = "Gargron@Mastodon.Social"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={"MASTODON_TOKEN": "s3cret"})
    assert settings.timezone.key == "Africa/Casablanca"
    assert settings.poll_interval == timedelta(hours=6)
    assert settings.digest_at == time(8, 30)
    bsky, masto = settings.accounts
    assert (bsky.handle, bsky.interval, bsky.groups) == (
        "bsky.app",
        timedelta(seconds=90),
        ("reference",),
    )
    assert masto.handle == "Gargron@mastodon.social"
    assert settings.interval_for(masto) == timedelta(hours=6)
    assert settings.platform("bluesky").base_url == "http://127.0.0.1:8765"
    token = settings.platform("mastodon").token
    assert token is not None and token.reveal() == "s3cret"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(token)
    assert settings.database_url == "sqlite:///data/bot.db"


def test_env_file_and_real_environment_precedence(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("DATABASE_URL=sqlite:///from-file.db\nMASTODON_TOKEN=file-token\n")
    settings = load_settings(
        write(tmp_path, GOOD), env_file=env, environ={"MASTODON_TOKEN": "real"}
    )
    assert settings.database_url == "sqlite:///from-file.db"
    token = settings.platform("mastodon").token
    assert token is not None and token.reveal() == "real"


def test_bot_config_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert len(load_settings(None, environ={"BOT_CONFIG": str(path)}).accounts) == 2


BAD = [
    ('[bot]\ncolour = "blue"\n', "bot.colour", "unknown key"),
    ('[bot]\npoll_interval = "banana"\n', "bot.poll_interval", "expected a duration"),
    ("[bot]\npoll_interval = 6\n", "bot.poll_interval", "expected a duration"),
    ('[bot]\npoll_interval = "0m"\n', "bot.poll_interval", "expected a duration"),
    ('[bot]\ntimezone = "Mars/Olympus"\n', "bot.timezone", "unknown time zone"),
    ('[bot]\ndigest_at = "25:00"\n', "bot.digest_at", "local time"),
    ("[platforms.myspace]\n", "platforms.myspace", "unknown platform"),
    ('[platforms.bluesky]\nbase_url = "ftp://x"\n', "platforms.bluesky.base_url", "origin"),
    ('[platforms.bluesky]\nbase_url = "https://x/path"\n', "platforms.bluesky.base_url", "origin"),
    ('[platforms.bluesky]\ntoken = "abc"\n', "platforms.bluesky.token", "unknown key"),
    (
        '[[accounts]]\nplatform = "myspace"\nhandle = "tom"\n',
        "accounts[0].platform",
        "unknown platform",
    ),
    ('[[accounts]]\nplatform = "bluesky"\n', "accounts[0].handle", "expected a non-empty string"),
    (
        '[[accounts]]\nplatform = "mastodon"\nhandle = "nodomain"\n',
        "accounts[0].handle",
        "user@instance",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\ngroups = "x"\n',
        "accounts[0].groups",
        "list",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\ninterval = "1w"\n',
        "accounts[0].interval",
        "duration",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\nfoo = 1\n',
        "accounts[0].foo",
        "unknown key",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\n'
        '[[accounts]]\nplatform = "bluesky"\nhandle = "A.B"\n',
        "accounts[1]",
        "duplicate",
    ),
    ("accounts = 3\n", "accounts", "array of tables"),
    # Values that validate in form but would overflow a datetime or break a header every cycle.
    ('[bot]\npoll_interval = "99999999999999999999d"\n', "bot.poll_interval", "at most 366d"),
    ('[bot]\npoll_interval = "367d"\n', "bot.poll_interval", "at most 366d"),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\ninterval = "9999999999999d"\n',
        "accounts[0].interval",
        "at most 366d",
    ),
    ('[platforms.x]\nrate_limit = "1/99999999999d"\n', "platforms.x.rate_limit", "at most"),
    ('[platforms.x]\nrate_limit = "99999999999/1s"\n', "platforms.x.rate_limit", "at most"),
    ('[platforms.x]\nrate_limit = "1/32d"\n', "platforms.x.rate_limit", "at most 31d"),
    ('[bot]\nuser_agent = "bot/1.0\\r\\nX-Evil: 1"\n', "bot.user_agent", "visible ASCII"),
    ('[bot]\nuser_agent = "bot/1.0\\nsecond"\n', "bot.user_agent", "visible ASCII"),
    ('[bot]\nuser_agent = "robot-\u00e9t\u00e9/1.0"\n', "bot.user_agent", "visible ASCII"),
    ('[bot]\nuser_agent = "b\\u0000"\n', "bot.user_agent", "visible ASCII"),
    ("[bot]\nmilestones = [99999999999999999999]\n", "bot.milestones", "positive whole"),
    ('[bot]\nuser_agent = [["a"]]\n', "bot.user_agent", "expected a non-empty string"),
    ('[bot]\ntimezone = [["UTC"]]\n', "bot.timezone", "expected a non-empty string"),
    ('[bot]\ndigests = [["daily"]]\n', "bot.digests", "expected a non-empty list"),
    ("[bot]\nmilestones = [[1000]]\n", "bot.milestones", "positive whole numbers"),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = [["a.b"]]\n',
        "accounts[0].handle",
        "expected a non-empty string",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\ngroups = [["g"]]\n',
        "accounts[0].groups",
        "list of non-empty strings",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\nlabel = [["l"]]\n',
        "accounts[0].label",
        "expected a non-empty string",
    ),
    (
        '[[accounts]]\nplatform = "bluesky"\nhandle = "a.b"\nlabel = "a\\u202eb"\n',
        "accounts[0].label",
        "without control or bidi override characters",
    ),
    (
        '[[accounts]]\nplatform = "json"\nhandle = "a"\n'
        '[accounts.options]\nurl = [["https://example.org/x"]]\nfollowers = "/f"\n',
        "accounts[0].options",
        "",
    ),
    (
        # No options table at all: the platform still says what it needs.
        '[[accounts]]\nplatform = "json"\nhandle = "a"\n',
        "accounts[0].options",
        "'url' is required",
    ),
    ("[bot\n", "", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert problem in message
    assert "\n" not in message


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="env file not found"):
        load_settings(write(tmp_path, GOOD), env_file=tmp_path / "missing.env", environ={})


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("6h", 21600), ("2d", 172800), (" 1h ", 3600)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_secret_hides_itself() -> None:
    secret = Secret("tok")
    assert "tok" not in f"{secret} {secret!r}"


def test_the_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parent.parent / "config" / "accounts.example.toml"
    settings = load_settings(example, environ={})
    assert settings.accounts and settings.timezone.key == "Africa/Casablanca"


def test_platform_options_are_declared_by_the_adapter(tmp_path: Path) -> None:
    good = write(tmp_path, '[platforms.instagram]\nig_user_id = "1784"\n')
    assert load_settings(good, environ={}).platform("instagram").options == {"ig_user_id": "1784"}
    bad = write(tmp_path, '[platforms.x]\nig_user_id = "1784"\n')
    with pytest.raises(ConfigError, match=r"platforms\.x\.ig_user_id"):
        load_settings(bad, environ={})


def test_default_token_variable_is_read_without_a_platform_table(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), environ={"X_BEARER_TOKEN": "abc"})
    token = settings.platform("x").token
    assert token is not None and token.reveal() == "abc"


def test_the_bounds_themselves_are_accepted(tmp_path: Path) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # an emoji joined by ZWJs
    label = f'[[accounts]]\nplatform = "x"\nhandle = "a"\nlabel = "{family} \u200fDGSN"\n'
    assert load_settings(write(tmp_path, label), environ={}).accounts[0].label
    text = (
        '[bot]\npoll_interval = "366d"\nuser_agent = "monitor/1.0 (+https://example.org)"\n'
        "milestones = [9223372036854775807, 1]\n"
        '[platforms.x]\nrate_limit = "1000000/31d"\n'
    )
    settings = load_settings(write(tmp_path, text), environ={})
    assert settings.poll_interval == timedelta(days=366)
    assert settings.milestones == (1, 2**63 - 1)
    rate = settings.platform("x").rate_limit
    assert rate is not None and rate.per_seconds == 31 * 86400


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite://", "a SQLite URL needs a file"),
        ("sqlite:///", "a SQLite URL needs a file"),
        ("sqlite:///:memory:", "a SQLite URL needs a file"),
        ("postgresql://bot:pw-7f3c@db.example:abc/bot", "expected a database URL like"),
        ("postgresql://bot:pw-7f3c@db.example:99999/bot", "expected a port from 1 to 65535"),
        ("not a url", "expected a database URL like"),
    ],
)
def test_a_database_url_without_a_file_or_port_is_one_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, GOOD), environ={"DATABASE_URL": url})
    message = str(caught.value)
    assert message.startswith(f"DATABASE_URL: {problem}"), message
    assert "\n" not in message and "pw-7f3c" not in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A=1\nthis is not an assignment\n", 2),
        ('# secrets\n\nX_BEARER_TOKEN="unclosed\nB=2\n', 3),
        ("A=1\n\n\n'B=2\n", 4),
    ],
)
def test_a_malformed_env_file_names_the_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    env = tmp_path / ".env"
    env.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, GOOD), env_file=env, environ={})
    message = str(caught.value)
    assert message.startswith(f"{env}: line {line}: expected NAME=value"), message
    assert "\n" not in message and "unclosed" not in message


def test_a_default_env_file_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(b"A=\xff\xfe\n")
    with pytest.raises(ConfigError, match=r"^\.env: not UTF-8 text$"):
        load_settings(write(tmp_path, GOOD), environ={})
