"""Finding the company or the school site an account belongs to, from what a person types."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.core.folding import fold_text
from app.core.input import parse_int
from app.directory.queries import site_word_matches
from app.extensions import db
from app.models import Establishment, Site, Supplier

_SITE_CODE = re.compile(r"^\s*(?:FE\s*)?([0-9]{1,7})\s*[:/\-\s]\s*(?:FI\s*)?([0-9]{1,7})\s*$", re.I)


def find_supplier_by_name(name: str) -> Supplier | None:
    """The company whose name matches, without regard to case (accents included)."""
    wanted = (name or "").strip().casefold()
    if not wanted:
        return None
    # A few dozen companies: comparing in Python handles É/é the same on SQLite and PostgreSQL.
    for supplier in db.session.scalars(select(Supplier)):
        if supplier.name.strip().casefold() == wanted:
            return supplier
    return None


def parse_site_code(text: str) -> tuple[int, int] | None:
    """ "2559:5136", "FE 2559 / FI 5136" → (2559, 5136); None when it is not that shape."""
    match = _SITE_CODE.match(text or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def find_site(fe: int, fi: int) -> Site | None:
    return db.session.scalar(
        select(Site)
        .join(Site.establishment)
        .where(Establishment.fase == fe, Site.fi == fi)
        .options(joinedload(Site.establishment))
    )


def find_site_by_code(text: str) -> Site | None:
    code = parse_site_code(text)
    return find_site(*code) if code else None


def site_code(site: Site) -> str:
    return f"{site.fe}:{site.fi}"


def search_sites(query: str, limit: int = 10) -> list[Site]:
    """Sites matching a FE or FI number, a postal code, a locality, the school's name or the
    address, whatever the case and accents."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    code = parse_site_code(query)
    if code:
        site = find_site(*code)
        return [site] if site else []
    stmt = select(Site).join(Site.establishment).options(joinedload(Site.establishment))
    number = parse_int(query, minimum=0)
    if number is not None:
        stmt = stmt.where(
            or_(Site.fi == number, Establishment.fase == number, Site.postal_code == query)
        )
    else:
        # The sites' folded copies (app.core.folding), trigram-indexed on PostgreSQL: "ecole"
        # finds "École" on both databases.
        stmt = stmt.where(site_word_matches(fold_text(query)))
    return list(db.session.scalars(stmt.order_by(Establishment.name, Site.fi).limit(limit)))
