"""Entry point for ``python -m bot``."""

from bot.entry import run

run()
