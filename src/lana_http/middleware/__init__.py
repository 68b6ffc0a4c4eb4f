"""ASGI middleware of the API: allowed hosts, rate limits, idempotency keys, security headers."""
