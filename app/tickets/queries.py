"""The list « Demandes »: what the address asks for, and the query that answers it.

Plain functions, no request: `parse_list_args` reads a mapping (the query string) leniently —
a value it does not understand is replaced by its default, never an error — and `list_tickets`
turns the result into a total and one page of tickets, whose related rows (request type,
creator, person in charge, school, supplier) come in a fixed number of IN queries whatever the
page size. Who sees what is `permissions.visible_to`, applied to every query here.

The search box (« La demande contient… ») matches each word typed against the reference, the
summary, the label and serial number, the school (establishment name, locality, FE or FI
number), and for EN staff the contact's name. A query that looks like a phone number ("081/23
45 67", "+32 81 23 45 67", "0032 …") also matches the contact's number (EN staff), which is
stored in one form (E.164): the digits typed, without the trunk 0 or the country code, are
searched inside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select
from sqlalchemy.orm import selectinload

from app.auth.roles import EN_STAFF
from app.core.folding import fold_text
from app.core.input import clean_text, page_number, parse_id, parse_int
from app.directory.queries import name_order
from app.extensions import db
from app.models import (
    Establishment,
    PortalCategory,
    RequestType,
    Role,
    ServiceClock,
    Site,
    Supplier,
    Ticket,
    User,
)
from app.models.types import utcnow
from app.sla.loading import calendar_for
from app.sla.settings import warning_minutes
from app.tickets.permissions import visible_to
from app.tickets.workflow import FINAL_STATUSES, OPEN_STATUSES, Status

PER_PAGE = 25
MAX_QUERY = 120
MAX_TERMS = 8

# « Demandes ouvertes » / « Demandes fermées » / « Toutes »; EN staff may also pick one state.
SCOPES: dict[str, frozenset[Status] | None] = {
    "ouvertes": OPEN_STATUSES,
    "fermees": FINAL_STATUSES,
    "toutes": None,
}
DEFAULT_SCOPE = "ouvertes"
NO_SUPPLIER = "aucun"
# « En retard » / « Bientôt en retard »: a service-level clock still running past its due time,
# or due within RELAIS_SLA_WARNING_MINUTES business minutes (app.sla). A supplier's list looks at
# its own clocks (from its assignment), everyone else's at every running clock of the ticket.
LATE, SOON = "en-retard", "bientot"
DELAYS = (LATE, SOON)

# Sortable columns (the value in the address) and the direction a first click sorts by.
SORTS = {
    "type": "asc",
    "reference": "asc",
    "resume": "asc",
    "etat": "asc",
    "demandeur": "asc",
    "creation": "desc",
    "responsable": "asc",
}
DEFAULT_SORT = "creation"


# ------------------------------------------------------------------ what the address asks


@dataclass(frozen=True)
class ListParams:
    q: str = ""
    etat: str = DEFAULT_SCOPE
    createur: int | None = None
    type: int | None = None
    fournisseur: int | str | None = None  # a supplier id, NO_SUPPLIER, or None for all
    delai: str | None = None  # LATE, SOON, or None
    tri: str = DEFAULT_SORT
    ordre: str = SORTS[DEFAULT_SORT]
    page: int = 1

    @property
    def filtered(self) -> bool:
        """Something narrows the list beyond the default « Demandes ouvertes »."""
        return bool(
            self.q
            or self.etat != DEFAULT_SCOPE
            or self.createur
            or self.type
            or self.fournisseur
            or self.delai
        )

    def url_args(self, **changes) -> dict[str, object]:
        """The values that differ from the defaults, for url_for: a short, shareable address.

        A change of filter starts again at page 1; pass `page=` to keep or choose one."""
        params = replace(self, **changes)
        if "page" not in changes and set(changes) - {"tri", "ordre"}:
            params = replace(params, page=1)
        args: dict[str, object] = {}
        if params.q:
            args["q"] = params.q
        if params.etat != DEFAULT_SCOPE:
            args["etat"] = params.etat
        for name in ("createur", "type", "fournisseur", "delai"):
            if getattr(params, name) is not None:
                args[name] = getattr(params, name)
        if params.tri != DEFAULT_SORT or params.ordre != SORTS[params.tri]:
            args["tri"] = params.tri
            args["ordre"] = params.ordre
        if params.page > 1:
            args["page"] = params.page
        return args

    def sort_args(self, column: str) -> dict[str, object]:
        """The address of a column header: sort by it, or reverse it if it is the sort already."""
        reverse = "asc" if self.ordre == "desc" else "desc"
        order = reverse if column == self.tri else SORTS[column]
        return self.url_args(tri=column, ordre=order, page=1)

    def aria_sort(self, column: str) -> str | None:
        if column != self.tri:
            return None
        return "ascending" if self.ordre == "asc" else "descending"


def _clean_text(raw: object) -> str:
    text = clean_text(raw[: MAX_QUERY * 2], multiline=False) if isinstance(raw, str) else ""
    return " ".join(text.split())[:MAX_QUERY].strip()


def states_for(en_staff: bool) -> list[str]:
    """The « État » filter's values: the current portal's three, then each state for EN staff."""
    values = list(SCOPES)
    if en_staff:
        values += [status.value for status in Status]
    return values


def parse_list_args(args: Mapping[str, object], *, en_staff: bool) -> ListParams:
    """Read the list's query string; anything not understood falls back to its default."""
    etat = args.get("etat")
    if etat not in states_for(en_staff):
        etat = DEFAULT_SCOPE
    fournisseur: int | str | None = None
    if en_staff:
        raw = args.get("fournisseur")
        fournisseur = NO_SUPPLIER if raw == NO_SUPPLIER else parse_id(raw)
    tri = args.get("tri")
    if tri not in SORTS:
        tri = DEFAULT_SORT
    ordre = args.get("ordre")
    if ordre not in ("asc", "desc"):
        ordre = SORTS[tri]
    delai = args.get("delai")
    return ListParams(
        q=_clean_text(args.get("q")),
        etat=str(etat),
        createur=parse_id(args.get("createur")),
        type=parse_id(args.get("type")),
        fournisseur=fournisseur,
        delai=str(delai) if delai in DELAYS else None,
        tri=str(tri),
        ordre=str(ordre),
        page=page_number(args.get("page")),
    )


