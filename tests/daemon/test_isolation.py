"""Issue 10, isolation: one bad answer, slow account, refused row or stop never costs the others."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import AccountSettings
from bot.daemon.poller import PollResult, poll_accounts, poll_due
from bot.daemon.runtime import Runtime
from bot.http.client import make_client
from bot.http.retry import RetryPolicy
from bot.platforms.base import FetchResult, Observation, Target, screened
from bot.platforms.bluesky import Bluesky
from bot.store.accounts import sync_accounts
from bot.store.models import Account, PollAttempt, Snapshot
from bot.store.tables import ACCOUNT
from tests.helpers.settings import settings_for

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
LOOKUP = "/api/v1/accounts/lookup"


def profile(actor: str, followers: object = 1000) -> dict[str, object]:
    """A Bluesky profile whose followers count is ``followers`` (hostile or not)."""
    return {
        "did": f"did:plc:{actor.replace('.', '')[:24]}",
        "handle": actor,
        "followersCount": followers,
        "followsCount": 5,
        "postsCount": 50,
    }


def mastodon_account(user: str) -> dict[str, object]:
    return {
        "id": "1234",
        "acct": user,
        "followers_count": 7,
        "following_count": 1,
        "statuses_count": 3,
    }


def handler(
    bluesky_body: object | bytes | None = None, mastodon_delay: float = 0.0
) -> httpx.MockTransport:
    """Bluesky answers ``bluesky_body`` (else a profile per actor; 'bad*' get '٣'), Mastodon ok."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == LOOKUP:
            if mastodon_delay:
                await asyncio.sleep(mastodon_delay)
            return httpx.Response(200, json=mastodon_account(request.url.params["acct"]))
        if isinstance(bluesky_body, bytes):
            return httpx.Response(200, content=bluesky_body)
        if bluesky_body is not None:
            return httpx.Response(200, json=bluesky_body)
        actors = request.url.params.get_list("actors")
        profiles = [profile(a, "٣" if a.startswith("bad") else 1000) for a in actors]
        return httpx.Response(200, json={"profiles": profiles})

    return httpx.MockTransport(handle)


def accounts(engine: Engine, settings: object) -> list[Account]:
    with Session(engine, expire_on_commit=False) as session:
        sync_accounts(session, settings, T0)  # type: ignore[arg-type]
        return list(session.exec(select(Account).order_by(Account.id)).scalars())  # type: ignore[call-overload]


def poll(
    engine: Engine,
    settings: object,
    transport: httpx.MockTransport,
    runtime: Runtime | None = None,
    stop: asyncio.Event | None = None,
    stop_after: float | None = None,
) -> list[PollResult]:
    claimed = accounts(engine, settings)

    async def go() -> list[PollResult]:
        if stop is not None and stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        async with make_client(transport=transport) as client:
            return await poll_accounts(
                claimed,
                engine=engine,
                settings=settings,  # type: ignore[arg-type]
                client=client,
                clock=ManualClock(T0),
                runtime=runtime,
                **({"stop": stop} if stop is not None else {}),
            )

    return asyncio.run(go())


def stored(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ACCOUNT.c.handle, Snapshot.followers).join(  # type: ignore[arg-type]
                Snapshot,
                Snapshot.account_id == ACCOUNT.c.id,  # type: ignore[arg-type]
            )
        ).all()
    return {handle: followers for handle, followers in rows}


def outcomes(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Account.handle, PollAttempt.outcome, PollAttempt.message).join(  # type: ignore[call-overload]
                PollAttempt, PollAttempt.account_id == Account.id
            )
        ).all()
    return {handle: (outcome, message) for handle, outcome, message in rows}


def test_ok_and_bad_account_in_one_batch_store_the_ok_one(engine: Engine) -> None:
    # `bot poll ok-account bad-account`: '٣' passes str.isdigit() but is no count.
    settings = settings_for(["ok.bsky.social", "bad.bsky.social"])
    results = poll(engine, settings, handler())
    by_handle = {r.handle: r for r in results}
    assert by_handle["ok.bsky.social"].outcome == "ok"
    assert by_handle["bad.bsky.social"].outcome == "parse_error"
    assert "followersCount" in (by_handle["bad.bsky.social"].message or "")
    assert stored(engine) == {"ok.bsky.social": 1000}
    assert outcomes(engine)["bad.bsky.social"][0] == "parse_error"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (b'{"profiles": [{"followersCount": ' + b"9" * 5000 + b"}]}", "too many digits"),
        ({"profiles": [profile("a.bsky.social", 2**63)]}, "out of range"),
        ({"profiles": [profile("a.bsky.social", True)]}, "boolean"),
        ({"profiles": [profile("a.bsky.social", {"deep": [1]})]}, "not a count"),
    ],
    ids=["deep-nesting", "huge-number", "over-2**63", "bool", "object"],
)
def test_hostile_body_on_one_platform_leaves_the_other_stored(
    engine: Engine, body: object, words: str
) -> None:
    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    results = poll(engine, settings, handler(body))
    by_handle = {r.handle: r for r in results}
    assert by_handle["user@sim.social"].outcome == "ok"
    assert by_handle["a.bsky.social"].outcome == "parse_error"
    assert words in (by_handle["a.bsky.social"].message or "")
    assert stored(engine) == {"user@sim.social": 7}


