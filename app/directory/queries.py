"""Directory look-ups: school search, supplier figures, equipment search.

Plain functions that build SQLAlchemy statements or run small queries; they know nothing of
HTTP. Searches return a `select` the view hands to `db.paginate`, with what the result rows show
loaded eagerly (no query per row).

Accents and case: names in the FASE file are written "Ecole", "École", "ECOLE"… A search ignores
both. Sites and equipment keep folded copies of what is searched (`Site.search_name`,
`search_address`, `Equipment.search_text`, folded by `app.core.folding` when rows are written),
and each word typed, folded the same way, is looked for with `LIKE '%word%'` in them: trigram
indexes serve it on PostgreSQL, and SQLite reads the folded text without calling anything per
row. Names sort in French order (ICU collation fr-BE on PostgreSQL).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    and_,
    case,
    event,
    false,
    func,
    or_,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from app.core.folding import FOLD_FROM, FOLD_TO, fold_text
from app.core.input import parse_int
from app.extensions import db
from app.models import Equipment, Establishment, Role, Site, Supplier, User

# ------------------------------------------------------------------ accent- and case-folding


class fold(FunctionElement):
    """A column lower case and without accents (SQLite: fold_text() itself)."""

    type = String()
    inherit_cache = True


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@compiles(fold)
def _fold_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _fold_postgresql(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"translate(lower({inner}), {_sql_literal(FOLD_FROM)}, {_sql_literal(FOLD_TO)})"


@compiles(fold, "sqlite")
def _fold_sqlite(element, compiler, **kw):
    # SQLite's lower() only knows ASCII, and a chain of replace() calls overflows its parser:
    # the connection gets fold_text() as a function instead (registered below).
    return f"relais_fold({compiler.process(element.clauses, **kw)})"


def _sqlite_fold(value):
    return fold_text(value) if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("relais_fold", 1, _sqlite_fold, deterministic=True)


# French alphabetical order: ICU's fr-BE collation where PostgreSQL has it (Debian's does).
NAME_COLLATION = "fr-BE-x-icu"
_collation_available: dict[str, bool] = {}


def name_order(column) -> ColumnElement:
    """Sort key for names: "École" among the E, not after Z."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return fold(column)
    key = bind.url.render_as_string(hide_password=True)
    if key not in _collation_available:
        found = db.session.execute(
            sql_text("SELECT 1 FROM pg_collation WHERE collname = :name"), {"name": NAME_COLLATION}
        )
        _collation_available[key] = found.first() is not None
    return column.collate(NAME_COLLATION) if _collation_available[key] else func.lower(column)


# ------------------------------------------------------------------ schools

MAX_QUERY = 120
MAX_TERMS = 8
# Numbers are ASCII digits (app.core.input): « ² » and « ٣ » are words here.
_FASE = re.compile(r"\b(FE|FI)\s*[:#°n]*\s*([0-9]{1,6})\b", re.IGNORECASE)
_NUMBER = re.compile("[0-9]+")
_WORD = re.compile(r"[\w'’]+")


@dataclass
class SchoolQuery:
    """What a search for a school asked: "FE 2559", "FI 5136", numbers and words."""

    fe: int | None = None
    fi: int | None = None
    numbers: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.fe is None and self.fi is None and not self.numbers and not self.words


def parse_school_query(text: str | None) -> SchoolQuery:
    """Split a search: "FE 2559" and "FI 5136" name a number; other numbers match FE, FI or a
    postal code; words match the establishment's name, the locality or the site's address.
    A school line pasted from a ticket ("FI 5136 - FE 2559 - name (address)") finds its site."""
    parsed = SchoolQuery()
    text = (text or "")[:MAX_QUERY]
    for kind, number in _FASE.findall(text):
        if kind.upper() == "FE":
            parsed.fe = int(number)
        else:
            parsed.fi = int(number)
    rest = _FASE.sub(" ", text)
    if parsed.fe is not None and parsed.fi is not None:
        # Both numbers say which site it is: the rest of a pasted line is only noise.
        return parsed
    for token in _WORD.findall(rest):
        if _NUMBER.fullmatch(token):
            parsed.numbers.append(token)
        elif len(token) >= 2:
            parsed.words.append(fold_text(token))
    parsed.numbers = parsed.numbers[:MAX_TERMS]
    parsed.words = parsed.words[:MAX_TERMS]
    return parsed


def _number_matches(token: str) -> ColumnElement[bool]:
    conditions = []
    number = parse_int(token, minimum=0)  # None past an INTEGER column: no FE nor FI is that big
    if number is not None:
        conditions += [Establishment.fase == number, Site.fi == number]
    if len(token) == 4:
        conditions.append(Site.postal_code == token)
    return or_(false(), *conditions)


def _in_name(word: str) -> ColumnElement[bool]:
    """The establishment's name or the locality holds the folded word."""
    return Site.search_name.contains(word, autoescape=True)


def site_word_matches(word: str) -> ColumnElement[bool]:
    """The site's establishment name, locality or address holds the folded `word` (the admins'
    site look-up passes the whole text typed)."""
    return or_(_in_name(word), Site.search_address.contains(word, autoescape=True))


