"""The ``bot`` command line (Typer): every command, registered here in the order of ``--help``.

Each command parses its words through ``bot.query.words``, calls one function and renders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from bot.cli import corrections, daemon, digest, io, queries
from bot.errors import UserError

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
    ("run", daemon.run),
    ("status", daemon.status),
    ("simulate", daemon.simulate),
    ("demo", daemon.demo),
    ("digest", digest.digest),
    ("serve", daemon.serve),
)


def build_app() -> typer.Typer:
    """The Typer app with every command of ``COMMANDS``."""
    app = typer.Typer(
        help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
    for name, command in COMMANDS:
        app.command(name)(command)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
    try:
        build_app()(args=argv)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
