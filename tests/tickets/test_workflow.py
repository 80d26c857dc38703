"""The transition table, over every (state, action, actor): docs/domain.md, « Actions », written
out again here.

The expected outcomes are spelled out independently of app.tickets.workflow, so that a change to
the table that the documented workflow does not make shows up as a failure.
"""

from __future__ import annotations

import itertools

import pytest
from flask_babel import force_locale

from app.tickets.workflow import (
    Action,
    Actor,
    NoSupplier,
    NotAllowed,
    Status,
    WrongState,
    available_actions,
    check,
    target_status,
)

O, P, D, C, X = Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CLOSED, Status.CANCELLED  # noqa: E741 (short names keep the table readable)
A, CO, S, T, SYS = Actor.ASSISTANT, Actor.COORDINATOR, Actor.SUPPLIER, Actor.TEACHER, Actor.SYSTEM

# action: ({source: target}, allowed actors) — straight from the table of docs/domain.md.
EXPECTED = {
    Action.PLAN: ({O: P}, {S, A}),
    Action.RESCHEDULE: ({P: P}, {S}),
    Action.FINISH: ({P: D}, {S}),
    Action.FINISH_ON_SPOT: ({O: D}, {S}),
    # The EN team's resolution (its own requests, or solved at the first contact).
    Action.RESOLVE: ({O: D}, {A}),
    Action.APPROVE: ({D: C}, {T, A}),
    Action.REOPEN: ({D: O}, {T, A}),
    Action.AUTO_CLOSE: ({D: C}, {SYS}),
    # A question to the school unanswered for 7 business days closes the ticket.
    Action.CLOSE_UNANSWERED: ({O: C, P: C}, {SYS}),
    Action.SEND_BACK: ({O: O, P: O}, {S}),
    Action.REASSIGN_SUPPLIER: ({O: O, P: O}, {A, CO}),
    Action.CANCEL: ({O: X, P: X, D: X}, {A}),
    Action.ASSIGN_TECHNICIAN: ({O: O, P: P, D: D}, {S}),
    Action.CHANGE_ASSIGNEE: ({O: O, P: P, D: D}, {A}),
}
NEEDS_SUPPLIER = {
    Action.PLAN,
    Action.RESCHEDULE,
    Action.FINISH,
    Action.FINISH_ON_SPOT,
    Action.SEND_BACK,
    Action.ASSIGN_TECHNICIAN,
}


def test_every_action_is_specified():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize(
    ("status", "action", "actor"), list(itertools.product(Status, Action, Actor))
)
def test_transition(status, action, actor):
    moves, actors = EXPECTED[action]
    if actor not in actors:
        with pytest.raises(NotAllowed):
            check(action, status, actor, has_supplier=True)
    elif status not in moves:
        with pytest.raises(WrongState):
            check(action, status, actor, has_supplier=True)
    else:
        transition = check(action, status, actor, has_supplier=True)
        assert target_status(transition, status) == moves[status]


@pytest.mark.parametrize("action", sorted(NEEDS_SUPPLIER))
def test_visit_actions_need_a_supplier(action):
    moves, actors = EXPECTED[action]
    status, actor = next(iter(moves)), next(iter(actors))
    with pytest.raises(NoSupplier):
        check(action, status, actor, has_supplier=False)


def test_final_states_allow_nothing():
    for status, actor in itertools.product((C, X), Actor):
        assert available_actions(status, actor, has_supplier=True) == []


def test_buttons_follow_the_current_portal():
    # OUVERT, for the supplier: « Intervention en cours » comes first.
    first = available_actions(O, S, has_supplier=True)[0]
    assert first.label == "Intervention en cours"
    # EN COURS: « Intervention terminée » is offered, planning again is a reschedule.
    labels = [t.label for t in available_actions(P, S, has_supplier=True)]
    assert "Intervention terminée" in labels
    assert "Intervention en cours" not in labels
    # TERMINÉ, for the teacher: approve or reopen, nothing else.
    assert [t.action for t in available_actions(D, T, has_supplier=True)] == [
        Action.APPROVE,
        Action.REOPEN,
    ]


def test_outsiders_never_act():
    for status in Status:
        assert available_actions(status, Actor.OTHER_SUPPLIER, has_supplier=True) == []
        assert available_actions(status, Actor.OTHER_TEACHER, has_supplier=True) == []


def test_only_the_system_closes_an_unanswered_ticket_and_only_before_the_work_is_done():
    for status in (O, P):
        transition = check(Action.CLOSE_UNANSWERED, status, SYS, has_supplier=False)
        assert target_status(transition, status) == C
    with pytest.raises(WrongState):
        check(Action.CLOSE_UNANSWERED, D, SYS, has_supplier=True)
    for actor in (A, CO, S, T):
        with pytest.raises(NotAllowed):
            check(Action.CLOSE_UNANSWERED, O, actor, has_supplier=True)
    # Never a button: nobody but the system may take it.
    for actor in (A, CO, S, T):
        assert Action.CLOSE_UNANSWERED not in [
            t.action for t in available_actions(O, actor, has_supplier=True)
        ]


def test_refusals_are_said_in_the_readers_language(app):
    # The messages are looked up when read: a German reader gets German, a French one French.
    with app.test_request_context():
        assert str(WrongState().message) == (
            "Cette action n’est pas possible dans l’état actuel de la demande."
        )
        with force_locale("de"):
            assert str(WrongState().message) == (
                "Diese Aktion ist im aktuellen Stand der Anfrage nicht möglich."
            )
            assert str(NoSupplier().message) == "Dieser Anfrage ist kein Lieferant zugewiesen."
            assert str(NotAllowed("Seulement ceci.").message) == "Seulement ceci."