# ------------------------------------------------------------------ the search box

# Numbers are ASCII digits (app.core.input): « ٣ » is a word here, not the number 3.
_FASE = re.compile(r"\b(FE|FI)\s*[:#°n]*\s*([0-9]{1,6})\b", re.IGNORECASE)
_REFERENCE = re.compile(r"[A-Za-z]{2,10}-[0-9]{1,9}")
_PHONE = re.compile(r"^(\+|00)?[0-9\s./()-]+$")
_EDGES = ".,;:!?()[]{}«»\"“”'’"
MIN_PHONE_DIGITS = 6


@dataclass
class SearchTerms:
    fe: int | None = None
    fi: int | None = None
    words: list[str] = field(default_factory=list)
    phone_digits: str = ""  # the national digits typed, when the query looks like a number

    @property
    def empty(self) -> bool:
        return self.fe is None and self.fi is None and not self.words and not self.phone_digits


def phone_digits(text: str) -> str:
    """The digits to look for inside a stored E.164 number, or "" if `text` is not phone-like.

    "081/23.45.67" → "81234567"; "+32 81 23 45 67" and "0032 81…" → "81234567"; "+33 1 …"
    → "331…" (a foreign number keeps its country code, as E.164 stores it)."""
    text = text.strip()
    if not _PHONE.fullmatch(text):
        return ""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    if text.startswith(("+", "00")):
        digits = digits[2:] if text.startswith("00") else digits
        if not digits.startswith("32"):
            return digits
        digits = digits[2:]  # "+32 (0)81 …": the trunk 0 sometimes follows the country code
    return digits[1:] if digits.startswith("0") else digits


def parse_search(text: str) -> SearchTerms:
    terms = SearchTerms(phone_digits=phone_digits(text))
    for kind, number in _FASE.findall(text):
        if kind.upper() == "FE":
            terms.fe = int(number)
        else:
            terms.fi = int(number)
    if terms.fe is not None and terms.fi is not None:
        return terms  # a school line pasted from a ticket: both numbers say which site
    rest = _FASE.sub(" ", text)
    for token in rest.split():
        token = token.strip(_EDGES)
        if token:
            terms.words.append(token)
    terms.words = terms.words[:MAX_TERMS]
    return terms


