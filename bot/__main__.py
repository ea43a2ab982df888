"""Entry point for ``python -m bot``."""

from bot.cli import run

run()
