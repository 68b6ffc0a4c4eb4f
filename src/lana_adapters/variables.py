"""How a group of settings names its ``LANA_*`` variables and reads them from the environment.

A settings group is a frozen attrs class; each field read from the environment is declared
with :func:`variable`, which records the variable's name and meaning beside its default, so
the default is stated once and the documentation tables are generated from the same fields
(see :mod:`lana_adapters.settings`). Adding a setting is adding one such field to its group.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from lana_core.errors import FieldError, ValidationError

G = TypeVar("G")

_ENV = "lana_env"
_DOC = "lana_doc"
_PARSE = "lana_parse"
_WHEN_EMPTY = "lana_when_empty"
_SECRET = "lana_secret"  # noqa: S105 (the metadata key, not a secret)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# attrs' validators name the field in quotes in their message, not the variable.
_QUOTED_NAME = re.compile(r"'(\w+)'")
_VARIABLE = re.compile(r"LANA_\w+")


class InvalidSettings(ValidationError, ValueError):
    """Variables whose values cannot be used; ``errors`` names each variable.

    A ValueError too, so code that refuses bad configuration as ValueError keeps doing so."""


def variable(
    env: str,
    default: Any,
    doc: str,
    *,
    parse: Callable[[str], Any] | None = None,
    secret: bool = False,
    validator: Any = None,
    converter: Any = None,
    when_empty: Any = None,
    shown: bool | None = None,
) -> Any:
    """A field read from ``env``; ``parse`` turns its text into the value (default: by the
    field's type). A ``secret`` one is kept out of ``repr`` and masked in logs; ``shown=False``
    keeps a value out of ``repr`` only (a URL that may carry a password logs it masked).

    An empty variable (a deployment template's blank line) is unset: the default, or None
    where the field allows it, unless ``when_empty`` names the value it means.
    """
    return attrs.field(
        default=default,
        repr=not secret if shown is None else shown,
        validator=validator,
        converter=converter,
        metadata={_ENV: env, _DOC: doc, _PARSE: parse, _WHEN_EMPTY: when_empty, _SECRET: secret},
    )


def variables(group: type) -> Iterator[attrs.Attribute[Any]]:
    """The fields of ``group`` read from a variable, in declaration order."""
    return (field for field in attrs.fields(group) if _ENV in field.metadata)


def env_name(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata[_ENV])


def meaning(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata[_DOC])


def is_secret(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata[_SECRET])


def read_group(group: type[G], environ: Mapping[str, str]) -> G:
    """``group`` from ``environ``; unset variables keep their defaults.

    Raises InvalidSettings naming every variable whose value cannot be used.
    """
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in variables(group):
        raw = environ.get(env_name(field))
        if raw is None:
            continue
        try:
            parsed = _parse(raw.strip(), field)
        except ValueError as error:
            errors.append(FieldError(env_name(field), "invalid_setting", str(error)))
            continue
        if parsed is not _KEEP_DEFAULT:
            values[field.name] = parsed
    if errors:
        raise InvalidSettings(errors)
    try:
        return group(**values)
    except (ValueError, TypeError) as error:
        raise InvalidSettings([_refusal(group, error)]) from None


def render(value: Any) -> str:
    """A value as the text of its variable (what :func:`read_group` reads back)."""
    if value is None:
        return ""
    if isinstance(value, bool):  # as an operator writes it, and as every table shows it
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(render(item) for item in value)
    return str(value)


def as_env(settings: object) -> dict[str, str]:
    """The variables that :func:`read_group` reads back into ``settings``."""
    return {env_name(field): render(getattr(settings, field.name)) for field in variables(type(settings))}


_KEEP_DEFAULT = object()


def _parse(text: str, field: attrs.Attribute[Any]) -> Any:
    kind = str(field.type)
    if text == "":
        if field.metadata[_WHEN_EMPTY] is not None:
            return field.metadata[_WHEN_EMPTY]
        return None if kind.endswith("| None") else _KEEP_DEFAULT
    custom = field.metadata[_PARSE]
    if custom is not None:
        return custom(text)
    base = kind.split("|", maxsplit=1)[0].strip()
    if base == "bool":
        return _flag(text)
    if base in ("int", "float"):
        number = int(text) if base == "int" else float(text)
        if not number >= 0:  # every count, size and timeout here is non-negative; also rejects NaN
            raise ValueError(f"must not be negative, got {text!r}")
        return number
    return text


def _flag(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _refusal(group: type, error: Exception) -> FieldError:
    """The refusal of a value the group's own checks turned down, named by its variable."""
    message = str(error.args[0]) if error.args else str(error)
    by_name = {field.name: env_name(field) for field in variables(group)}
    named = [by_name[name] for name in _QUOTED_NAME.findall(message) if name in by_name]
    mentioned = named or _VARIABLE.findall(message)
    return FieldError(mentioned[0] if mentioned else group.__name__, "invalid_setting", message)