MAX_SITE_IDS = 500


def _school_matches(condition: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """Tickets at a school that matches `condition`, or None when no school does.

    The directory (a few thousand rows) is searched first and the tickets are filtered by the
    list of sites found: the branch drops out when no school matches, and PostgreSQL can combine
    it with other indexed branches (BitmapOr), which a sub-select inside an OR prevents. A word
    that matches most schools ("école") keeps the sub-select: no list of thousands of values."""
    sites = select(Site.id).join(Site.establishment).where(condition)
    site_ids = list(db.session.scalars(sites.limit(MAX_SITE_IDS + 1)))
    if not site_ids:
        return None
    if len(site_ids) > MAX_SITE_IDS:
        return Ticket.site_id.in_(sites)
    return Ticket.site_id.in_(site_ids)


def _word_matches(word: str, *, en_staff: bool) -> ColumnElement[bool]:
    """The ticket's reference, summary, label or serial holds `word` (or its school's name or
    locality does, or the contact's name for EN staff), whatever the case and accents.

    The ticket's own fields are read from their folded copies (Ticket.search_text,
    contact_search), which a trigram index serves on PostgreSQL: no row is read to be rejected."""
    upper, folded = word.upper(), fold_text(word)
    in_text = Ticket.search_text.contains(folded, autoescape=True)
    if _REFERENCE.fullmatch(word):
        # "TECH-175" names one ticket (or a label or serial written that way): the folded text
        # finds the candidates, the label and serial themselves say which hold it.
        identifiers = or_(
            Ticket.equipment_label.contains(upper, autoescape=True),
            Ticket.equipment_serial.contains(upper, autoescape=True),
        )
        return or_(Ticket.reference == upper, and_(in_text, identifiers))
    # The site's folded copy of its establishment's name and its locality (trigram-indexed).
    school = [Site.search_name.contains(folded, autoescape=True)]
    number = parse_int(word, minimum=0)
    if number is not None:
        school += [Establishment.fase == number, Site.fi == number]
    options = [in_text]
    at_school = _school_matches(or_(*school))
    if at_school is not None:
        options.append(at_school)
    if en_staff:
        options.append(Ticket.contact_search.contains(folded, autoescape=True))
    return or_(*options)


def search_condition(text: str, *, en_staff: bool) -> ColumnElement[bool] | None:
    terms = parse_search(text)
    if terms.empty:
        return None
    conditions = []
    school = []
    if terms.fe is not None:
        school.append(Establishment.fase == terms.fe)
    if terms.fi is not None:
        school.append(Site.fi == terms.fi)
    if school:
        at_school = _school_matches(and_(*school))
        conditions.append(false() if at_school is None else at_school)
    conditions += [_word_matches(word, en_staff=en_staff) for word in terms.words]
    matched = and_(*conditions) if conditions else None
    if en_staff and terms.phone_digits:
        phone = Ticket.contact_phone.contains(terms.phone_digits, autoescape=True)
        return or_(phone, matched) if matched is not None else phone
    return matched


# ------------------------------------------------------------------ the list


def soon_bound(now: datetime) -> datetime:
    """The due time below which a running clock is « bientôt en retard » (standard calendar)."""
    return calendar_for(None, school_holidays=()).add_business_minutes(now, warning_minutes())


def _running_clocks(user: User):
    query = select(ServiceClock.ticket_id).where(ServiceClock.stopped_at.is_(None))
    if user.role == Role.SUPPLIER:
        query = query.where(ServiceClock.supplier_id == user.supplier_id)
    return query


def delay_condition(user: User, delai: str, now: datetime) -> ColumnElement[bool]:
    """Tickets with a running clock past due (LATE) or due soon (SOON): one range of
    ix_service_clock_running_due (stopped_at, due_at), inside the same statement."""
    clocks = _running_clocks(user)
    if delai == LATE:
        clocks = clocks.where(ServiceClock.due_at < now)
    else:
        clocks = clocks.where(ServiceClock.due_at >= now, ServiceClock.due_at <= soon_bound(now))
    return Ticket.id.in_(clocks)


def list_conditions(
    user: User, params: ListParams, *, now: datetime | None = None
) -> list[ColumnElement[bool]]:
    en_staff = user.role in EN_STAFF
    conditions = [visible_to(user)]
    if params.etat in SCOPES:
        statuses = SCOPES[params.etat]
        if statuses is not None:
            conditions.append(Ticket.status.in_(sorted(s.value for s in statuses)))
    else:
        conditions.append(Ticket.status == params.etat)
    if params.createur:
        conditions.append(Ticket.creator_id == params.createur)
    if params.type:
        conditions.append(Ticket.request_type_id == params.type)
    if en_staff and params.fournisseur == NO_SUPPLIER:
        conditions.append(Ticket.supplier_id.is_(None))
    elif en_staff and params.fournisseur:
        conditions.append(Ticket.supplier_id == params.fournisseur)
    if params.delai:
        conditions.append(delay_condition(user, params.delai, now or utcnow()))
    if params.q:
        found = search_condition(params.q, en_staff=en_staff)
        if found is not None:
            conditions.append(found)
    return conditions


def _rank(column, ordered_ids: list[int]) -> ColumnElement:
    """The position of `column`'s value in `ordered_ids`: a sort key without a join.

    Request types, categories and EN staff are a few rows, put in order once by a small query;
    sorting the tickets by that position spares joining every matching ticket to another table
    and comparing names under a collation, row by row."""
    if not ordered_ids:
        return literal(0)
    positions = {value: position for position, value in enumerate(ordered_ids)}
    return case(positions, value=column, else_=len(ordered_ids))


def _sort_keys(params: ListParams) -> list:
    descending = params.ordre == "desc"

    def direction(column):
        return column.desc() if descending else column.asc()

    if params.tri == "type":
        types = select(RequestType.id).order_by(name_order(RequestType.name), RequestType.id)
        keys = [direction(_rank(Ticket.request_type_id, list(db.session.scalars(types))))]
    elif params.tri == "reference":
        categories = select(PortalCategory.id).order_by(PortalCategory.key)
        rank = _rank(Ticket.category_id, list(db.session.scalars(categories)))
        keys = [direction(rank), direction(Ticket.number)]
    elif params.tri == "resume":
        keys = [direction(func.lower(Ticket.summary))]
    elif params.tri == "etat":
        keys = [direction(_rank(Ticket.status, [status.value for status in Status]))]
    elif params.tri in ("demandeur", "responsable"):
        # Tickets are opened by, and given to, EN staff.
        staff = (
            select(User.id)
            .where(User.role.in_(sorted(EN_STAFF)))
            .order_by(name_order(User.full_name), User.id)
        )
        column = Ticket.creator_id if params.tri == "demandeur" else Ticket.assignee_id
        # Tickets without anyone in charge come last, whichever the direction.
        keys = [column.is_(None), direction(_rank(column, list(db.session.scalars(staff))))]
    else:
        keys = [direction(Ticket.created_at)]
    # Newest first among equals, and the id last: a stable order across pages.
    return [*keys, Ticket.created_at.desc(), Ticket.id.desc()]


@dataclass
class TicketPage:
    """One page of the list, with what the pagination needs (Flask-SQLAlchemy's names)."""

    items: list[Ticket]
    total: int
    page: int
    per_page: int
    # A search stops counting past a bound: `total` is then the bound and there are more.
    more: bool = False
    # The service-level state of the rows shown: ticket id → LATE, SOON or "pause" (no entry:
    # on time, or no clock running).
    delays: dict[int, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more or self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_query(conditions, order, page: int, per_page: int, *columns):
    return (
        select(Ticket, *columns)
        .where(*conditions)
        .options(
            selectinload(Ticket.request_type),
            selectinload(Ticket.creator),
            selectinload(Ticket.assignee),
            selectinload(Ticket.site).joinedload(Site.establishment),
            selectinload(Ticket.supplier),
        )
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def _count(conditions) -> int:
    return db.session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0


# A search counts its matches up to this many (« plus de 1 000 demandes »), or up to the page
# asked for: a word found in half the tickets does not make every row be counted.
SEARCH_COUNT_BOUND = 1000


def _bounded_count(conditions, bound: int) -> tuple[int, bool]:
    """The number of matching tickets, or (`bound`, True) when there are more than `bound`."""
    found = select(Ticket.id).where(*conditions).limit(bound + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(found)) or 0
    return (bound, True) if total > bound else (total, False)


PAUSED = "pause"


def delay_states(user: User, tickets: list[Ticket], now: datetime) -> dict[int, str]:
    """The badge of each row (one grouped query on the page's ids; EN staff and suppliers)."""
    if not tickets or user.role not in (*EN_STAFF, Role.SUPPLIER):
        return {}
    ids = [t.id for t in tickets if not t.is_final]
    if not ids:
        return {}
    rows = db.session.execute(
        _running_clocks(user)
        .add_columns(func.min(ServiceClock.due_at), func.count(), func.count(ServiceClock.due_at))
        .where(ServiceClock.ticket_id.in_(ids))
        .group_by(ServiceClock.ticket_id)
    ).all()
    soon = soon_bound(now)
    states = {}
    for ticket_id, due, running, with_due in rows:
        if running > with_due:
            states[ticket_id] = PAUSED
        elif due is not None and due < now:
            states[ticket_id] = LATE
        elif due is not None and due <= soon:
            states[ticket_id] = SOON
    return states


def list_tickets(
    user: User, params: ListParams, *, per_page: int = PER_PAGE, now: datetime | None = None
) -> TicketPage:
    """The page of tickets `params` asks for, among those `user` may see.

    Two statements for the list itself (a COUNT, then the page), then one IN query per related
    table for the rows shown. A search's COUNT stops past SEARCH_COUNT_BOUND matches (or the
    page asked for): the page then says « plus de … ». A page past the end shows the last one.
    """
    now = now or utcnow()
    conditions = list_conditions(user, params, now=now)
    more = False
    if params.q:
        bound = max(SEARCH_COUNT_BOUND, params.page * per_page)
        total, more = _bounded_count(conditions, bound)
    else:
        total = _count(conditions)
    page = params.page if more else min(params.page, max(1, math.ceil(total / per_page)))
    items = (
        list(db.session.scalars(_page_query(conditions, _sort_keys(params), page, per_page)))
        if total
        else []
    )
    delays = delay_states(user, items, now)
    return TicketPage(items, total, page, per_page, more=more, delays=delays)


# ------------------------------------------------------------------ the filters' choices


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def creator_choices(user: User) -> list[Choice]:
    """« Tous les créateurs » or one: the people who opened a ticket this user can see.

    Tickets are opened by EN staff: each staff member is one EXISTS probe on ix_ticket_creator_id,
    rather than a DISTINCT over every ticket the user sees."""
    opened = (
        select(Ticket.id)
        .where(Ticket.creator_id == User.id, visible_to(user))
        .correlate(User)
        .exists()
    )
    rows = db.session.execute(
        select(User.id, User.full_name)
        .where(User.role.in_(sorted(EN_STAFF)), opened)
        .order_by(name_order(User.full_name), User.id)
    )
    return [Choice(str(user_id), name) for user_id, name in rows]


def request_type_choices() -> list[Choice]:
    rows = db.session.execute(
        select(RequestType.id, RequestType.name, PortalCategory.name)
        .join(RequestType.category)
        .order_by(PortalCategory.position, PortalCategory.name, RequestType.name)
    ).all()
    names = [name for _id, name, _category in rows]
    return [
        # The category's name only where two categories have a type of the same name.
        Choice(str(type_id), name if names.count(name) == 1 else f"{name} ({category})")
        for type_id, name, category in rows
    ]


def supplier_choices() -> list[Choice]:
    rows = db.session.execute(select(Supplier.id, Supplier.name).order_by(Supplier.name))
    return [Choice(str(supplier_id), name) for supplier_id, name in rows]


@dataclass
class FilterOptions:
    states: list[str]
    creators: list[Choice]
    request_types: list[Choice]
    suppliers: list[Choice] | None  # None: not offered (suppliers and teachers)


def filter_options(user: User) -> FilterOptions:
    en_staff = user.role in EN_STAFF
    return FilterOptions(
        states=states_for(en_staff),
        creators=creator_choices(user),
        request_types=request_type_choices(),
        suppliers=supplier_choices() if en_staff else None,
    )
