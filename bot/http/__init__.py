"""Outbound HTTP: the client factory, request budgets, rate-limit headers, retries, redaction."""
