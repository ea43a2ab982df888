"""One answer, one outcome: every adapter fed the same unexpected answers reports the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.errors import PlatformError
from bot.platforms import ADAPTERS
from bot.platforms.base import Adapter, Missing, Observation, Target
from tests.helpers.adapters import fetch

# Shaped like a Telegram bot token, and a ``client_id:secret`` pair for the OAuth platforms.
SECRET = "123456:sim-secret"
OPTIONS = {"instagram": {"ig_user_id": "17841400000000001"}}
TARGET_OPTIONS = {"json": {"url": "https://stats.example.org/x", "followers": "/followers"}}
# Reddit's token request answers well, so its API request meets the answer under test.
TOKEN = {"access_token": "tok", "token_type": "bearer", "expires_in": 86400}
# Routes that name one account (a lookup, a user page, the JSON source's document) say a
# 404 means that account is gone; on batch routes a 404 means the route itself is wrong.
ONE_ACCOUNT_ROUTES = frozenset({"github", "json", "mastodon", "reddit"})

Answer = Callable[[httpx.Request], httpx.Response]


def answer(status: int, **body: Any) -> Answer:
    """Every request answered with ``status`` and ``body`` (JSON unless given as ``text``)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/v1/access_token"):
            return httpx.Response(200, json=TOKEN, request=request)
        return httpx.Response(status, request=request, **body)

    return handle


def outcome(adapter: type[Adapter], handler: Answer) -> tuple[str, bool | None, str]:
    """The poll outcome of the example handle, whether it counts against the platform, words."""
    made = adapter(
        base_url="http://sim",
        token=SECRET if adapter.token_env else None,
        options=OPTIONS.get(adapter.name),
    )
    target = Target(adapter.example_handle, options=TARGET_OPTIONS.get(adapter.name, {}))
    try:
        [result] = fetch(made, httpx.MockTransport(handler), [target])
    except PlatformError as exc:
        return exc.outcome, exc.counts_against_platform, str(exc)
    assert isinstance(result, Missing | Observation)
    return (
        (result.status, None, result.message) if isinstance(result, Missing) else ("ok", None, "")
    )


ROWS = [
    ("2xx-array", answer(200, json=[1, 2]), ("parse_error", False), None),
    ("2xx-html", answer(200, text="<html>maintenance</html>"), ("parse_error", False), "HTTP 200"),
    ("unmapped-409", answer(409, json={"message": "Conflict"}), ("http_error", True), "HTTP 409"),
    ("unmapped-400", answer(400, json={"message": "Bad"}), ("http_error", True), "HTTP 400"),
    ("5xx", answer(503, text="down"), ("http_error", True), "HTTP 503"),
    ("3xx", answer(302, text=""), ("http_error", True), "HTTP 302"),
]


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
@pytest.mark.parametrize(
    ("handler", "expected", "words"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_the_same_answer_is_the_same_outcome_on_every_platform(
    adapter: type[Adapter], handler: Answer, expected: tuple[str, bool], words: str | None
) -> None:
    got, counts, message = outcome(adapter, handler)
    assert (got, counts) == expected, message
    assert message.startswith(f"{adapter.name}: ")
    if words is not None:
        assert words in message
    assert SECRET not in message


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_a_404_is_the_account_gone_only_where_the_route_names_one_account(
    adapter: type[Adapter],
) -> None:
    got, counts, message = outcome(adapter, answer(404, json={"message": "Not Found"}))
    if adapter.name in ONE_ACCOUNT_ROUTES:
        assert (got, counts, message) == ("not_found", None, "Not Found")
    else:
        assert (got, counts) == ("http_error", True)
        assert message.startswith(f"{adapter.name}: ") and "HTTP 404" in message
