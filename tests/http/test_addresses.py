"""One outbound-address policy: hosts normalised, private addresses refused before connecting."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.config import load_settings
from bot.errors import ConfigError, PlatformError, RefusedAddressError
from bot.http.addresses import (
    is_loopback,
    is_private_address,
    is_private_host,
    normalize_host,
    request_tag,
)
from bot.http.client import make_client

REFUSED = "resolves to a private address (set allow_private_addresses = true to allow)"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("::", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Stats.Example.ORG", "stats.example.org"),
        ("stats.example.org.", "stats.example.org"),
        ("127\u30020\u30020\u30021", "127.0.0.1"),  # ideographic full stops
        ("localhost\uff0e", "localhost"),  # a fullwidth full stop, trailing
        ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "127.0.0.1"),  # fullwidth digits
        ("mastodon\uff61social", "mastodon.social"),  # a halfwidth ideographic full stop
        ("B\u00fccher.example", "xn--bcher-kva.example"),
        ("[::1]", "::1"),
        ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("my_host.example", "my_host.example"),
    ],
)
def test_hosts_are_normalised_as_a_resolver_reads_them(written: str, normal: str) -> None:
    assert normalize_host(written) == normal


@pytest.mark.parametrize("written", ["", ".", "exa mple.org", "a..b", "-a.example", "a/b"])
def test_a_host_that_is_no_host_is_a_value_error(written: str) -> None:
    with pytest.raises(ValueError):
        normalize_host(written)


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("stats.example.org", False),
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("cafe.be", False),
        ("100.64.0.1", True),
        ("localhost.", True),
        ("a.localhost", True),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 around 169.254.169.254
        ("2130706433", True),  # 127.0.0.1 as one decimal number
        ("0x7f.1", True),
        ("0177.0.0.1", True),  # octal
        ("127.1", True),
        ("0x7f000001", True),
        ("127\u30020\u30020\u30021", True),
        ("localhost\uff0e", True),
        ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", True),
    ],
)
def test_private_hosts(host: str, private: bool) -> None:
    assert is_private_host(host) is private


def test_every_resolved_address_kind() -> None:
    public = ipaddress.ip_address("93.184.216.34")
    assert not is_private_address(public)
    for text in ("127.0.0.1", "192.168.0.1", "::1", "fd00::1", "::ffff:192.168.0.1", "0.0.0.0"):
        assert is_private_address(ipaddress.ip_address(text)), text


# The guard in the client ------------------------------------------------------------------


def send(
    url: str,
    *,
    platform: str = "json",
    allow: bool = False,
    resolver: AbstractResolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Response:
    """One GET tagged as a platform's request, through the real client factory."""

    async def go() -> httpx.Response:
        async with make_client(transport=transport, resolver=resolver) as client:
            return await client.get(url, extensions=request_tag(platform, allow))

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:9/x", "127.0.0.1"),
        ("http://127\u30020\u30020\u30021:9/x", "127.0.0.1"),
        ("http://localhost\uff0e:9/x", "localhost"),
        ("http://LOCALHOST./x", "localhost"),
        ("http://sub.localhost/x", "sub.localhost"),
        ("http://[::1]:9/x", "::1"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "::ffff:a9fe:a9fe"),
        ("http://2130706433/x", "127.0.0.1"),
        ("http://0x7f.1/x", "127.0.0.1"),
        ("http://10.0.0.8/x", "10.0.0.8"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ],
)
def test_private_literals_are_refused_before_any_request(url: str, shown: str) -> None:
    seen: list[httpx.Request] = []
    mock = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
    with pytest.raises(RefusedAddressError) as caught:
        send(url, transport=mock)
    assert str(caught.value) == f"json: refused: {shown} {REFUSED}"
    assert caught.value.counts_against_platform is False
    assert seen == []


def test_a_platform_that_allows_private_addresses_reaches_them() -> None:
    mock = httpx.MockTransport(lambda r: httpx.Response(204))
    assert send("http://127.0.0.1:9/x", allow=True, transport=mock).status_code == 204


def test_an_untagged_request_is_held_to_the_policy_too() -> None:
    mock = httpx.MockTransport(lambda r: httpx.Response(204))

    async def go() -> None:
        async with make_client(transport=mock) as client:
            await client.get("http://127.0.0.1/x")

    with pytest.raises(PlatformError, match=REFUSED.replace("(", r"\(").replace(")", r"\)")):
        asyncio.run(go())


def test_proxies_and_netrc_from_the_environment_do_not_bypass_the_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    mock = httpx.MockTransport(lambda r: httpx.Response(204))
    assert send("http://stats.example.org/x", transport=mock).status_code == 204


class FakeDns(AbstractResolver):
    """A resolver answering from a table: a name an attacker points at loopback."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0)
            for a in self.table.get(host, [])
        ]

    async def close(self) -> None:
        return None


async def _local_server() -> tuple[Any, int, list[str]]:
    """A one-route HTTP server on 127.0.0.1 recording the paths it served."""
    from aiohttp import web

    served: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        served.append(request.path)
        return web.json_response({"n": 1})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port, served


@pytest.mark.parametrize("allow", [False, True])
def test_a_name_resolving_to_loopback_is_refused_at_connect_time(allow: bool) -> None:
    # DNS rebinding: nothing resolves the name before the connection; the connector's resolver
    # drops private answers, so a name that turns private later is refused all the same.
    async def go() -> tuple[list[str], httpx.Response | RefusedAddressError]:
        runner, port, served = await _local_server()
        dns = FakeDns({"rebind.example": ["127.0.0.1"]})
        try:
            async with make_client(resolver=dns) as client:
                try:
                    return served, await client.get(
                        f"http://rebind.example:{port}/doc",
                        extensions=request_tag("mastodon", allow),
                    )
                except RefusedAddressError as exc:
                    return served, exc
        finally:
            await runner.cleanup()

    served, outcome = asyncio.run(go())
    if allow:
        assert isinstance(outcome, httpx.Response) and outcome.status_code == 200
        assert served == ["/doc"]
    else:
        assert isinstance(outcome, RefusedAddressError)
        assert str(outcome) == f"mastodon: refused: rebind.example {REFUSED}"
        assert served == []


def test_mixed_answers_keep_only_public_addresses() -> None:
    from bot.http.client import GuardedResolver

    dns = FakeDns({"mixed.example": ["127.0.0.1", "93.184.216.34", "10.0.0.1"]})
    kept = asyncio.run(GuardedResolver(dns).resolve("mixed.example", 443))
    assert [r["host"] for r in kept] == ["93.184.216.34"]


# The key in [platforms.<name>] ------------------------------------------------------------


def test_allow_private_addresses_is_read_per_platform(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(
        '[platforms.mastodon]\nbase_url = "http://127.0.0.1:8765"\nallow_private_addresses = true\n'
    )
    settings = load_settings(config, environ={})
    assert settings.platform("mastodon").allow_private_addresses is True
    assert settings.platform("json").allow_private_addresses is False


def test_allow_private_addresses_must_be_a_boolean(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text('[platforms.json]\nallow_private_addresses = "yes"\n')
    with pytest.raises(ConfigError, match=r"platforms\.json\.allow_private_addresses: expected"):
        load_settings(config, environ={})


def test_base_url_hosts_are_normalised(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text('[platforms.x]\nbase_url = "http://\uff11\uff12\uff17.0.0.1:8765/"\n')
    assert load_settings(config, environ={}).platform("x").base_url == "http://127.0.0.1:8765"
