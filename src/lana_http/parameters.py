"""Query parameters are as strict as bodies: one a route does not declare is refused (400),
and so is a single-valued one given twice.

Litestar ignores query parameters a handler does not name, so a misspelt filter
(``?attributes.industry=retail``) silently answered every record instead of saying so;
and it picks one of the values of a repeated parameter (``?limit=5&limit=6``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.di import Provide
from litestar.enums import ParamType
from litestar.handlers import BaseRouteHandler
from litestar.params import ParameterKwarg
from litestar.types import BeforeRequestHookHandler
from litestar.utils.signature import ParsedSignature

from lana_core.errors import FieldError
from lana_http.problems import invalid_request


def strict_query_parameters(prefix: str) -> BeforeRequestHookHandler:
    """A ``before_request`` hook refusing, on routes under ``prefix``, query parameters the
    route does not declare and single-valued ones given twice; a request without a query
    string costs one test."""
    known: dict[BaseRouteHandler, dict[str, bool]] = {}

    async def refuse_undeclared(request: Request[Any, Any, Any]) -> None:
        if not request.scope["query_string"] or not request.scope["path"].startswith(prefix):
            return
        handler = request.route_handler
        declared = known.get(handler)
        if declared is None:
            declared = known[handler] = declared_query_parameters(handler, set(request.path_params))
        errors = query_problems(request.query_params.multi_items(), declared)
        if errors:
            raise invalid_request(errors)

    return refuse_undeclared


def query_problems(query: Iterable[tuple[str, str]], declared: Mapping[str, bool]) -> list[FieldError]:
    """What is wrong with the names of ``query`` for a route declaring ``declared`` (name:
    whether it takes several values)."""
    errors = []
    for name, count in sorted(Counter(name for name, _ in query).items()):
        if name not in declared:
            errors.append(FieldError(name, "unknown_field", "is not a query parameter of this route"))
        elif count > 1 and not declared[name]:
            errors.append(FieldError(name, "invalid", "takes one value, not several"))
    return errors


def declared_query_parameters(handler: BaseRouteHandler, path_parameters: set[str]) -> dict[str, bool]:
    """The query parameters ``handler`` reads, each with whether it takes several values:
    what its signature and those of the dependencies it names take from the query, leaving
    out dependencies, path parameters and Litestar's reserved names."""
    dependencies = handler.resolve_dependencies()
    skipped = dependencies.keys() | path_parameters | RESERVED_KWARGS
    declared = {}
    for signature in _signatures_read(handler.parsed_fn_signature, dependencies):
        for name, field in signature.parameters.items():
            kwarg = field.kwarg_definition
            if name in skipped:
                continue
            if kwarg is None:  # an undecorated parameter is a query parameter
                declared[name] = field.is_non_string_sequence
            elif isinstance(kwarg, ParameterKwarg) and kwarg.param_type is ParamType.QUERY:
                declared[kwarg.name or name] = field.is_non_string_sequence
    return declared


def _signatures_read(handler: ParsedSignature, dependencies: Mapping[str, Provide]) -> list[ParsedSignature]:
    """The handler's signature and those of the dependencies it names, theirs in turn included."""
    signatures = [handler]
    named: set[str] = set()
    for signature in signatures:
        for name in signature.parameters.keys() & dependencies.keys() - named:
            named.add(name)
            signatures.append(dependencies[name].parsed_fn_signature)
    return signatures
