"""The user's questions about stored history: rows, reports, charts."""
