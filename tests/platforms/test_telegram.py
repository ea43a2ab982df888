"""Telegram adapter over constructed and library fixtures, the token's secrecy, the simulator."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import ManualClock
from bot.errors import AuthError, ParseError, PlatformError, RateLimitedError, TransientError
from bot.http.client import make_client
from bot.platforms.base import Missing, Observation, Target
from bot.platforms.telegram import Telegram
from bot.simulator.app import Simulator
from bot.simulator.counters import counters_for
from bot.simulator.telegram import TelegramSim, chat_id_for
from tests.helpers.adapters import fetch, response_for, routes
from tests.helpers.simulator import running_simulator

TOKEN = "987654321:AAH-LeakCanary_token_do_not_show_42"
GET_CHAT = f"/bot{TOKEN}/getChat"
COUNT = f"/bot{TOKEN}/getChatMemberCount"
CHANNEL_ID = "-1001234567890"
START = datetime(2026, 4, 11, 23, 12, 34, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def telegram() -> Telegram:
    return Telegram(token=TOKEN)


def test_first_poll_learns_the_numeric_id_with_get_chat() -> None:
    transport, seen = routes(
        {GET_CHAT: "telegram/getchat-channel.json", COUNT: "telegram/getchatmembercount-ok.json"}
    )
    [result] = fetch(telegram(), transport, [Target("@example_channel")])
    assert result == Observation(
        handle="@example_channel",
        platform_id=CHANNEL_ID,
        followers=48213,
        following=None,
        posts=None,
        display_name="Example Channel",
        current_handle="@example_channel",
    )
    assert [(r.url.host, r.url.path) for r in seen] == [
        ("api.telegram.org", GET_CHAT),
        ("api.telegram.org", COUNT),
    ]
    assert [r.url.params["chat_id"] for r in seen] == ["@example_channel", CHANNEL_ID]
    assert "authorization" not in seen[0].headers


def test_later_polls_use_the_numeric_id_in_one_request() -> None:
    transport, seen = routes({COUNT: "telegram/getchatmembercount-ok.json"})
    [result] = fetch(telegram(), transport, [Target("@example_channel", CHANNEL_ID)])
    assert isinstance(result, Observation) and result.platform_id == CHANNEL_ID
    assert [(r.url.path, r.url.params["chat_id"]) for r in seen] == [(COUNT, CHANNEL_ID)]


@pytest.mark.parametrize(
    ("table", "error", "status", "retry_after"),
    [
        ({GET_CHAT: "telegram/error-401-unauthorized.json"}, AuthError, 401, None),
        ({GET_CHAT: "telegram/error-404-malformed-token.json"}, AuthError, 404, None),
        (
            {
                GET_CHAT: "telegram/getchat-channel.json",
                COUNT: "telegram/error-403-bot-kicked.json",
            },
            AuthError,
            403,
            None,
        ),
        ({GET_CHAT: "telegram/error-429-flood-retry-after.json"}, RateLimitedError, 429, 8.0),
    ],
    ids=["bad-token", "malformed-token", "bot-kicked", "rate-limited"],
)
def test_errors_table(
    table: dict[str, str], error: type, status: int, retry_after: float | None
) -> None:
    transport, _ = routes(table)  # type: ignore[arg-type]
    with pytest.raises(error) as caught:
        fetch(telegram(), transport, [Target("@example_channel")])
    assert type(caught.value) is error
    assert caught.value.http_status == status
    if retry_after is not None:
        assert caught.value.retry_after == retry_after


def test_chat_not_found_is_missing() -> None:
    transport, seen = routes({GET_CHAT: "telegram/error-400-chat-not-found.json"})
    assert fetch(telegram(), transport, [Target("@gone_channel")]) == [
        Missing("@gone_channel", "not_found", "Bad Request: chat not found")
    ]
    assert len(seen) == 1


def _migrating(old: str, new: str) -> Handler:
    """``old`` answers with the recorded migration error, ``new`` with its own chat."""

    def handle(request: httpx.Request) -> httpx.Response:
        chat = request.url.params["chat_id"]
        if chat == old:
            return response_for("telegram/error-400-group-migrated-to-supergroup.json", request)
        if request.url.path == GET_CHAT:
            return httpx.Response(200, json={"ok": True, "result": {"id": int(chat)}})
        return httpx.Response(200, json={"ok": True, "result": 77})

    return handle


@pytest.mark.parametrize(
    ("target", "paths"),
    [
        (Target("-123456789", "-123456789"), [COUNT, COUNT]),
        (Target("-123456789"), [GET_CHAT, GET_CHAT, COUNT]),
    ],
    ids=["known-id", "first-poll"],
)
def test_migrate_to_chat_id_is_followed_once_and_reported(target: Target, paths: list[str]) -> None:
    handler = _migrating("-123456789", "-100123456789")
    transport, seen = routes({GET_CHAT: handler, COUNT: handler})
    [result] = fetch(telegram(), transport, [target])
    assert isinstance(result, Observation)
    assert (result.platform_id, result.followers) == ("-100123456789", 77)
    assert [r.url.path for r in seen] == paths
    assert seen[-1].url.params["chat_id"] == "-100123456789"


def test_a_second_migration_is_an_error() -> None:
    transport, seen = routes(
        {COUNT: "telegram/error-400-group-migrated-to-supergroup.json"}  # always migrating
    )
    with pytest.raises(PlatformError, match="migrated again"):
        fetch(telegram(), transport, [Target("-123456789", "-123456789")])
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (GET_CHAT, b'{"ok": true, "result": {"id": -100'),
        (GET_CHAT, b'{"result": {"id": 1}}'),
        (GET_CHAT, b'{"ok": true}'),
        (GET_CHAT, b'{"ok": true, "result": {"title": "no id"}}'),
        (GET_CHAT, b'{"ok": true, "result": {"id": true}}'),
        (COUNT, b'{"ok": true, "result": "many"}'),
        (COUNT, b'{"ok": true, "result": null}'),
    ],
    ids=["truncated", "no-ok", "no-result", "no-id", "bool-id", "count-text", "count-null"],
)
def test_malformed_bodies_are_parse_errors(path: str, body: bytes) -> None:
    def ok_chat(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": {"id": int(CHANNEL_ID)}})

    table: dict[str, str | Handler] = {GET_CHAT: ok_chat}
    table[path] = lambda request: httpx.Response(200, content=body)
    transport, _ = routes(table)
    with pytest.raises(ParseError):
        fetch(telegram(), transport, [Target("@example_channel")])


def test_other_bad_requests_are_platform_errors() -> None:
    body = {"ok": False, "error_code": 400, "description": "Bad Request: member list is hidden"}
    transport, _ = routes({COUNT: lambda request: httpx.Response(400, json=body)})
    with pytest.raises(PlatformError, match="member list is hidden"):
        fetch(telegram(), transport, [Target("@example_channel", CHANNEL_ID)])


def test_chat_ids_beyond_32_bits_survive() -> None:
    big = "-1009876543210123"
    transport, _ = routes(
        {
            GET_CHAT: lambda r: httpx.Response(200, json={"ok": True, "result": {"id": int(big)}}),
            COUNT: "telegram/getchatmembercount-ok.json",
        }
    )
    [result] = fetch(telegram(), transport, [Target(big)])
    assert isinstance(result, Observation) and result.platform_id == big


@pytest.mark.parametrize(
    ("handle", "normalised"),
    [
        ("@example_channel", "@example_channel"),
        (" example_channel ", "@example_channel"),
        ("@Durov_Says", "@Durov_Says"),
        ("-1001234567890", "-1001234567890"),
        (" -4242 ", "-4242"),
        ("@abcd", None),  # 4 characters
        ("@has-dash", None),
        ("@" + "x" * 33, None),
        ("https://t.me/example_channel", None),
        ("", None),
    ],
)
def test_handles(handle: str, normalised: str | None) -> None:
    if normalised is None:
        with pytest.raises(ValueError, match="username"):
            Telegram.normalize_handle(handle)
    else:
        assert Telegram.normalize_handle(handle) == normalised


def test_one_chat_per_request() -> None:
    assert [len(b) for b in telegram().batches([Target(f"@chan_{i:03d}") for i in range(3)])] == [
        1,
        1,
        1,
    ]


# The token is in the URL path: nothing may ever show it ----------------------------------


def _raise(kind: type[Exception]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if issubclass(kind, httpx.RequestError):
            raise kind(f"failed for {request.url}", request=request)
        raise kind(f"failed for {request.url}")

    return handle


def _json(status: int, body: object) -> Handler:
    return lambda request: httpx.Response(status, json=body)


ECHO = f"Bad Request: weird token {TOKEN} in /bot{TOKEN}/getChat"
LEAK_CASES: dict[str, str | Handler] = {
    "401": "telegram/error-401-unauthorized.json",
    "404": "telegram/error-404-malformed-token.json",
    "403": "telegram/error-403-bot-kicked.json",
    "429": "telegram/error-429-flood-retry-after.json",
    "not-found": "telegram/error-400-chat-not-found.json",
    "migrating": "telegram/error-400-group-migrated-to-supergroup.json",
    "echoing-400": _json(400, {"ok": False, "error_code": 400, "description": ECHO}),
    "echoing-401": _json(401, {"ok": False, "error_code": 401, "description": ECHO}),
    "echoing-429": _json(429, {"ok": False, "error_code": 429, "description": ECHO}),
    "echoing-non-envelope": _json(403, {"message": ECHO}),
    "500": _json(500, {"ok": False, "error_code": 500, "description": ECHO}),
    "redirect": lambda request: httpx.Response(302, headers={"location": str(request.url)}),
    "not-json": lambda request: httpx.Response(200, content=ECHO.encode()),
    "timeout": _raise(httpx.ReadTimeout),
    "connect": _raise(httpx.ConnectError),
    "decoding": _raise(httpx.DecodingError),
    "unmapped": _raise(RuntimeError),
}


def _texts(error: BaseException) -> list[str]:
    """Every text an error carries: its message, repr, traceback and chained errors."""
    texts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), *map(str, seen.args)]
        seen = seen.__cause__ or seen.__context__
    return texts


@pytest.mark.parametrize("case", list(LEAK_CASES))
@pytest.mark.parametrize("known", [False, True], ids=["get-chat", "member-count"])
def test_the_token_never_appears_in_errors_or_results(case: str, known: bool) -> None:
    entry = LEAK_CASES[case]
    transport, seen = routes({GET_CHAT: entry, COUNT: entry})
    target = Target("@example_channel", CHANNEL_ID if known else None)
    try:
        results = fetch(telegram(), transport, [target])
    except PlatformError as exc:
        assert exc.__context__ is None and exc.__cause__ is None
        for text in _texts(exc):
            assert TOKEN not in text
            assert TOKEN.split(":")[1] not in text
    else:
        assert case in {"not-found"}
        assert TOKEN not in repr(results)
    assert seen and TOKEN in seen[0].url.path  # the token really was in the URL


@pytest.mark.parametrize("case", ["500", "timeout", "connect", "decoding", "unmapped"])
def test_transport_failures_are_transient(case: str) -> None:
    entry = LEAK_CASES[case]
    transport, _ = routes({GET_CHAT: entry})
    with pytest.raises(TransientError):
        fetch(telegram(), transport, [Target("@example_channel")])


# Through the simulator --------------------------------------------------------------------


def test_simulator_end_to_end() -> None:
    async def main() -> None:
        clock = ManualClock(START)
        async with (
            running_simulator(clock, platforms=[TelegramSim]) as (simulator, url),
            make_client() as client,
        ):
            await scenario(simulator, client, clock, url)

    asyncio.run(main())


async def scenario(
    simulator: Simulator, client: httpx.AsyncClient, clock: ManualClock, url: str
) -> None:
    token = "4242:sim-token_ok"
    adapter = Telegram(base_url=url, allow_private_addresses=True, token=token)
    handles = ["@alice_channel", "@missing_chan", "@suspended_chan", "-4242"]
    results = await adapter.fetch(client, [Target(h) for h in handles])
    alice, missing, suspended, group = results
    assert isinstance(alice, Observation)
    assert alice.platform_id == str(chat_id_for("@alice_channel"))
    assert int(alice.platform_id) < -(2**31)
    assert alice.followers == counters_for("telegram", "@alice_channel", clock()).followers
    assert (alice.display_name, alice.current_handle) == (
        "alice_channel (simulated)",
        "@alice_channel",
    )
    assert missing == Missing("@missing_chan", "not_found", "Bad Request: chat not found")
    assert isinstance(suspended, Missing) and suspended.status == "not_found"
    assert isinstance(group, Observation) and group.platform_id == "-1004242"
    assert group.followers == counters_for("telegram", "-4242", clock()).followers

    clock.advance(timedelta(days=365))
    simulator.reset_counts()
    known = [Target(r.handle, r.platform_id) for r in (alice, group)]
    again = await adapter.fetch(client, known)
    assert [r.followers for r in again if isinstance(r, Observation)] == [
        counters_for("telegram", h, clock()).followers for h in ("@alice_channel", "-4242")
    ]
    assert simulator.requests == {f"/bot{token}/getChatMemberCount": 2}

    for bad in ("bad-token", "not-a-token"):
        with pytest.raises(AuthError) as caught:
            await Telegram(base_url=url, allow_private_addresses=True, token=bad).fetch(
                client, known[:1]
            )
        assert bad not in str(caught.value)

    simulator.inject(f"/bot{token}/getChatMemberCount", "429")
    with pytest.raises(RateLimitedError) as limited:
        await adapter.fetch(client, known[:1])
    assert limited.value.retry_after == 30
