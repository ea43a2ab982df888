"""``bot poll``: one poll cycle now, in a module of its own so that it imports only what it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.options import ConfigOpt, Context, EnvOpt, FormatOpt, command_context
from bot.clock import system_clock
from bot.errors import InputError
from bot.kinds import AccountStatus, PollOutcome
from bot.output.tables import Column
from bot.output.text import account_key

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.daemon.records import PollResult
    from bot.store.models import Account

# A line per account polled (``PollResult.row``).
POLL_COLUMNS = (
    Column("platform", "Platform"),
    Column("handle", "Handle"),
    Column("outcome", "Outcome"),
    Column("followers", "Followers", numeric=True),
    Column("following", "Following", numeric=True),
    Column("posts", "Posts", numeric=True),
    Column("message", "Message", from_platform=True),
)


def poll(
    accounts: Annotated[
        list[str] | None, typer.Argument(help="Accounts as PLATFORM:HANDLE.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Poll every configured account now.")] = False,
    platform: Annotated[str | None, typer.Option(help="Only this platform.")] = None,
    fmt: FormatOpt = "table",
    config: ConfigOpt = None,
    env_file: EnvOpt = None,
) -> None:
    """Run one poll cycle now; a line per account; exit 1 only if every attempt failed."""
    from bot.output.tables import RowWriter

    _known_platform(platform)
    ctx = command_context(config, env_file, fmt=fmt)
    chosen = _named(ctx.engine, accounts) if accounts else None
    out = RowWriter(POLL_COLUMNS, fmt, redact=ctx.redact)
    # A count the quality gate holds as suspect was read and stored: that attempt did not fail.
    read = {PollOutcome.OK, PollOutcome.SUSPECT}
    succeeded = False

    async def cycle() -> None:
        nonlocal succeeded
        # Closed whatever happens: a chunk still being stored is waited for (PostgreSQL).
        async with aclosing(_chunks(ctx, chosen, platform=platform, everything=all_)) as chunks:
            async for results in chunks:
                out.write([r.row() for r in results])
                succeeded = succeeded or any(r.outcome in read for r in results)

    asyncio.run(cycle())
    out.close()
    if not out.count:
        typer.echo("no account was due (use --all or name accounts)", err=True)
    if out.count and not succeeded:
        raise typer.Exit(1)


def _known_platform(platform: str | None) -> None:
    """Refuse a ``--platform`` no adapter has."""
    from bot.platforms import REGISTRY

    if platform is not None and platform not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise typer.BadParameter(
            f"unknown platform {platform!r} (known: {known})", param_hint="--platform"
        )


def _named(engine: Engine, keys: Sequence[str]) -> list[Account]:
    """The accounts named on the command line; one removed from the config is refused."""
    from sqlmodel import Session

    from bot.query.accounts import accounts_by_keys

    with Session(engine) as session:
        chosen = accounts_by_keys(session, list(keys))
    for account in chosen:
        if account.status == AccountStatus.REMOVED:
            key = account_key(account.platform, account.handle)
            raise InputError(
                f"{key} was removed from the config (status removed): add it back to poll it",
                field="accounts",
            )
    return chosen


async def _chunks(
    ctx: Context, chosen: list[Account] | None, *, platform: str | None, everything: bool
) -> AsyncGenerator[list[PollResult], None]:
    """The named accounts' results at once, or the scheduled ones' a chunk at a time."""
    from bot.daemon.poller import poll_accounts, poll_scheduled
    from bot.http.client import make_client

    settings, engine = ctx.settings, ctx.engine
    async with make_client(user_agent=settings.user_agent) as client:
        if chosen:
            yield await poll_accounts(
                chosen, engine=engine, settings=settings, client=client, clock=system_clock
            )
            return
        # Streamed a chunk at a time: memory stays bounded whatever the number of accounts.
        scheduled = poll_scheduled(
            engine=engine,
            settings=settings,
            client=client,
            clock=system_clock,
            platform=platform,
            everything=everything,
        )
        async with aclosing(scheduled):
            async for results in scheduled:
                yield results
