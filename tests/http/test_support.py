"""Small modules: rate-limit headers, the HTTP client factory, output formats, quality, clock."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import (
    AuthError,
    BotError,
    ConfigError,
    InputError,
    ParseError,
    PlatformError,
    RateLimitedError,
    TimeoutError_,
    TransientError,
    UnknownAccountError,
    UserError,
)
from bot.http.client import DEFAULT_USER_AGENT, make_client
from bot.http.headers import retry_after_seconds
from bot.output.tables import Column, render

NOW = datetime(2026, 4, 11, 23, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "Sat, 11 Apr 2026 23:12:00 GMT"}, 120.0),
        ({"x-rate-limit-reset": str(int(NOW.timestamp()) + 900)}, 900.0),
        ({"X-RateLimit-Reset": "2026-04-11T23:15:00.000000Z"}, 300.0),
        ({"ratelimit-reset": str(int(NOW.timestamp()) + 60)}, 60.0),
        ({"ratelimit-reset": "45"}, 45.0),
        ({"x-rate-limit-reset": str(int(NOW.timestamp()) - 10)}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_from_every_header_style(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(headers, now=lambda: NOW) == seconds


def test_client_sends_user_agent_and_never_follows_redirects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "https://login.example/"})

    async def go() -> httpx.Response:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await client.get("https://api.example/x")

    response = asyncio.run(go())
    assert response.status_code == 302 and len(seen) == 1
    assert seen[0].headers["user-agent"] == DEFAULT_USER_AGENT
    assert "social-monitor-bot/" in DEFAULT_USER_AGENT


def test_client_has_explicit_timeouts() -> None:
    async def go() -> httpx.Timeout:
        async with make_client() as client:
            return client.timeout

    timeout = asyncio.run(go())
    assert timeout.connect and timeout.read and timeout.pool


ROWS = [{"handle": "a", "followers": 1234567, "change": -5, "pct": 47.28, "at": NOW, "none": None}]
COLUMNS = [
    Column("handle", "Handle"),
    Column("followers", "Followers", numeric=True),
    Column("change", "Change", numeric=True, signed=True),
    Column("pct", "Growth", numeric=True, percent=True),
    Column("at", "At"),
    Column("none", "None"),
]


def test_table_is_readable() -> None:
    out = io.StringIO()
    render(ROWS, COLUMNS, "table", out=out)
    text = out.getvalue()
    for needle in ("1,234,567", "-5", "+47.28%", "2026-04-11 23:10", "—"):
        assert needle in text


def test_csv_keeps_raw_values_and_empty_nulls() -> None:
    out = io.StringIO()
    render(ROWS, COLUMNS, "csv", out=out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row == {
        "handle": "a",
        "followers": "1234567",
        "change": "-5",
        "pct": "47.28",
        "at": "2026-04-11T23:10:00Z",
        "none": "",
    }


def test_json_uses_keys_and_iso_times() -> None:
    out = io.StringIO()
    render(ROWS, COLUMNS, "json", out=out)
    assert json.loads(out.getvalue()) == [
        {
            "handle": "a",
            "followers": 1234567,
            "change": -5,
            "pct": 47.28,
            "at": "2026-04-11T23:10:00Z",
            "none": None,
        }
    ]


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(NOW)
    assert clock() == NOW
    assert clock.advance(timedelta(hours=1)) == NOW + timedelta(hours=1)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (ConfigError("f.toml: bot.x", "bad"), UserError),
        (InputError("x"), UserError),
        (UnknownAccountError("x"), UserError),
        (RateLimitedError("x", "m"), PlatformError),
        (AuthError("x", "m"), PlatformError),
        (TimeoutError_("x", "m"), TransientError),
        (ParseError("x", "m"), PlatformError),
    ],
)
def test_one_exception_tree(error: BotError, base: type) -> None:
    assert isinstance(error, base) and isinstance(error, BotError)


def test_outcomes_and_exit_codes() -> None:
    assert RateLimitedError("x", "m").outcome == "rate_limited"
    assert TimeoutError_("x", "m").outcome == "timeout"
    assert ConfigError("f", "p").exit_code == 2
    assert UnknownAccountError("x").exit_code == 1
    assert str(ConfigError("f.toml: bot.timezone", "unknown")) == "f.toml: bot.timezone: unknown"


def test_redactor_masks_known_secrets_and_secret_shaped_parts() -> None:
    from bot.http.redact import MASK, Redactor

    redact = Redactor(["tok-123456"])
    text = redact(
        "GET https://api.telegram.org/bot123456:AA-bb_CC/getChat?key=AIzaXYZ&x=1 "
        "Authorization: Bearer abc.def tok-123456 access_token=EAAB"
    )
    for secret in ("123456:AA-bb_CC", "AIzaXYZ", "abc.def", "tok-123456", "EAAB"):
        assert secret not in text
    assert text.count(MASK) == 5 and "x=1" in text


def test_redacting_filter_cleans_messages_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.http.redact import RedactingFilter, Redactor

    logger = logging.getLogger("test.redact")
    caplog.handler.addFilter(RedactingFilter(Redactor(["sekrit-value"])))
    try:
        raise ValueError("failed with sekrit-value")
    except ValueError:
        logger.exception("request to %s failed", "https://x/?access_token=sekrit-value")
    assert "sekrit-value" not in caplog.text
    assert "ValueError" in caplog.text
