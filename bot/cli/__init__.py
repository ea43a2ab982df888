"""The ``bot`` command line (Typer): ``main`` runs the app every command is registered on."""

from __future__ import annotations

import sys

import typer

from bot.errors import UserError


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes become one line on stderr and a non-zero status."""
    from bot.cli import daemon, queries  # noqa: F401  (each module registers its commands)
    from bot.cli.options import app

    try:
        app(args=argv)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