def school_search(text: str | None):
    """Sites matching the search, ordered by establishment name; empty search: every site."""
    parsed = parse_school_query(text)
    order = [name_order(Establishment.name), Site.locality, Site.fi, Site.id]
    if parsed.words:
        # Sites whose name or locality holds every word come before street-name matches
        # ("Borlon" finds the Borlon schools before a "Rue de Borlon" elsewhere).
        in_name = and_(*(_in_name(word) for word in parsed.words))
        order.insert(0, case((in_name, 0), else_=1))
    stmt = (
        select(Site)
        .join(Site.establishment)
        .options(contains_eager(Site.establishment))
        .order_by(*order)
    )
    conditions: list[ColumnElement[bool]] = []
    if parsed.fe is not None:
        conditions.append(Establishment.fase == parsed.fe)
    if parsed.fi is not None:
        conditions.append(Site.fi == parsed.fi)
    conditions += [_number_matches(token) for token in parsed.numbers]
    conditions += [site_word_matches(word) for word in parsed.words]
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt


def get_school(fe: int, fi: int) -> Site | None:
    """One site by its FASE numbers, with its establishment and the establishment's sites."""
    return db.session.scalar(
        select(Site)
        .join(Site.establishment)
        .where(Establishment.fase == fe, Site.fi == fi)
        .options(contains_eager(Site.establishment).selectinload(Establishment.sites))
    )


def school_teachers(site: Site) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.site_id == site.id, User.role == Role.TEACHER.value)
            .order_by(User.full_name, User.id)
        )
    )


SITE_EQUIPMENT_LIMIT = 500


def school_equipment(site: Site, limit: int = SITE_EQUIPMENT_LIMIT) -> list[Equipment]:
    """The site's equipment, at most `limit` + 1 rows (the page says when there are more)."""
    return list(
        db.session.scalars(
            select(Equipment)
            .where(Equipment.site_id == site.id)
            .options(joinedload(Equipment.supplier))
            .order_by(Equipment.lot, Equipment.model, Equipment.label, Equipment.id)
            .limit(limit + 1)
        )
    )


# ------------------------------------------------------------------ suppliers


@dataclass(frozen=True)
class SupplierRow:
    supplier: Supplier
    users: int
    equipment: int


def supplier_rows() -> list[SupplierRow]:
    """Every company with its number of users and of equipment items it maintains."""
    users = (
        select(func.count(User.id))
        .where(User.supplier_id == Supplier.id)
        .correlate(Supplier)
        .scalar_subquery()
    )
    items = (
        select(func.count(Equipment.id))
        .where(Equipment.supplier_id == Supplier.id)
        .correlate(Supplier)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Supplier, users, items).order_by(Supplier.name))
    return [SupplierRow(s, n_users, n_items) for s, n_users, n_items in rows]


def supplier_users(supplier: Supplier) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.supplier_id == supplier.id).order_by(User.full_name, User.id)
        )
    )


@dataclass(frozen=True)
class ReferenceOwner:
    """Whose address the reference address is, if anyone's."""

    user: User | None
    member: bool  # the user belongs to this company


def reference_owner(supplier: Supplier) -> ReferenceOwner:
    user = db.session.scalar(select(User).where(User.email == supplier.reference_email))
    return ReferenceOwner(user, bool(user and user.supplier_id == supplier.id))


@dataclass(frozen=True)
class LotRow:
    lot: str
    items: int
    sites: int


def supplier_lots(supplier: Supplier) -> list[LotRow]:
    """The lots a company maintains: how many items, at how many sites."""
    rows = db.session.execute(
        select(
            Equipment.lot, func.count(Equipment.id), func.count(func.distinct(Equipment.site_id))
        )
        .where(Equipment.supplier_id == supplier.id)
        .group_by(Equipment.lot)
        .order_by(Equipment.lot)
    )
    return [LotRow(lot, items, sites) for lot, items, sites in rows]


# ------------------------------------------------------------------ equipment


def equipment_lots() -> list[str]:
    return list(db.session.scalars(select(Equipment.lot).distinct().order_by(Equipment.lot)))


def supplier_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Supplier.id, Supplier.name).order_by(Supplier.name)))


def _equipment_term(term: str) -> ColumnElement[bool]:
    """The item's label, serial, lot or model holds the term, whatever its case and accents."""
    return Equipment.search_text.contains(fold_text(term), autoescape=True)


def equipment_search(text: str | None, lot: str | None = None, supplier_id: int | None = None):
    """Equipment whose label, serial, lot or model holds every word typed, optionally in one lot
    and maintained by one company; ordered by lot, then label (or serial)."""
    terms = (text or "")[:MAX_QUERY].split()[:MAX_TERMS]
    stmt = (
        select(Equipment)
        # Loaded for the page's rows only, after the sort and limit (a join here would join
        # every matching row first): two or three small IN queries, whatever the page size.
        .options(
            selectinload(Equipment.site).joinedload(Site.establishment),
            selectinload(Equipment.supplier),
        )
        .order_by(Equipment.lot, func.coalesce(Equipment.label, Equipment.serial), Equipment.id)
    )
    conditions = [_equipment_term(term) for term in terms]
    if lot:
        conditions.append(Equipment.lot == lot)
    if supplier_id:
        conditions.append(Equipment.supplier_id == supplier_id)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt
