"""The ``bot`` command line (Typer): every command, registered here in the order of ``--help``.

Each command parses its words through ``bot.query.words``, calls one function and renders.
Registration is lazy: ``bot --help`` lists the commands from ``COMMANDS`` alone, and a command's
module (with its database, HTTP or chart libraries) is imported only when that command runs or
shows its own help, so no command pays for the others' imports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from bot import __version__
from bot.errors import UserError
from bot.output.text import literal


def _click_class(name: str) -> type[Exception]:
    """A class of the Click that Typer runs, found through Typer's public ``BadParameter``.

    Typer 0.26+ vendors Click and exports none of its usage errors but ``BadParameter``, whose
    bases are ``UsageError`` and ``ClickException`` of whichever Click it runs.
    """
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == name and issubclass(cls, Exception):
            return cls
    raise ImportError(f"Typer's Click has no {name}")


_CLICK_ERROR = _click_class("ClickException")
_USAGE_ERROR = _click_class("UsageError")
HELP = "Poll public social accounts' counters, store snapshots, report growth."


def _queries() -> ModuleType:
    from bot.cli import queries

    return queries


def _poll() -> ModuleType:
    from bot.cli import poll

    return poll


def _accounts() -> ModuleType:
    from bot.cli import accounts

    return accounts


def _io() -> ModuleType:
    from bot.cli import io

    return io


def _corrections() -> ModuleType:
    from bot.cli import corrections

    return corrections


def _check() -> ModuleType:
    from bot.cli import check

    return check


def _storage() -> ModuleType:
    from bot.cli import storage

    return storage


def _daemon() -> ModuleType:
    from bot.cli import daemon

    return daemon


def _digest() -> ModuleType:
    from bot.cli import digest

    return digest


def _alerts() -> ModuleType:
    from bot.cli import alerts

    return alerts


@dataclass(frozen=True)
class Entry:
    """One command: its name, where its function lives, and the line ``bot --help`` shows."""

    name: str
    module: Callable[[], ModuleType]
    function: str
    # The first line of the function's docstring (a test keeps them equal), so that listing
    # the commands imports none of them.
    summary: str
    # A group: the function runs when no subcommand is given, and the module's SUBCOMMANDS,
    # (name, function) pairs, are its subcommands.
    group: bool = False

    def load(self) -> Callable[..., Any]:
        """The command's function, importing its module now."""
        function: Callable[..., Any] = getattr(self.module(), self.function)
        return function


# The query commands first, then those that run things.
COMMANDS: tuple[Entry, ...] = (
    Entry(
        "poll",
        _poll,
        "poll",
        "Run one poll cycle now; a line per account; exit 1 only if every attempt failed.",
    ),
    Entry(
        "accounts",
        _accounts,
        "accounts",
        "List accounts with status, last poll and latest counts.",
        group=True,
    ),
    Entry("snapshots", _queries, "snapshots", "Show the stored history of one account."),
    Entry("growth", _queries, "growth", "Growth of every account over a period."),
    Entry(
        "report",
        _queries,
        "report",
        "The annual (or --from/--to) report: start and end counts, change, growth %, posts.",
    ),
    Entry(
        "chart",
        _queries,
        "chart",
        "Draw one account's followers history as a PNG (suspect points left out).",
    ),
    Entry(
        "import",
        _io,
        "import_history",
        "Backfill history from CSV or JSON lines, or one account's CSV with --platform/--handle.",
    ),
    Entry("export", _io, "export", "Write all snapshots as CSV, JSON lines or an Excel workbook."),
    Entry(
        "correct",
        _corrections,
        "correct",
        "Correct one stored snapshot (mark, delete or set a count), or --undo ID; all recorded.",
    ),
    Entry(
        "corrections",
        _corrections,
        "corrections",
        "The audit trail: every correction and replacement, its old and new value, and undos.",
    ),
    Entry(
        "compact",
        _storage,
        "compact",
        "Thin out snapshots older than --keep-raw to the points that figures read.",
    ),
    Entry(
        "check",
        _check,
        "check",
        "Check the setup: config, .env, database, and one cheap real request per platform.",
    ),
    Entry("run", _daemon, "run", "The daemon: poll due accounts on schedule until SIGTERM/SIGINT."),
    Entry(
        "status",
        _daemon,
        "status",
        "Daemon health: each platform's state, then failing and stale accounts.",
    ),
    Entry(
        "simulate",
        _daemon,
        "simulate",
        "Serve simulated platform APIs on loopback (tests, benchmarks, offline trial).",
    ),
    Entry(
        "demo",
        _daemon,
        "demo",
        "Offline tour: the simulator and the real poll path over simulated days, then a report.",
    ),
    Entry(
        "digest",
        _digest,
        "digest",
        "Build the daily (or weekly, monthly) digest and print it, or deliver it with --send.",
    ),
    Entry(
        "alerts",
        _alerts,
        "alerts",
        "List alerts: open ones and those of the last 7 days (--open, --all).",
    ),
    Entry(
        "serve",
        _daemon,
        "serve",
        "The read-only HTTP API: the query commands' JSON, behind BOT_API_TOKEN.",
    ),
)
_BY_NAME = {entry.name: entry for entry in COMMANDS}


