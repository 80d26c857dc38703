"""The input layer: every text, number and id that comes from outside, made safe in one place.

Three mechanisms, each where it knows what it needs, all built on the functions below:

- The request (`CleanRequest`, the app's request class): every value of the query string and of
  a form body is clean before anything reads it — Unicode NFC, no NUL nor other control
  character, no bidirectional control, line breaks as LF. A rule on the request rather than a
  filter per field, because views also read `request.args` and `request.form` directly (lists,
  htmx look-ups, rate-limit keys) and a parameter added tomorrow gets it without anyone thinking
  of it.
- The forms (app.core.forms.Form): they know each field's kind, which the request does not. A
  one-line field loses its line breaks (a summary ends up in mail subjects) and its surrounding
  spaces; a multi-line one keeps them; a file part where text is expected, or text where a file
  is, is refused with a message instead of reaching the field.
- The URL converters (`IdConverter` replaces `int`, `SegmentConverter` and `PathConverter` the
  default ones): an id beyond an INTEGER column, or a path segment holding a control character,
  matches no route — 404 — before any query runs.

Numbers people type are read by `parse_int` / `parse_id`: ASCII digits only (str.isdigit()
accepts « ² », which int() refuses, and int() reads Arabic-Indic digits) and within bounds.
The school and equipment imports use `control_character` and `clean_text` too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter
from werkzeug.routing import PathConverter as _PathConverter

# INTEGER columns hold up to 2³¹ - 1: PostgreSQL refuses a larger parameter for them (and
# SQLite anything past 2⁶³), so a larger id names nothing.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000

# Bidirectional controls reorder what is shown: "facture\u202egpj.pdf" reads « facturefdp.jpg ».
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")
# C0 and C1 controls but the tab and the line feed (kept, or made spaces in one-line text).
_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_REMOVED = re.compile(f"[{_CONTROLS}{BIDI_CONTROLS}]+")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE_BREAKS = re.compile(r"[\t\n]+")
_DIGITS = re.compile("[0-9]{1,18}")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """`value` in NFC, without control characters nor bidirectional controls; line breaks as LF
    (`multiline`), or as spaces with the surrounding spaces stripped (one-line text)."""
    if value.isascii() and value.isprintable():  # the common case costs nothing
        return value if multiline else value.strip()
    value = unicodedata.normalize("NFC", value)
    value = _REMOVED.sub("", _LINE_BREAKS.sub("\n", value))
    if multiline:
        return value
    return _WHITESPACE_BREAKS.sub(" ", value).strip()


def control_character(value: str) -> str:
    """The first NUL or other control character of `value` (tab and line breaks aside), named
    as a message shows it ("U+0000"); "" when there is none. What an import refuses."""
    found = _FORBIDDEN.search(value)
    return f"U+{ord(found.group()):04X}" if found else ""


def parse_int(value: object, *, minimum: int = 1, maximum: int | None = MAX_ID) -> int | None:
    """An integer written in ASCII digits (spaces around allowed) within bounds, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    if number < minimum or (maximum is not None and number > maximum):
        return None
    return number


def parse_id(value: object) -> int | None:
    """A row id from outside (a select's value, a query parameter): None when it names no row.

    Also a WTForms `coerce` and a werkzeug `type=`."""
    return parse_int(value, minimum=1, maximum=MAX_ID)


def page_number(value: object) -> int:
    """The `page` parameter of a list: 1 when unreadable, at most MAX_PAGE."""
    return min(parse_int(value, maximum=None) or 1, MAX_PAGE)


# ------------------------------------------------------------------ the request


def _clean_pairs(mapping) -> Iterable[tuple[str, object]]:
    if mapping is None:
        return []
    if isinstance(mapping, MultiDict):
        pairs = mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        pairs = mapping.items()
    else:
        pairs = mapping
    return [
        (
            clean_text(key) if isinstance(key, str) else key,
            clean_text(value) if isinstance(value, str) else value,
        )
        for key, value in pairs
    ]


class CleanMultiDict(ImmutableMultiDict):
    """`request.args`, `request.form` (and the names of `request.files`), cleaned as parsed."""

    def __init__(self, mapping=None):
        super().__init__(_clean_pairs(mapping))


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


# ------------------------------------------------------------------ the addresses

_SEGMENT = f"[^/{_CONTROLS}]"


class IdConverter(IntegerConverter):
    """`<int:…>`: up to ten ASCII digits, at most MAX_ID; anything else matches no route."""

    regex = "[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class SegmentConverter(UnicodeConverter):
    """The default `<name>`: one path segment, without control characters."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = _SEGMENT + self.regex.removeprefix("[^/]")


class PathConverter(_PathConverter):
    """`<path:…>`: several segments, without control characters."""

    regex = f"{_SEGMENT}[^{_CONTROLS}]*?"
    part_isolating = False


def register(app: Flask) -> None:
    """Before the blueprints: their rules are compiled with the converters known then."""
    app.request_class = CleanRequest
    app.url_map.converters.update(
        default=SegmentConverter, string=SegmentConverter, path=PathConverter, int=IdConverter
    )
