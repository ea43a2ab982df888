"""The daemon: scheduler wiring, runtime, poll cycle, status, metrics and logs."""
