"""The ``bot`` program's entry point: the collector is told first, then the command line runs."""


def run() -> None:
    """The ``bot`` program: one command, in a process of its own."""
    import sys

    # httpx imports its own command line (click, rich, pygments: ~40 ms) unless that fails.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from bot.collector import own_process

    # Before the command line's imports: they are start-up too (bot/collector.py).
    own_process()
    from bot.cli import main

    main()