class Exploding(Bluesky):
    """An adapter with a bug: any exception type may leave ``fetch``."""

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        raise ZeroDivisionError("a bug")


def runtime_with(settings: object, platform: str, adapter: object, **retry: float) -> Runtime:
    runtime = Runtime(settings, ManualClock(T0), retry=RetryPolicy(**retry))  # type: ignore[arg-type]
    runtime._adapters[platform] = adapter  # type: ignore[assignment]
    return runtime


def test_unexpected_exception_is_the_batch_outcome_logged_once(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    runtime = runtime_with(settings, "bluesky", Exploding())
    results = poll(engine, settings, handler(), runtime=runtime)
    by_handle = {r.handle: r for r in results}
    assert by_handle["user@sim.social"].outcome == "ok"
    assert by_handle["a.bsky.social"].outcome == "parse_error"
    assert "ZeroDivisionError" in (by_handle["a.bsky.social"].message or "")
    assert stored(engine) == {"user@sim.social": 7}
    lines = [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]
    assert len(lines) == 1 and "a.bsky.social" in lines[0].getMessage()


class Oversized(Bluesky):
    """Returns a count the database cannot hold for 'big*' (as if a parser let it through)."""

    async def fetch(
        self, client: httpx.AsyncClient, targets: Sequence[Target]
    ) -> list[FetchResult]:
        return [
            Observation(
                t.handle,
                f"did:plc:{t.handle[:5]}",
                2**70 if t.handle.startswith("big") else 10,
                None,
                None,
            )
            for t in targets
        ]


def test_a_row_the_store_refuses_does_not_lose_the_others(engine: Engine) -> None:
    settings = settings_for(["big.bsky.social", "fine.bsky.social"], ["user@sim.social"])
    runtime = runtime_with(settings, "bluesky", Oversized())
    results = poll(engine, settings, handler(), runtime=runtime)
    by_handle = {r.handle: r for r in results}
    assert by_handle["big.bsky.social"].outcome == "parse_error"
    assert "could not be stored" in (by_handle["big.bsky.social"].message or "")
    assert stored(engine) == {"fine.bsky.social": 10, "user@sim.social": 7}
    # The refused poll is still recorded, as its attempt.
    assert outcomes(engine)["big.bsky.social"][0] == "parse_error"


def test_a_slow_account_times_out_inside_the_cycle(engine: Engine) -> None:
    # A Mastodon instance that would take 30 s; the batch deadline (0.3 s here) ends it.
    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    runtime = Runtime(settings, ManualClock(T0), retry=RetryPolicy(batch_deadline=0.3))
    began = time.monotonic()
    results = poll(engine, settings, handler(mastodon_delay=30.0), runtime=runtime)
    assert time.monotonic() - began < 10
    by_handle = {r.handle: r for r in results}
    assert by_handle["a.bsky.social"].outcome == "ok"
    assert by_handle["user@sim.social"].outcome == "timeout"
    assert stored(engine) == {"a.bsky.social": 1000}


def test_stop_stores_what_finished_and_defers_the_rest(engine: Engine) -> None:
    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    stop = asyncio.Event()
    began = time.monotonic()
    results = poll(engine, settings, handler(mastodon_delay=30.0), stop=stop, stop_after=0.5)
    assert time.monotonic() - began < 10
    by_handle = {r.handle: r for r in results}
    assert by_handle["a.bsky.social"].outcome == "ok"
    assert by_handle["user@sim.social"].outcome == "deferred"
    assert stored(engine) == {"a.bsky.social": 1000}
    with engine.connect() as connection:
        lease = connection.execute(
            select(ACCOUNT.c.lease_owner).where(ACCOUNT.c.handle == "user@sim.social")
        ).scalar_one()
    assert lease is None


def test_a_clock_stepped_back_does_not_stall_polling(engine: Engine) -> None:
    settings = settings_for(["a.bsky.social"], poll_interval=timedelta(hours=1))
    ahead = ManualClock(T0 + timedelta(days=3))  # the clock was three days fast
    with Session(engine) as session:
        sync_accounts(session, settings, ahead())

    def cycle(clock: ManualClock) -> list[PollResult]:
        async def go() -> list[PollResult]:
            async with make_client(transport=handler()) as client:
                return await poll_due(engine=engine, settings=settings, client=client, clock=clock)

        return asyncio.run(go())

    assert len(cycle(ahead)) == 1
    corrected = ManualClock(T0)  # NTP steps it back
    assert cycle(corrected) == []
    with engine.connect() as connection:
        due = connection.execute(select(ACCOUNT.c.next_poll_at)).scalar_one()
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    assert due <= T0 + timedelta(hours=1)
    corrected.advance(timedelta(hours=1))
    assert [r.outcome for r in cycle(corrected)] == ["ok"]


def test_a_clock_stepped_back_pulls_back_a_handle_configured_in_another_case(
    engine: Engine,
) -> None:
    first = settings_for(["A.bsky.social"], poll_interval=timedelta(hours=1))
    with Session(engine) as session:
        sync_accounts(session, first, T0 + timedelta(days=3))  # stored as A.bsky.social, 3 d fast
    respelt = settings_for(
        accounts=[AccountSettings("bluesky", "a.bsky.social", any_case=True)],
        poll_interval=timedelta(hours=1),
    )

    async def go() -> list[PollResult]:
        async with make_client(transport=handler()) as client:
            return await poll_due(
                engine=engine, settings=respelt, client=client, clock=ManualClock(T0)
            )

    assert asyncio.run(go()) == []
    with engine.connect() as connection:
        due = connection.execute(select(ACCOUNT.c.next_poll_at)).scalar_one()
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    assert due <= T0 + timedelta(hours=1)


def test_json_helper_for_fixtures_is_plain() -> None:
    # The deep body above really is too deep for the decoder (else the case tests nothing).
    with pytest.raises(RecursionError):
        json.loads(b"[" * 100_000 + b"]" * 100_000)


def test_a_platform_error_text_with_a_nul_or_a_lone_surrogate_is_stored_cleaned(
    engine: Engine,
) -> None:
    # PostgreSQL takes no NUL in a text and neither database a lone surrogate: the platform's
    # words for its error are stored with those two written as `literal` shows them, and the
    # rest kept for `literal` to show when printed (tests/cli/test_untrusted_text.py).
    words = "bad\u0000 actor \ud800 here\n\u001b[31mred\u202e"

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == LOOKUP:
            return httpx.Response(200, json=mastodon_account(request.url.params["acct"]))
        body = json.dumps({"error": "InvalidRequest", "message": words}).encode()
        return httpx.Response(400, content=body, headers={"content-type": "application/json"})

    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    results = poll(engine, settings, httpx.MockTransport(handle))
    by_handle = {r.handle: r for r in results}
    assert by_handle["a.bsky.social"].outcome == "http_error"
    expected = "bluesky: HTTP 400: bad\\x00 actor \\ud800 here\n\x1b[31mred\u202e"
    assert by_handle["a.bsky.social"].message == expected
    assert outcomes(engine)["a.bsky.social"] == ("http_error", by_handle["a.bsky.social"].message)
    assert stored(engine) == {"user@sim.social": 7}
    with engine.connect() as connection:
        errors = connection.execute(select(ACCOUNT.c.handle, ACCOUNT.c.last_error)).all()
    assert dict(errors)["a.bsky.social"] == by_handle["a.bsky.social"].message


@pytest.mark.parametrize(
    ("raw_id", "words"),
    [
        # Mastodon's id is the account's id at its instance.
        ("12\u000034", "holds a control character: 12\\x0034@sim.social"),
        ("12\n34\u202e", "holds a control character: 12 34\\u202e@sim.social"),
        ("9" * 300, "is 311 characters long (at most 255)"),
    ],
    ids=["nul", "break-and-override", "too-long"],
)
def test_an_account_id_no_database_holds_is_that_accounts_parse_error(
    engine: Engine, raw_id: str, words: str
) -> None:
    # Before: PostgreSQL refused the NUL and the over-long id, so the account's poll could not be
    # stored at all, while SQLite kept them; now both say what was wrong with the answer.
    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == LOOKUP:
            body = mastodon_account(request.url.params["acct"])
            return httpx.Response(200, json={**body, "id": raw_id})
        actors = request.url.params.get_list("actors")
        return httpx.Response(200, json={"profiles": [profile(a) for a in actors]})

    settings = settings_for(["a.bsky.social"], ["user@sim.social"])
    results = poll(engine, settings, httpx.MockTransport(handle))
    by_handle = {r.handle: r for r in results}
    assert by_handle["user@sim.social"].outcome == "parse_error"
    assert by_handle["user@sim.social"].message == f"mastodon: the account's id {words}"
    assert outcomes(engine)["user@sim.social"][0] == "parse_error"
    assert stored(engine) == {"a.bsky.social": 1000}
    with engine.connect() as connection:
        ids = connection.execute(select(ACCOUNT.c.platform_id)).scalars().all()
    assert not any(raw_id in (i or "") for i in ids)


def test_an_unprintable_id_with_nothing_to_escape_is_kept() -> None:
    # A no-break space is not printable to Python, yet nothing a terminal obeys: kept as sent.
    kept = Observation("a", "12\u00a034@sim.social", 1, 2, 3)
    assert screened(kept, "mastodon") is kept
