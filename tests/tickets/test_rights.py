"""The rights that pages show as buttons and fields, as plain functions (app/tickets/permissions.py,
app/directory/permissions.py, app/sla/permissions.py, app/auth/roles.py): each granted to the
right people and refused to the others; and a ticket's state as a badge (the Status enum)."""

from __future__ import annotations

import pytest

from app.auth.roles import can_open_outbox
from app.directory.permissions import is_of_company
from app.models import Role
from app.sla.permissions import can_edit_calendar_choices, can_edit_school_holidays
from app.tickets import display
from app.tickets.permissions import (
    ShareCircle,
    Sharing,
    can_comment_internally,
    can_create,
    can_share_with,
    can_take,
    sees_deadlines,
    share_circle,
    sharing,
)
from app.tickets.workflow import Status
from tests.support import factories
from tests.support.tickets import build_world, ticket_in


@pytest.fixture
def world(app):
    return build_world()


def _people(world) -> dict:
    return {
        "assistant in charge": world.assistant,
        "other assistant": world.assistant2,
        "coordinator": world.coordinator,
        "admin": world.admin,
        "supplier": world.supplier_user,
        "other supplier": world.other_supplier_user,
        "teacher": world.teacher,
        "other teacher": world.other_teacher,
    }


def test_taking_a_ticket_is_for_the_other_assistants_while_it_is_open(world):
    ticket = world.new_ticket()  # its assistant in charge: world.assistant
    allowed = {name for name, user in _people(world).items() if can_take(user, ticket)}
    assert allowed == {"other assistant", "admin"}


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_nobody_takes_a_finished_ticket(world, status):
    ticket = ticket_in(world, status)
    assert not any(can_take(user, ticket) for user in _people(world).values())


def test_internal_comments_are_for_en_staff(world):
    ticket = world.new_ticket()
    allowed = {
        name for name, user in _people(world).items() if can_comment_internally(user, ticket)
    }
    assert allowed == {"assistant in charge", "other assistant", "coordinator", "admin"}


def test_sharing_with_whom(world):
    ticket = world.new_ticket()
    # EN staff: anyone with an active account.
    assert can_share_with(world.coordinator, ticket, world.other_teacher) is True
    assert can_share_with(world.assistant, ticket, world.other_supplier_user) is True
    assert can_share_with(world.admin, ticket, world.inactive_coordinator) is False
    # A teacher: the teachers of the same school.
    assert can_share_with(world.teacher, ticket, world.colleague_teacher) is True
    same_establishment = factories.user(Role.TEACHER, site=factories.site(world.site.establishment))
    assert can_share_with(world.teacher, ticket, same_establishment) is True
    assert can_share_with(world.teacher, ticket, world.other_teacher) is False
    assert can_share_with(world.teacher, ticket, world.assistant) is False
    # A supplier: the colleagues of its company.
    assert can_share_with(world.supplier_user, ticket, world.supplier_colleague) is True
    assert can_share_with(world.supplier_user, ticket, world.other_supplier_user) is False
    assert can_share_with(world.supplier_user, ticket, world.colleague_teacher) is False


def test_what_sharing_comes_to(world):
    ticket = world.new_ticket()  # shared with the assistant and the contact teacher
    assert sharing(world.teacher, ticket, world.colleague_teacher) == Sharing.SHARE
    assert sharing(world.assistant2, ticket, world.teacher) == Sharing.ALREADY_SHARED
    assert sharing(world.assistant2, ticket, None) == Sharing.INVITE  # assistants invite teachers
    assert sharing(world.admin, ticket, None) == Sharing.INVITE
    assert sharing(world.coordinator, ticket, None) == Sharing.REFUSED
    assert sharing(world.teacher, ticket, None) == Sharing.REFUSED
    assert sharing(world.assistant2, ticket, world.inactive_coordinator) == Sharing.INACTIVE
    assert sharing(world.supplier_user, ticket, world.other_supplier_user) == Sharing.REFUSED


def test_share_circles(world):
    circles = {name: share_circle(user) for name, user in _people(world).items()}
    assert circles == {
        "assistant in charge": ShareCircle.INVITE,
        "other assistant": ShareCircle.INVITE,
        "coordinator": ShareCircle.ACCOUNTS,
        "admin": ShareCircle.INVITE,
        "supplier": ShareCircle.COMPANY,
        "other supplier": ShareCircle.COMPANY,
        "teacher": ShareCircle.SCHOOL,
        "other teacher": ShareCircle.SCHOOL,
    }


def test_who_opens_tickets_and_who_sees_deadlines(world):
    people = _people(world)
    assert {n for n, u in people.items() if can_create(u)} == {
        "assistant in charge",
        "other assistant",
        "admin",
    }
    assert {n for n, u in people.items() if not sees_deadlines(u)} == {
        "teacher",
        "other teacher",
    }


def test_the_outbox_is_for_admins(world):
    allowed = {n for n, u in _people(world).items() if can_open_outbox(u.role)}
    assert allowed == {"admin"}


def test_a_company_page_offers_its_calendar_to_its_own_users_only(world):
    allowed = {n for n, u in _people(world).items() if is_of_company(u, world.supplier)}
    assert allowed == {"supplier"}
    assert is_of_company(None, world.supplier) is False


def test_who_changes_the_business_calendar(world):
    people = _people(world)
    assert {n for n, u in people.items() if can_edit_school_holidays(u)} == {"admin"}
    assert {n for n, u in people.items() if can_edit_calendar_choices(u)} == {
        "coordinator",
        "admin",
    }
    assert can_edit_school_holidays(None) is False


def test_the_state_panel_announces_the_visit_of_a_ticket_in_progress_only(world):
    assert display.announced_visit(ticket_in(world, "in_progress")) is not None
    assert display.announced_visit(ticket_in(world, "open")) is None


def test_a_state_gives_its_badge(app):
    assert [(s.badge, s.label) for s in Status] == [
        ("info", "OUVERT"),
        ("warning", "EN COURS"),
        ("success", "TERMINÉ"),
        ("neutral", "FERMÉ"),
        ("danger", "ANNULÉ"),
    ]
