"""The one place an ``httpx.AsyncClient`` is built: timeouts, User-Agent, injectable transport.

Every request goes through ``GuardedTransport``, which holds it to the outbound-address policy
(bot/http/addresses.py): a private literal host is refused before anything is sent, and the
default transport resolves names through ``GuardedResolver``, which drops private answers at
connect time, so a name that turns private between two polls (DNS rebinding) cannot slip through.
A request tagged ``allow_private_addresses`` by its platform skips both.
"""

from __future__ import annotations

import socket
import ssl
from functools import cache

import httpx
from aiohttp import ClientSession, TCPConnector
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from httpx_aiohttp import AiohttpTransport

from bot import __version__
from bot.errors import RefusedAddressError
from bot.http.addresses import (
    ALLOW_PRIVATE_EXTENSION,
    PLATFORM_EXTENSION,
    is_private_address,
    is_private_host,
    literal_address,
    normalize_host,
    refusal,
)
from bot.http.redact import quiet_http_logs

DEFAULT_USER_AGENT = (
    f"social-monitor-bot/{__version__} (+https://github.com/social-monitor-bot; counters only)"
)
TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=10.0)
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)


def make_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    user_agent: str | None = None,
    timeout: httpx.Timeout = TIMEOUT,
    resolver: AbstractResolver | None = None,
) -> httpx.AsyncClient:
    """A client for every platform call; tests pass ``httpx.MockTransport`` (or a ``resolver``)."""
    quiet_http_logs()
    guarded: httpx.AsyncBaseTransport
    lenient: httpx.AsyncBaseTransport
    if transport is None:
        guarded = _aiohttp_transport(GuardedResolver(resolver))
        # A platform allowed private addresses gets its own pool: a connection opened for it
        # is never reused by a platform that is not.
        lenient = _aiohttp_transport(resolver)
    else:
        guarded = lenient = transport
    return httpx.AsyncClient(
        transport=GuardedTransport(guarded, lenient),
        timeout=timeout,
        headers={"User-Agent": user_agent or DEFAULT_USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
        # Proxies and .netrc from the environment would bypass the transport and its policy.
        trust_env=False,
    )


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's verifying TLS context (certifi's roots), made once a process: loading the roots
    costs ~18 ms, and every pool of every client can share one context."""
    return httpx.create_ssl_context()


def _aiohttp_transport(resolver: AbstractResolver | None) -> AiohttpTransport:
    """aiohttp's pool, which stays fast under concurrency where httpcore's collapses (DESIGN.md)."""
    context = tls_context()

    def session() -> ClientSession:
        # Built on first use, inside the running loop that aiohttp needs.
        connector = TCPConnector(
            limit=LIMITS.max_connections or 0,
            keepalive_timeout=LIMITS.keepalive_expiry,
            ssl=context,
            resolver=resolver if resolver is not None else DefaultResolver(),
        )
        return ClientSession(connector=connector)

    return AiohttpTransport(limits=LIMITS, verify=context, client=session)


class GuardedResolver(AbstractResolver):
    """A resolver that keeps only global addresses and refuses a name that has none."""

    def __init__(self, upstream: AbstractResolver | None = None) -> None:
        self._upstream = upstream

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The upstream answers for ``host`` minus private ones; ``AddressRefused`` if none."""
        if self._upstream is None:
            self._upstream = DefaultResolver()
        answers = await self._upstream.resolve(host, port, family)
        kept = [a for a in answers if not _private_answer(a["host"])]
        if not kept:
            raise AddressRefused(host)
        return kept

    async def close(self) -> None:
        """Close the upstream resolver."""
        if self._upstream is not None:
            await self._upstream.close()


class AddressRefused(OSError):
    """Raised inside aiohttp's connector: the name resolved to private addresses only."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} resolves to a private address")
        self.host = host


class GuardedTransport(httpx.AsyncBaseTransport):
    """Sends a request through ``guarded`` unless its platform may reach private addresses."""

    def __init__(self, guarded: httpx.AsyncBaseTransport, lenient: httpx.AsyncBaseTransport):
        self._guarded = guarded
        self._lenient = lenient

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a private host before sending; map a refusal at connect time to one line."""
        platform = str(request.extensions.get(PLATFORM_EXTENSION) or "http")
        if request.extensions.get(ALLOW_PRIVATE_EXTENSION) is True:
            return await self._lenient.handle_async_request(request)
        host = request.url.host
        if is_private_host(host):
            raise RefusedAddressError(platform, refusal(_shown(host)))
        try:
            return await self._guarded.handle_async_request(request)
        except httpx.TransportError as exc:
            # httpx-aiohttp maps the connector's DNS failure to ConnectTimeout or ConnectError.
            refused = _refused_in(exc)
            if refused is None:
                raise
            raise RefusedAddressError(platform, refusal(_shown(refused.host))) from None

    async def aclose(self) -> None:
        """Close both pools (once when they are one transport)."""
        await self._guarded.aclose()
        if self._lenient is not self._guarded:
            await self._lenient.aclose()


def _shown(host: str) -> str:
    """A host as the refusal names it: normalised (``localhost.`` is localhost)."""
    try:
        return normalize_host(host)
    except ValueError:
        return host


def _private_answer(address: str) -> bool:
    """True when a resolver's answer is a private address (or not an address at all)."""
    parsed = literal_address(address.partition("%")[0])
    return parsed is None or is_private_address(parsed)


def _refused_in(exc: BaseException) -> AddressRefused | None:
    """The resolver's refusal somewhere in the chain aiohttp and httpx wrapped it in."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, AddressRefused):
            return seen
        inner = getattr(seen, "os_error", None)
        seen = inner if isinstance(inner, BaseException) else (seen.__cause__ or seen.__context__)
    return None
