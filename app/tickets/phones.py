"""Belgian phone numbers: accepted as people write them, stored in one form (E.164)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


class InvalidPhone(ValueError):
    pass


def normalise(raw: str) -> str:
    """ "0123/456789", "012 34 56 78", "+32 12 34 56 78", "0032 …" → "+3212345678".

    Empty stays empty. A number that cannot be a phone number raises InvalidPhone.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, "BE")
    except NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(stored: str) -> str:
    """ "+3212345678" → "012 34 56 78" (international form for foreign numbers)."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, "BE")
    except NumberParseException:
        return stored
    if number.country_code != 32:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    if not phonenumbers.is_valid_number(number):
        # Possible but unassigned (the current portal's 0123/456789): keep the digits and the 0.
        return "0" + phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
