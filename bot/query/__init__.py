"""The user's questions about stored history: their words (words.py), rows and reports."""
