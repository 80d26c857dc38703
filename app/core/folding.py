"""Accent- and case-folding of the texts people search: "École" and "ECOLE" are "ecole".

A plain module (no database, no models) so that the models can keep their folded search columns
with the same function the searches fold the words typed with.
"""

from __future__ import annotations

# Typographic apostrophes become straight ones and hyphens spaces ("Borlon-Tohogne").
FOLD_FROM = "àâäáãåéèêëíìîïóòôöõúùûüýÿçñÀÂÄÁÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ’‘-"
FOLD_TO = "aaaaaaeeeeiiiiooooouuuuyycnaaaaaaeeeeiiiiooooouuuuyycn'' "
assert len(FOLD_FROM) == len(FOLD_TO)
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)

# Between the fields of a search column: a word typed never holds a line break (the search
# splits on white space), so a word cannot match across two fields.
FIELD_SEPARATOR = "\n"


def fold_text(value: str) -> str:
    """Lower case, no accents, straight apostrophes, hyphens as spaces."""
    return value.lower().translate(_TABLE)


def fold_fields(*fields: str | None) -> str:
    """The folded fields of one row, for a search column the index serves."""
    return FIELD_SEPARATOR.join(fold_text(value or "") for value in fields)
