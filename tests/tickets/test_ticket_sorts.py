"""The list's sorts served by indexes: a sort by type, reference, state or person reads the
page group by group (counts per value, then each group along its index), and gives exactly the
order one ORDER BY over every ticket gives, on every page and in both directions."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import PortalCategory, RequestType, Ticket
from app.tickets import queries
from app.tickets.queries import SORTS, ListParams
from tests.support.tickets import NOW, build_world
from tests.tickets.test_ticket_list import new

PER_PAGE = 4


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def varied(world):
    """Twenty tickets over two categories and types, five states, three people in charge
    (and none), creators from EN staff and one who is not, some created at the same instant."""
    info = PortalCategory(key="INFO", name="Centre d'informations")
    question = RequestType(category=info, name="Autre question")
    db.session.add_all([info, question])
    db.session.commit()
    states = itertools.cycle(["open", "in_progress", "done", "closed", "cancelled"])
    people = itertools.cycle([world.assistant, world.assistant2, world.coordinator, None])
    creators = itertools.cycle([world.assistant2, world.assistant, world.teacher])
    summaries = itertools.cycle(["Écran noir", "ecran noir", "Batterie", "Zébra", "avion"])
    for n in range(20):
        kind = question.id if n % 3 == 0 else world.request_type.id
        ticket = new(world, next(summaries), days_ago=n // 2, request_type_id=kind)
        assignee, creator = next(people), next(creators)
        ticket.status = next(states)
        ticket.assignee_id = assignee.id if assignee else None
        ticket.creator_id = creator.id
        ticket.created_at = NOW - timedelta(days=n // 2)  # pairs created at the same instant
    db.session.commit()
    return world


def whole_order(user, params) -> list[str]:
    """The order of one ORDER BY over every ticket (the sort a search's matches get)."""
    conditions = queries.list_conditions(user, params)
    ranked = queries._ranked_sort(params)
    query = select(Ticket.reference).where(*conditions)
    if ranked is not None:
        query = query.outerjoin(*ranked.join())
    query = query.order_by(*queries._sort_keys(params, ranked))
    return list(db.session.scalars(query))


def paged_order(user, params) -> tuple[list[str], int]:
    shown, page = [], 1
    while True:
        result = queries.list_tickets(
            user, ListParams(**{**params.__dict__, "page": page}), per_page=PER_PAGE
        )
        shown += [ticket.reference for ticket in result.items]
        if not result.has_next:
            return shown, result.total
        page += 1


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("ordre", ["asc", "desc"])
def test_every_page_of_every_sort_follows_one_order(varied, sort, ordre):
    for user, etat in ((varied.coordinator, "toutes"), (varied.supplier_user, "ouvertes")):
        params = ListParams(etat=etat, tri=sort, ordre=ordre)
        expected = whole_order(user, params)
        shown, total = paged_order(user, params)
        assert shown == expected
        assert total == len(expected)
    assert len(whole_order(varied.coordinator, ListParams(etat="toutes"))) == 20


def test_no_one_in_charge_comes_last_both_ways(varied):
    for ordre in ("asc", "desc"):
        params = ListParams(etat="toutes", tri="responsable", ordre=ordre)
        shown, _total = paged_order(varied.coordinator, params)
        unassigned = set(
            db.session.scalars(select(Ticket.reference).where(Ticket.assignee_id.is_(None)))
        )
        assert set(shown[-len(unassigned) :]) == unassigned


def test_a_creator_outside_en_staff_is_sorted_after_the_staff(varied):
    params = ListParams(etat="toutes", tri="demandeur", ordre="asc")
    shown, _total = paged_order(varied.coordinator, params)
    by_teacher = set(
        db.session.scalars(select(Ticket.reference).where(Ticket.creator_id == varied.teacher.id))
    )
    assert set(shown[-len(by_teacher) :]) == by_teacher


def test_the_summary_sorts_without_accents_or_case(varied):
    params = ListParams(etat="toutes", tri="resume", ordre="asc")
    shown, _total = paged_order(varied.coordinator, params)
    summaries = dict(db.session.execute(select(Ticket.reference, Ticket.summary)).all())
    firsts = [summaries[reference][0] for reference in shown]
    assert firsts == sorted(firsts, key=lambda c: c.lower().replace("É", "e").replace("é", "e"))
    assert (firsts[0], firsts[-1]) == ("a", "Z")


def test_a_page_past_the_end_shows_the_last_one(varied):
    params = ListParams(etat="toutes", tri="responsable", page=99)
    result = queries.list_tickets(varied.coordinator, params, per_page=PER_PAGE)
    assert (result.page, len(result.items)) == (5, 4)


# ------------------------------------------------------------------ the plans


def plan_of(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    # Twenty rows are read whole by any planner; with sequential scans priced out, the plan
    # shows the index that serves the order on a table worth indexing.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("responsable", "ix_ticket_assignee_created"),
        ("demandeur", "ix_ticket_creator_created"),
        ("type", "ix_ticket_request_type_created"),
        ("etat", "ix_ticket_status_created"),
        ("reference", "uq_ticket_category_id_number"),
    ],
)
def test_each_group_of_a_ranked_sort_is_read_along_an_index(varied, sort, index):
    params = ListParams(etat="toutes", tri=sort)
    conditions = queries.list_conditions(varied.coordinator, params)
    ranked = queries._ranked_sort(params)
    counts = ranked.counts(conditions)
    plan = plan_of(queries._ranked_page_query(conditions, ranked, counts, 2, PER_PAGE))
    assert index in plan, plan
    assert "Sort Key: (CASE" not in plan, plan


@pytest.mark.postgres
def test_the_summary_sort_is_read_along_its_index(varied):
    params = ListParams(etat="toutes", tri="resume")
    conditions = queries.list_conditions(varied.coordinator, params)
    plan = plan_of(queries._page_query(conditions, queries._sort_keys(params, None), 1, 25))
    assert "ix_ticket_summary_sort" in plan, plan
