"""The OpenAPI document as served: what Litestar generates, told what it cannot know.

Litestar builds the document from the handlers' types; a few facts of the contract are not
in those types, so the JSON served at ``/schema/openapi.json`` (and read by the docs page)
adds them:

- a Python union is "any of" its types: ``oneOf`` would make an integer, which is also a
  JSON number, match two branches of ``str | int | float`` and so none;
- request bodies refuse fields they do not name (``additionalProperties: false``), and
  state what no single field can (:attr:`~lana_http.schemas.base.Body.schema_rules`);
- a header is sent or not, never ``null``: an optional one is typed ``str | None`` in
  Python, and a client that sent the word ``null`` would be refused;
- an operation that answers 428 without ``If-Match`` requires the header;
- a closed set of names (a status, a priority, a role) is matched in any case, which JSON
  Schema's ``enum`` cannot say: its description says it, and ``enum`` keeps the spelling
  answers use (and typed clients send).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

from lana_core.domain.choices import Choice
from lana_http.schemas.base import Body

T = TypeVar("T")


class ContractJsonRenderPlugin(JsonRenderPlugin):
    """Serves the generated document with :func:`complete` applied, rendered once."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = self.render_json(request, complete(openapi_schema))
        return self._rendered


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the facts above added; the argument is left as it was."""
    shaped: dict[str, Any] = _any_of(document)
    _close_bodies(shaped.get("components", {}).get("schemas", {}))
    _describe_choices(shaped.get("components", {}).get("schemas", {}))
    for operation in _operations(shaped):
        _complete_headers(operation)
    return shaped


def _close_bodies(schemas: dict[str, Any]) -> None:
    for body in _subclasses(Body):
        schema = schemas.get(body.__name__)
        if schema is not None:
            schema["additionalProperties"] = False
            schema.update(body.schema_rules)


def _describe_choices(schemas: dict[str, Any]) -> None:
    for kind in _subclasses(Choice):
        schema = schemas.get(kind.__name__)
        if schema is not None and "enum" in schema:
            value = kind.allowed()[0]
            said = f"Matched in any case (`{value.upper()}` is `{value}`); answered as listed."
            schema["description"] = f"{schema['description']} {said}" if "description" in schema else said


def _complete_headers(operation: dict[str, Any]) -> None:
    guarded = "428" in operation.get("responses", {})
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header":
            parameter["schema"] = _not_null(parameter.get("schema", {}))
            if guarded and parameter.get("name") == "If-Match":
                parameter["required"] = True


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its ``null`` branch: ``{"anyOf": [X, null], ...}`` is ``{X, ...}``."""
    branches = [branch for branch in schema.get("anyOf", ()) if branch != {"type": "null"}]
    if "anyOf" not in schema or len(branches) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**branches[0], **rest}


def _any_of(value: Any) -> Any:
    """A deep copy of ``value`` with every ``oneOf`` spelt ``anyOf``."""
    if isinstance(value, dict):
        return {("anyOf" if key == "oneOf" else key): _any_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_any_of(item) for item in value]
    return value


def _subclasses(base: type[T]) -> Iterator[type[T]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                yield operation
