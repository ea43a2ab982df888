"""A query written by ``with_query`` is the URL httpx builds from the same ``params``."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx
from hypothesis import given
from hypothesis import strategies as st

from bot.http.query import with_query

BASE = "https://public.api.bsky.app/xrpc/app.bsky.actor.getProfiles"
text = st.text(max_size=12)


def httpx_url(url: httpx.URL | str, params: object) -> str:
    """The URL httpx itself builds."""
    if params is None:
        return str(httpx.URL(url))
    return str(httpx.URL(url).copy_merge_params(params))  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.sampled_from(["actors", "id[]", "a b", "é", "k"]), text), max_size=8))
def test_pairs_give_the_url_httpx_builds(pairs: list[tuple[str, str]]) -> None:
    url, rest = with_query(BASE, pairs)
    assert rest is None
    assert httpx_url(url, None) == httpx_url(BASE, pairs)


@given(st.dictionaries(text, text, max_size=5))
def test_a_mapping_gives_the_url_httpx_builds(params: dict[str, str]) -> None:
    url, rest = with_query(BASE, params)
    assert rest is None
    assert httpx_url(url, None) == httpx_url(BASE, params)


def test_repeated_keys_are_grouped_as_httpx_groups_them() -> None:
    pairs = [("a", "1"), ("b", "2"), ("a", "3")]
    url, _ = with_query(BASE, pairs)
    assert str(url).endswith("?a=1&a=3&b=2")
    assert httpx_url(url, None) == httpx_url(BASE, pairs)


def test_what_is_not_plain_text_is_left_to_httpx() -> None:
    for params in ({"n": 1}, [("a", None)], "a=1", [("a", "1", "x")]):
        assert with_query(BASE, params) == (BASE, params)
    assert with_query(f"{BASE}?x=1", {"a": "1"}) == (f"{BASE}?x=1", {"a": "1"})


@given(st.lists(st.from_regex(r"[A-Za-z0-9_.~-]{0,20}", fullmatch=True), max_size=25))
def test_plain_handles_are_written_as_quote_plus_writes_them(handles: list[str]) -> None:
    pairs = [("actors", h) for h in handles]
    url, _ = with_query(BASE, pairs)
    assert httpx_url(url, None) == httpx_url(BASE, pairs)
    assert str(url) == BASE + ("?" + "&".join(f"actors={h}" for h in handles) if handles else "")


@given(
    st.sampled_from([BASE, "http://127.0.0.1:8080/api/v1/accounts/lookup", "https://h.example/"]),
    st.lists(st.tuples(st.sampled_from(["actors", "id[]", "é"]), text), min_size=1, max_size=8),
)
def test_the_joined_url_is_the_url_httpx_parses(base: str, pairs: list[tuple[str, str]]) -> None:
    # Joined without a parse: every part httpx reads from it is what its own parse gives.
    url, _ = with_query(base, pairs)
    assert isinstance(url, httpx.URL)
    parsed = httpx.URL(str(url))
    assert url == parsed
    for part in ("scheme", "host", "port", "raw_path", "query", "fragment", "params"):
        assert getattr(url, part) == getattr(parsed, part), part
    request = httpx.Request("GET", url)
    assert request.url == parsed
    assert request.headers["host"] == httpx.Request("GET", parsed).headers["host"]


@given(st.text(max_size=40) | st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_any_text_is_quoted_as_quote_plus_quotes_it(value: str) -> None:
    url, _ = with_query(BASE, [("actors", value)])
    assert str(url) == f"{BASE}?actors={quote_plus(value)}"


def test_a_url_too_long_is_left_to_httpx_to_refuse() -> None:
    url, _ = with_query(BASE, [("actors", "a" * 70_000)])
    assert isinstance(url, str)
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        assert "too long" in str(exc)
    else:
        raise AssertionError("httpx took a 70,000-character URL")
