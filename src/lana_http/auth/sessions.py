"""Building the token service for a running app."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from lana_adapters.container import Services
from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_http.auth.secret import signing_secret
from lana_http.auth.tokens import CurrentActor, TokenConfig, TokenService
from lana_http.settings import HttpSettings


def token_service(services: Services, http: HttpSettings) -> TokenService:
    """Raises ValueError when no usable signing secret can be had (see :func:`signing_secret`)."""
    config = TokenConfig(
        secret=signing_secret(http.jwt_secret, services.settings.database_url),
        issuer=http.jwt_issuer,
        audience=http.jwt_audience,
        access_ttl=timedelta(seconds=http.access_token_ttl_seconds),
        refresh_ttl=timedelta(seconds=http.refresh_token_ttl_seconds),
    )
    return TokenService(
        config,
        clock=services.clock,
        refresh_tokens=services.refresh_tokens,
        revocations=services.revocations,
        current_actor=_current_actor(services.lana),
    )


def _current_actor(lana: Lana) -> CurrentActor:
    async def current(tenant_id: UUID, user_id: UUID) -> Actor | None:
        # A refresh re-reads the user: deactivation and role changes apply from the next refresh.
        async with lana.kernel.uow(tenant_id) as uow:
            user = await uow.users.get(user_id)
        if user is None or not user.active:
            return None
        return Actor(tenant_id, user.id, user.role)

    return current
