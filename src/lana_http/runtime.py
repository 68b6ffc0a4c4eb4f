"""What a running app holds: the resolved services, the token service and the HTTP settings."""

from __future__ import annotations

from typing import Any, cast

from attrs import frozen
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency

from lana_adapters.container import Services
from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.errors import Unauthenticated
from lana_http.auth.tokens import AccessClaims, TokenService
from lana_http.settings import HttpSettings


@frozen(kw_only=True)
class Runtime:
    """Everything a request may need, built once per app at start-up."""

    services: Services
    tokens: TokenService
    http: HttpSettings

    @property
    def lana(self) -> Lana:
        return self.services.lana


STATE_KEY = "runtime"


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    return cast("Runtime", connection.app.state[STATE_KEY])


def provide_lana(state: State) -> Lana:
    return cast("Runtime", state[STATE_KEY]).lana


def provide_runtime(state: State) -> Runtime:
    return cast("Runtime", state[STATE_KEY])


def provide_actor(request: ASGIConnection[Any, Any, Any, Any], lana: NamedDependency[Lana]) -> Actor:
    """The signed-in actor; raises Unauthenticated.

    It takes ``lana`` only to be resolved after it: Litestar resolves the dependencies of one
    level together in a task group, which cost a request more than both dependencies do.
    """
    user = request.scope.get("user")
    if not isinstance(user, Actor):
        raise Unauthenticated("sign in first")
    return user


def provide_claims(request: ASGIConnection[Any, Any, Any, Any]) -> AccessClaims | None:
    auth = request.scope.get("auth")
    return auth if isinstance(auth, AccessClaims) else None
