"""Reading a CSV file an import was given: the rules the school and equipment imports share.

- The file may be gzip-compressed, whatever it is called (recognised by its first bytes).
- Its size is bounded before and after decompression (a gzip bomb stops at the limit).
- It is UTF-8, with or without byte-order marks, decoded strictly: a byte that is not UTF-8
  refuses the file with its line number rather than being guessed at. Guessing Windows-1252
  for a whole file because of one stray byte would store every accent of a UTF-8 file garbled
  (« Ã‰cran »), and a single encoding keeps both imports' rules the same; spreadsheets offer
  « CSV UTF-8 » when saving.
- Records are numbered by the physical line they start on, so a quoted field spanning lines
  does not shift the numbers of the records after it; a field over the csv module's limit
  (128 KiB) or unbalanced quotes refuse the file with that line number, never a traceback.

Every refusal is a `CsvFileError` (or the import's subclass) whose messages are French, one per
problem, each naming its line.
"""

from __future__ import annotations

import csv
import gzip
import io
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.core.input import control_character

MAX_LISTED = 20  # errors shown in full; the rest are counted


class CsvFileError(ValueError):
    """The file cannot be imported. `messages` are French, one per problem, with line numbers."""

    def __init__(self, messages: list[str], total: int | None = None):
        self.messages = messages[:MAX_LISTED]
        self.total = max(total or 0, len(messages))
        super().__init__(str(self))

    def __str__(self) -> str:
        text = "\n".join(self.messages)
        hidden = self.total - len(self.messages)
        if hidden > 0:
            text += "\n" + _("… et %(count)s autres erreurs.", count=format_decimal(hidden))
        return text


def read_bytes(
    source: str | Path | IO[bytes] | bytes,
    max_bytes: int,
    error: type[CsvFileError] = CsvFileError,
) -> bytes:
    """The file's bytes, decompressed when it is gzip; at most `max_bytes` of them."""
    if isinstance(source, bytes):
        data = source[: max_bytes + 1]
    elif isinstance(source, str | Path):
        try:
            with open(source, "rb") as stream:
                data = stream.read(max_bytes + 1)
        except FileNotFoundError as exc:
            raise error([_("Fichier introuvable : %(path)s", path=str(source))]) from exc
        except IsADirectoryError as exc:
            raise error([_("%(path)s est un dossier, pas un fichier.", path=str(source))]) from exc
        except OSError as exc:
            raise error(
                [_("Lecture impossible de %(path)s : %(error)s", path=str(source), error=exc)]
            ) from exc
    else:
        data = source.read(max_bytes + 1)
    if data[:2] == b"\x1f\x8b":  # gzip, whatever the file is called
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise error([_("Le fichier compressé (gzip) est illisible ou tronqué.")]) from exc
    if len(data) > max_bytes:
        raise error([_("Le fichier dépasse %(size)s Mo.", size=format_decimal(max_bytes // 2**20))])
    return data


def decode(data: bytes, error: type[CsvFileError] = CsvFileError) -> str:
    """The text of a UTF-8 file in NFC, without its byte-order marks; refused if not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            [
                _(
                    "Ligne %(line)s : le fichier n'est pas encodé en UTF-8 (octet 0x%(byte)s). "
                    "Enregistrez-le au format « CSV UTF-8 ».",
                    line=line,
                    byte=f"{data[exc.start]:02X}",
                )
            ]
        ) from exc
    # The open-data school file starts with the byte-order mark twice: drop every one of them.
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    if not text.strip():
        raise error([_("Le fichier est vide.")])
    return text


def records(
    text: str, delimiter: str, error: type[CsvFileError] = CsvFileError
) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its fields) for every record, the header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                message = _(
                    "Ligne %(line)s : un champ dépasse %(size)s Ko.",
                    line=start,
                    size=format_decimal(csv.field_size_limit() // 1024),
                )
            else:
                message = _(
                    "Ligne %(line)s : ligne illisible (guillemets mal appariés ou caractère nul).",
                    line=start,
                )
            raise error([message]) from exc
        line = reader.line_num
        yield start, row


def each_record(
    reader: Iterator[tuple[int, list[str]]], errors: list[str], error: type[CsvFileError]
) -> Iterator[tuple[int, list[str]]]:
    """`reader`'s records (from `records`); one that cannot be read ends the reading, its
    message after the `errors` found before it."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except CsvFileError as exc:
            raise error(errors + exc.messages) from exc


def width_error(line: int, found: int, expected: int) -> str:
    """A record whose field count is not the header's (the imports' separator is « ; »)."""
    return _(
        "Ligne %(line)s : %(found)s champs au lieu de %(expected)s (séparateur attendu : « ; »).",
        line=line,
        found=found,
        expected=expected,
    )


def control_errors(line: int, values: dict[str, str]) -> list[str]:
    """One error per value holding a NUL or another control character: such a line is refused
    (PostgreSQL would refuse the NUL mid-import); the rest is shaped as the web forms shape
    one-line text (app.core.input)."""
    found = [(column, control_character(value)) for column, value in values.items()]
    return [
        _(
            "Ligne %(line)s : %(column)s contient un caractère de contrôle (%(code)s).",
            line=line,
            column=column,
            code=code,
        )
        for column, code in found
        if code
    ]
