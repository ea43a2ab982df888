"""Issue 10: transport failures named for what they are; Retry-After and pauses bounded."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.clock import ManualClock
from bot.errors import PlatformError, TimeoutError_, TransientError
from bot.http.budget import PlatformGate, RateBudget
from bot.http.client import make_client
from bot.http.headers import MAX_WAIT_SECONDS, retry_after_seconds
from bot.http.retry import RetryPolicy
from bot.platforms.base import Adapter, FetchResult, HandleRule, Target

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
SECRET = "sekret-123456"


class Probe(Adapter):
    """One GET to ``/bot<token>/thing`` on its origin: the token is in the path, as Telegram's."""

    name: ClassVar[str] = "probe"
    default_base_url: ClassVar[str] = "http://probe"
    batch_size: ClassVar[int] = 1
    rate_budget: ClassVar[RateBudget] = RateBudget(requests=10, per_seconds=1)
    example_handle: ClassVar[str] = "someone"
    handle_rule: ClassVar[HandleRule] = HandleRule(r"[a-z]+", "lower-case letters")

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        await self.get_json(client, f"{self.origin()}/bot{self.token}/thing")
        return []


async def no_sleep(seconds: float) -> None:
    return None


def attempt(origin: str, *, private: bool, resolver: AbstractResolver | None = None) -> Exception:
    """What a probe at ``origin`` raises, with three attempts allowed."""
    adapter = Probe(
        base_url=origin,
        token=SECRET,
        allow_private_addresses=private,
        retry=RetryPolicy(attempts=3, sleep=no_sleep, deadline=10.0),
    )

    async def go() -> Exception:
        async with make_client(resolver=resolver) as client:
            try:
                await adapter.fetch(client, [Target("someone")])
            except PlatformError as exc:
                return exc
        raise AssertionError("no error")

    return asyncio.run(go())


def test_connection_refused_says_so_and_is_not_a_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = attempt(f"http://127.0.0.1:{port}", private=True)
    assert type(error) is TransientError
    assert "connection refused by 127.0.0.1" in str(error)
    assert "timed out" not in str(error) and SECRET not in str(error)


class Unresolvable(AbstractResolver):
    """A resolver for which no name exists (NXDOMAIN)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


def test_a_name_that_does_not_resolve_says_so() -> None:
    error = attempt("https://api.example.test", private=False, resolver=Unresolvable())
    assert isinstance(error, TransientError) and not isinstance(error, TimeoutError_)
    assert "the name api.example.test did not resolve" in str(error)
    assert SECRET not in str(error)


@pytest.fixture
def tls_server(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_certificate_failure_says_so_and_is_not_retried(tls_server: tuple[Path, Path]) -> None:
    cert, key = tls_server
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    connections: list[int] = []

    async def go() -> Exception:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        adapter = Probe(
            base_url=f"https://127.0.0.1:{port}",
            token=SECRET,
            allow_private_addresses=True,
            retry=RetryPolicy(attempts=3, sleep=no_sleep, deadline=10.0),
        )
        try:
            async with make_client() as client:
                await adapter.fetch(client, [Target("someone")])
        except PlatformError as exc:
            return exc
        finally:
            server.close()
        raise AssertionError("no error")

    error = asyncio.run(go())
    assert type(error) is PlatformError  # not Transient: not retried, not a timeout
    assert "TLS certificate of 127.0.0.1 refused" in str(error)
    assert "self-signed" in str(error) and SECRET not in str(error)
    # One connection: a certificate is not retried (the handshake fails client side).
    assert len(connections) <= 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "99999999999999999999"}, MAX_WAIT_SECONDS),
        ({"Retry-After": "1e400"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "-inf"}, None),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, MAX_WAIT_SECONDS),
        ({"x-rate-limit-reset": "9" * 400}, MAX_WAIT_SECONDS),
        ({"ratelimit-reset": "9999-12-31T23:59:59Z"}, MAX_WAIT_SECONDS),
    ],
)
def test_retry_after_is_bounded(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, lambda: T0) == expected


@pytest.mark.parametrize("wait", [1e300, float("inf"), float("nan"), 10.0**20])
def test_a_huge_pause_neither_overflows_nor_parks_the_platform_for_years(wait: Any) -> None:
    clock = ManualClock(T0)
    gate = PlatformGate("probe", RateBudget(requests=10, per_seconds=1), clock)
    gate.pause(wait)
    assert gate.paused_until is not None
    assert gate.paused_until <= T0 + timedelta(days=1)
