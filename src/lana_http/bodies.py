"""Request bodies: JSON only, decoded once and strictly into the type the route declares.

Litestar's own path decodes a body to plain values, then converts them leniently (``1``
becomes ``True``, ``"5"`` becomes ``5``), and lets any decoding failure but malformed JSON
(a body that is not UTF-8, or nests deeper than the decoder recurses) escape as a 500
with a stack trace in the log. Every route reads its body through :class:`JsonRequest`
instead, so all of that is decided here, once, as 4xx problems.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import BaseRouteHandler

from lana_http.problems import HttpProblem, invalid_request, schema_error
from lana_http.schemas.fields import WholeNumber, whole_number

JSON_MEDIA_TYPE = "application/json"
_UTF8 = frozenset({"utf-8", "utf8"})


class JsonRequest(Request[Any, Any, Any]):
    """The request class of the app: its :meth:`json` is the one place a body is decoded.

    Raises HttpProblem: 415 for a body not sent as ``application/json`` (UTF-8), 400 for one
    that is not UTF-8, nests too deeply, is malformed, or does not match the route's type.
    """

    __slots__ = ()

    async def json(self) -> Any:
        """The body as the route's ``data`` type (plain values where it declares none)."""
        require_json(self.content_type)
        return decode(await self.body(), body_type(self.route_handler))


def require_json(content_type: tuple[str, dict[str, str]]) -> None:
    """Refuse (415) a body whose ``Content-Type`` does not say UTF-8 JSON."""
    media_type, options = content_type
    if media_type == JSON_MEDIA_TYPE and options.get("charset", "utf-8").lower() in _UTF8:
        return
    raise HttpProblem(
        415, "unsupported_media_type", f"send the body as {JSON_MEDIA_TYPE}, not {media_type or 'untyped'}"
    )


def body_type(handler: BaseRouteHandler) -> Any:
    """The type a route's ``data`` parameter declares; ``Any`` when it has none."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return Any if field is None else field.annotation


def decode(body: bytes, target: Any) -> Any:
    """``body`` decoded into ``target`` with no coercion (a bool is ``true`` or ``false``,
    never ``1``); raises HttpProblem 400 naming what is wrong."""
    try:
        return _decoder(target).decode(body)
    except msgspec.ValidationError as error:
        raise invalid_request([schema_error(str(error), target=target)]) from None
    except msgspec.DecodeError as error:
        raise HttpProblem(400, "bad_request", f"the body is not valid JSON: {error}") from None
    except UnicodeDecodeError:
        raise HttpProblem(400, "bad_request", "the body is not valid UTF-8") from None
    except RecursionError:
        raise HttpProblem(400, "bad_request", "the body nests deeper than any request needs") from None


@lru_cache(maxsize=256)
def _decoder(target: Any) -> msgspec.json.Decoder[Any]:
    # A decoder per body type, built on first use: building one walks the whole type.
    return msgspec.json.Decoder(target, strict=True, dec_hook=_field_of_own_type)


def _field_of_own_type(kind: type, value: Any) -> Any:
    """Decode a field of a type msgspec does not know; raises TypeError for any other."""
    if kind is WholeNumber:
        return whole_number(value)
    raise TypeError(f"no decoder for {kind.__name__}")
