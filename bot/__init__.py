"""Social media monitoring bot: poll public counters, store snapshots, report growth."""

__version__ = "0.1.0"
