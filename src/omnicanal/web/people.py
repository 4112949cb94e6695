"""A person's identifiers as pages show them: phones the way the country writes them, and the
masked e-mail and phone that tell two look-alike customers apart without reading their
details out to the whole counter."""

from __future__ import annotations

import phonenumbers
from jinja2 import pass_context
from jinja2.runtime import Context

__all__ = ["BULLETS", "mask_email", "national_phone", "phone_filter", "phone_tail"]

BULLETS = "\u2022\u2022\u2022"
DEFAULT_REGION = "FR"


def national_phone(value: str | None, region: str = DEFAULT_REGION) -> str:
    """An E.164 number as people of ``region`` write it: "+33612345678" → "06 12 34 56 78"; a
    number of another country keeps its country code ("+44 7700 900123"); anything that is
    not a phone number is returned as it is."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    home = phonenumbers.region_code_for_number(number) == region.upper()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def _region(context: Context) -> str:
    """The phone region of the running platform's settings (France unless configured)."""
    request = context.get("request")
    platform = getattr(getattr(getattr(request, "app", None), "state", None), "platform", None)
    region = getattr(getattr(platform, "settings", None), "phone_region", None)
    return region if isinstance(region, str) and region else DEFAULT_REGION


@pass_context
def phone_filter(context: Context, value: str | None) -> str:
    """``{{ number|phone }}``: :func:`national_phone` in the platform's phone region."""
    return national_phone(value, _region(context))


def mask_email(value: str | None) -> str:
    """ "marie.dupont@exemple.fr" → "m•••@exemple.fr": the first letter and the domain."""
    if not value or "@" not in value:
        return ""
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}{BULLETS}@{domain}"


def phone_tail(value: str | None, digits: int = 4) -> str:
    """ "+33612345678" → "•••56 78": the last digits, grouped in pairs as the French say
    them."""
    numbers = "".join(char for char in value or "" if char.isdigit())
    if len(numbers) < digits:
        return ""
    tail = numbers[-digits:]
    pairs = " ".join(tail[index : index + 2] for index in range(0, len(tail), 2))
    return f"{BULLETS}{pairs}"
