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
        # Possible but unassigned (the current portal's 0123/456789): grouped all the same.
        return _grouped("0" + phonenumbers.national_significant_number(number))
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def _grouped(digits: str) -> str:
    """Belgian grouping without the numbering plan: « 0123 45 67 89 » (ten digits, as mobiles),
    « 02 123 45 67 » (the one-digit zones 2, 3, 4 and 9), « 081 12 34 56 »."""
    if len(digits) == 10:
        head, rest = digits[:4], digits[4:]
    elif len(digits) == 9 and digits[1] in "2349":
        head, rest = digits[:2], digits[2:]
        return f"{head} {rest[:3]} {rest[3:5]} {rest[5:]}"
    elif len(digits) == 9:
        head, rest = digits[:3], digits[3:]
    else:
        return digits
    return " ".join([head, *(rest[i : i + 2] for i in range(0, len(rest), 2))])
