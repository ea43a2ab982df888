"""The ``bot`` command line (Typer): every command, registered here in the order of ``--help``.

Each command parses its words through ``bot.query.words``, calls one function and renders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from bot import __version__
from bot.cli import alerts, check, corrections, daemon, digest, io, queries
from bot.daemon.logs import command_logging
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
# The query commands first, then those that run things.
COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("poll", queries.poll),
    ("accounts", queries.accounts),
    ("snapshots", queries.snapshots),
    ("growth", queries.growth),
    ("report", queries.report),
    ("chart", queries.chart),
    ("import", io.import_history),
    ("export", io.export),
    ("correct", corrections.correct),
    ("corrections", corrections.corrections),
    ("check", check.check),
    ("run", daemon.run),
    ("status", daemon.status),
    ("simulate", daemon.simulate),
    ("demo", daemon.demo),
    ("digest", digest.digest),
    ("alerts", alerts.alerts),
    ("serve", daemon.serve),
)


# ``-h`` as well as ``--help``, on ``bot`` and every command (Click passes it down).
CONTEXT = {"help_option_names": ["-h", "--help"]}


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


class _Group(TyperGroup):
    """``bot`` itself, whose help shows no type for its flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a metavar."""
        return _quiet_flags(super().get_params(ctx))


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
    """The Typer app with every command of ``COMMANDS``."""
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=CONTEXT,
        cls=_Group,
    )
    app.callback()(_root)
    for name, command in COMMANDS:
        app.command(name, cls=_Command)(command)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
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
            # ``bot`` alone: the help itself is the message.
            typer.echo(getattr(exc, "format_message", str)(), err=True)
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
