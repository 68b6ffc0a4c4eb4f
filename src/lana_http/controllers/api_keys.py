"""API keys for integrations: admins create, list and revoke them."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.usecases.api_keys import CreateApiKey
from lana_http.concurrency import LOCATION_HEADER
from lana_http.controllers._common import API
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyOut

KEYS = f"{API}/api-keys"


class ApiKeyController(Controller):
    """The tenant's API keys (admins only)."""

    path = KEYS
    tags = ("api keys",)

    @post("/", operation_id="createApiKey", responses=documented(*WRITE), response_headers=[LOCATION_HEADER])
    async def create_api_key(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], data: JSONBody[ApiKeyCreate]
    ) -> Response[ApiKeyCreated]:
        """Create a key in a role no higher than one's own; the token is in this answer only."""
        command = CreateApiKey(name=data.name, role=data.role, expires_at=data.expires_at)
        created = await lana.create_api_key(actor, command)
        body = ApiKeyCreated(key=ApiKeyOut.of(created.key), token=created.token)
        return Response(body, status_code=201, headers={"Location": f"{KEYS}/{created.key.id}"})

    @get("/", operation_id="listApiKeys", responses=documented(*READ))
    async def list_api_keys(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor]
    ) -> ApiKeyList:
        """Every key of the tenant, newest first, revoked and expired ones too; never a secret."""
        return ApiKeyList(items=[ApiKeyOut.of(key) for key in await lana.list_api_keys(actor)])

    @delete("/{key_id:uuid}", operation_id="revokeApiKey", status_code=200, responses=documented(*WRITE))
    async def revoke_api_key(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], key_id: FromPath[UUID]
    ) -> ApiKeyOut:
        """Revoke a key: the next request with it gets 401. 409 when it is already revoked."""
        return ApiKeyOut.of(await lana.revoke_api_key(actor, key_id))
