"""Closed sets of names (statuses, priorities, roles…): matched in any case, kept in lower case."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from lana_core.errors import InvalidChoice


class Choice(enum.StrEnum):
    """A closed set of names; each member's value is its one spelling, in lower case.

    Looking a member up by value ignores the case of ASCII letters, so the original's
    spellings (``Priority("URGENT")``, ``CustomerStatus("Active")``) name the same members
    as ours; any other value raises :class:`~lana_core.errors.InvalidChoice`, naming the
    subclass's field and every value. A subclass names its field where it is declared:
    ``class Priority(Choice, field="priority")``.
    """

    field_name: ClassVar[str]

    def __init_subclass__(cls, *, field: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.field_name = field

    @classmethod
    def allowed(cls) -> tuple[str, ...]:
        """Every value, in the order declared."""
        return tuple(member.value for member in cls)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        # Only ASCII is folded: every value is ASCII, and str.lower() would also map a few
        # other letters onto ASCII ones (the Kelvin sign onto "k").
        if isinstance(value, str) and value.isascii():
            member = cls._value2member_map_.get(value.lower())
            if member is not None:
                return member
        raise InvalidChoice(cls.field_name, cls.allowed())
