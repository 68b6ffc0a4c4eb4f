"""Building the token service for a running app."""

from __future__ import annotations

from datetime import timedelta

from lana_adapters.container import Services
from lana_http.auth.secret import signing_secret
from lana_http.auth.tokens import TokenConfig, TokenService
from lana_http.settings import HttpSettings


def token_service(services: Services, http: HttpSettings) -> TokenService:
    """Raises ValueError when no usable signing secret can be had (see :func:`signing_secret`)."""
    config = TokenConfig(
        secret=signing_secret(http.jwt_secret, services.settings.database.url),
        issuer=http.jwt_issuer,
        audience=http.jwt_audience,
        access_ttl=timedelta(seconds=http.access_token_ttl_seconds),
        refresh_ttl=timedelta(seconds=http.refresh_token_ttl_seconds),
    )
    return TokenService(config, clock=services.clock, lana=services.lana)