# ``-h`` as well as ``--help``, on ``bot`` and every command (Click passes it down).
CONTEXT = {"help_option_names": ["-h", "--help"]}
# Every Typer app of the CLI: Click's plain help (rich's layout of it loads rich, markdown-it and
# pygments, ~0.15 s of every --help), no completion commands, errors as one line (``main``).
PLAIN: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}


def _quiet_flags(params: list[Any]) -> list[Any]:
    """Flags take no value: no ``<bool>`` beside them in the help."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    """A command whose help shows no type for its flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a metavar."""
        return _quiet_flags(super().get_params(ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        """Its summary whole: a listing wraps it rather than cutting it short with "..."."""
        return (self.short_help or self.help or "").strip().split("\n\n")[0]


class _Group(TyperGroup):
    """``bot`` itself: lists ``COMMANDS`` without importing them; its flags show no type."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a metavar."""
        return _quiet_flags(super().get_params(ctx))

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command's name, in the order of ``COMMANDS``."""
        return [entry.name for entry in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A stand-in naming the command and its summary: enough to list it or resolve it."""
        entry = _BY_NAME.get(cmd_name)
        return None if entry is None else _Command(name=entry.name, help=entry.summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """The command to run (or show the help of), its module imported only now."""
        name, command, rest = super().resolve_command(ctx, args)
        return name, load_command(name) if name in _BY_NAME else command, rest


def load_command(name: str) -> TyperCommand | TyperGroup:
    """The Click command that ``bot NAME`` runs, importing the command's module."""
    entry = _BY_NAME[name]
    app = typer.Typer(**PLAIN)
    if entry.group:
        return _load_group(entry)
    app.command(name, cls=_Command)(entry.load())
    command = typer.main.get_command(app)
    assert isinstance(command, TyperCommand)
    return command


class _SubGroup(TyperGroup):
    """A command with subcommands (``bot accounts add``); its flags show no type."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a metavar."""
        return _quiet_flags(super().get_params(ctx))


def _load_group(entry: Entry) -> TyperGroup:
    """``bot NAME`` as a group: its function alone lists, its subcommands change things."""
    module = entry.module()
    app = typer.Typer(**PLAIN, cls=_SubGroup, name=entry.name)
    app.callback(invoke_without_command=True)(entry.load())
    for sub, function in module.SUBCOMMANDS:
        app.command(sub, cls=_Command)(getattr(module, function))
    group = typer.main.get_group(app)
    assert isinstance(group, TyperGroup)
    group.name = entry.name
    return group


def every_command() -> dict[str, TyperCommand | TyperGroup]:
    """Every command by name, each fully loaded (for the documentation and deployment checks)."""
    return {entry.name: load_command(entry.name) for entry in COMMANDS}


def _version(value: bool) -> None:
    """``--version``: print it and stop before any command runs."""
    if value:
        typer.echo(f"bot {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Poll public social accounts' counters, store snapshots, report growth."""


def build_app() -> typer.Typer:
    """The Typer app of ``bot``; its group (``_Group``) serves the commands of ``COMMANDS``."""
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        **PLAIN,
        context_settings=CONTEXT,
        cls=_Group,
    )
    app.callback()(_root)
    return app


def run() -> None:
    """The console script's entry before ``bot.entry`` (a ``bot`` installed by an older release)."""
    from bot.collector import own_process

    own_process()  # after this module's imports: ``bot.entry`` tells the collector before them
    main()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
    from bot.daemon.logs import command_logging

    try:
        # Not standalone: Click's usage errors reach us instead of printing a boxed panel.
        with command_logging():
            code = build_app()(args=argv, prog_name="bot", standalone_mode=False)
    except UserError as exc:
        # The message may quote a file or a platform: shown literally, on one line.
        typer.echo(f"error: {literal(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except _CLICK_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            # ``bot`` alone: the help itself is the message, where help goes (a pager, a file).
            typer.echo(getattr(exc, "format_message", str)())
        else:
            typer.echo(f"error: {usage_line(exc)}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    if isinstance(code, int) and code:
        # ``typer.Exit(n)`` comes back as a return value when not standalone.
        sys.exit(code)


def usage_line(exc: Exception) -> str:
    """Click's message as one line like our own errors, naming where help is."""
    message = " ".join(getattr(exc, "format_message", exc.__str__)().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    context = getattr(exc, "ctx", None) if isinstance(exc, _USAGE_ERROR) else None
    return f"{message} (see '{context.command_path} --help')" if context else message
