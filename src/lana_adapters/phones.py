"""Phone numbers written as E.164 (``+442079460958``), checked against each country's
numbering plan by the ``phonenumbers`` library."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from lana_core.errors import FieldError, ValidationError

_NO_REGION = "must start with '+' and the country code (no default region is set)"


class E164Phones:
    """A :class:`~lana_core.domain.validation.PhoneFormat`: a number is accepted when it has
    a possible length for its country (whether it is assigned today is not checked: that
    changes, and a CRM keeps old numbers), and stored as E.164. A number without ``+`` and
    a country code is read as a number of ``default_region`` (an ISO 3166 code such as
    ``GB``), or refused when there is none."""

    __slots__ = ("_region",)

    def __init__(self, default_region: str | None = None) -> None:
        self._region = check_region(default_region)

    def normalise(self, raw: str) -> str:
        try:
            number = phonenumbers.parse(raw, self._region)
        except NumberParseException as error:
            international = raw.lstrip().startswith("+") or self._region is not None
            raise ValueError(_parse_problem(error, international=international)) from None
        if not phonenumbers.is_possible_number(number):
            raise ValueError("is not a possible phone number for its country")
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def check_region(region: str | None) -> str | None:
    """``region`` in upper case, or None for none; raises ValidationError for an unknown one."""
    if region is None or not region.strip():
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            [FieldError("LANA_PHONE_DEFAULT_REGION", "invalid_setting", f"unknown region {region!r}")]
        )
    return code


def _parse_problem(error: NumberParseException, *, international: bool) -> str:
    if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        return "has an unknown country code" if international else _NO_REGION
    if error.error_type == NumberParseException.NOT_A_NUMBER:
        return "is not a phone number"
    return "is too short or too long for a phone number"
