"""Query parameters are as strict as bodies: one a route does not declare is refused (400).

Litestar ignores query parameters a handler does not name, so a misspelt filter
(``?attributes.industry=retail``) silently answered every record instead of saying so.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.handlers import BaseRouteHandler
from litestar.params import ParameterKwarg
from litestar.types import BeforeRequestHookHandler

from lana_core.errors import FieldError
from lana_http.problems import invalid_request


def strict_query_parameters(prefix: str) -> BeforeRequestHookHandler:
    """A ``before_request`` hook refusing query parameters the route does not declare, on
    routes under ``prefix``; a request without a query string costs one test."""
    known: dict[BaseRouteHandler, frozenset[str]] = {}

    async def refuse_unknown(request: Request[Any, Any, Any]) -> None:
        if not request.scope["query_string"] or not request.scope["path"].startswith(prefix):
            return
        handler = request.route_handler
        names = known.get(handler)
        if names is None:
            names = known[handler] = declared_query_parameters(handler, set(request.path_params))
        unknown = sorted(name for name in request.query_params if name not in names)
        if unknown:
            raise invalid_request(
                [
                    FieldError(name, "unknown_field", "is not a query parameter of this route")
                    for name in unknown
                ]
            )

    return refuse_unknown


def declared_query_parameters(handler: BaseRouteHandler, path_parameters: set[str]) -> frozenset[str]:
    """The query parameter names ``handler`` reads: what its signature takes from the query,
    leaving out dependencies, path parameters and Litestar's reserved names."""
    skipped = handler.resolve_dependencies().keys() | path_parameters | RESERVED_KWARGS
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name in skipped:
            continue
        if kwarg is None:  # an undecorated parameter is a query parameter
            names.add(name)
        elif isinstance(kwarg, ParameterKwarg) and kwarg.param_type is ParamType.QUERY:
            names.add(kwarg.name or name)
    return frozenset(names)
