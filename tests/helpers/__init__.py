"""Shared builders for the tests: processes, the simulator, settings."""
