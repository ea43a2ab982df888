"""The ``bot`` program's entry point: the collector is told first, then the command line runs."""


def run() -> None:
    """The ``bot`` program: one command, in a process of its own."""
    from bot.collector import own_process

    # Before the command line's imports: they are start-up too (bot/collector.py).
    own_process()
    from bot.cli import main

    main()
