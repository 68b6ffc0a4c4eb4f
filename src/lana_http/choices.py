"""The closed set of names (a :class:`~lana_core.domain.choices.Choice`) a request's field takes.

msgspec matches a body's or a parameter's value against a Choice through the Choice
itself, so in any case; but when nothing matches it says only ``Invalid enum value``. This
finds which Choice the field takes, from the type decoded and the path msgspec reports,
so the answer can list the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from litestar.handlers import BaseRouteHandler
from msgspec import inspect

from lana_core.domain.choices import Choice

# The steps of a msgspec path below its root: ``customers[0].status``, ``attributes[...]``.
_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_CONTAINERS = (inspect.ListType, inspect.SetType, inspect.FrozenSetType, inspect.VarTupleType)


def choice_at(target: Any, path: str) -> type[Choice] | None:
    """The Choice of the value at ``path`` inside a value of type ``target``; None when the
    value there is no Choice (or the path leads nowhere)."""
    try:
        kinds = list(_alternatives([inspect.type_info(target)]))
    except (TypeError, ValueError):  # a type msgspec does not know holds no Choice it decodes
        return None
    for name, _ in _STEP.findall(path):
        kinds = list(_alternatives(_below(kind, name) for kind in kinds))
    found = [kind.cls for kind in kinds if isinstance(kind, inspect.EnumType)]
    return next((kind for kind in found if issubclass(kind, Choice)), None)


def parameter_types(handler: BaseRouteHandler | None) -> dict[str, Any]:
    """The type each parameter of ``handler`` and of its dependencies (a shared set of list
    filters) declares, by name (as Litestar's errors name them)."""
    if handler is None:
        return {}
    signatures = [provider.parsed_fn_signature for provider in handler.resolve_dependencies().values()]
    signatures.append(handler.parsed_fn_signature)  # the handler's own names win
    return {
        name: field.annotation for signature in signatures for name, field in signature.parameters.items()
    }


def _below(kind: inspect.Type, name: str) -> inspect.Type | None:
    """The type one step down: the field ``name`` of a struct, else an item or a value."""
    if isinstance(kind, inspect.StructType):
        return next((field.type for field in kind.fields if field.encode_name == name), None)
    if name:
        return None
    if isinstance(kind, _CONTAINERS):
        return kind.item_type
    if isinstance(kind, inspect.DictType):
        return kind.value_type
    return None


def _alternatives(kinds: Iterable[inspect.Type | None]) -> Iterator[inspect.Type]:
    """Each type a value of ``kinds`` may be: a union's members, a constrained type's base."""
    for kind in kinds:
        if isinstance(kind, inspect.Metadata):
            yield from _alternatives([kind.type])
        elif isinstance(kind, inspect.UnionType):
            yield from _alternatives(kind.types)
        elif kind is not None:
            yield kind


__all__ = ["choice_at", "parameter_types"]
