"""``make_client``'s pools: both verify TLS with the one context the process builds."""

from __future__ import annotations

import asyncio
import ssl

from bot.http.client import GuardedTransport, make_client, tls_context


def test_every_pool_of_every_client_verifies_with_the_one_tls_context() -> None:
    clients = [make_client(), make_client(user_agent="other")]
    try:
        contexts = set()
        for client in clients:
            transport = client._transport
            assert isinstance(transport, GuardedTransport)
            for pool in (transport._guarded, transport._lenient):
                contexts.add(id(pool.ssl_context))  # type: ignore[attr-defined]
        assert contexts == {id(tls_context())}
    finally:
        for client in clients:
            asyncio.run(client.aclose())
    context = tls_context()
    # Verifying, with certifi's roots loaded: sharing it changed nothing of what is checked.
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 100
