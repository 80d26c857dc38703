"""Every ticket event kind is described once (app.tickets.events), and completely.

A kind added to `EventKind` without its sentence, its mail (headline, audience, preference group,
notices) or, for a workflow action, its success message and form fails here rather than on a
page or in a mail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import render_template_string

from app.models import TicketEvent
from app.notify import preferences
from app.notify.audience import AUDIENCES, TicketPeople, _people_for
from app.tickets.action_forms import ACTION_FORMS
from app.tickets.events import DESCRIPTIONS, KIND_OF_ACTION, RECIPIENT_LABELS, EventKind
from app.tickets.workflow import TRANSITIONS, Action, Actor, Status

KINDS = list(EventKind)
NOTICE_TEMPLATES = ("mail/_notices.html", "mail/_notices.txt")


def _event(kind: EventKind) -> TicketEvent:
    return TicketEvent(
        kind=kind.value,
        body="Claire Dumont",
        data={"at": datetime(2026, 3, 4, 9, tzinfo=UTC).isoformat(), "supplier_id": 1},
    )


def test_every_kind_is_described_and_nothing_else():
    assert set(DESCRIPTIONS) == set(EventKind)


def test_the_kinds_that_send_mail_and_only_those_have_a_rank():
    assert {kind for kind in EventKind if kind.rank} == {
        kind for kind in EventKind if kind.sends_mail
    }
    assert EventKind.CREATED.rank > EventKind.PLAN.rank > EventKind.COMMENT.rank
    assert EventKind.REASSIGN_SUPPLIER.rank == EventKind.CREATED.rank


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_kind_has_its_activity_sentence(app, kind):
    with app.test_request_context():
        sentence = kind.sentence(_event(kind), {1: "Infotech"})
    assert isinstance(sentence, str)
    assert sentence.strip()
    assert "?" not in sentence, sentence  # a value the sentence needs was not found
    assert "%(" not in sentence, sentence


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_kind_that_sends_mail_has_a_headline_an_audience_and_a_group(kind):
    description = kind.description
    declared = [description.headline is not None, bool(description.audience), bool(kind.group)]
    assert all(declared) or not any(declared), (kind, declared)
    if not kind.sends_mail:
        return
    fields = dict.fromkeys(("date", "time", "actor", "supplier", "technician"), "x")
    assert kind.headline.format(**fields).strip()
    for group in kind.audience:
        _people_for(group.rstrip("!"), TicketPeople())  # KeyError for a group nobody defines
    assert kind.group in preferences.GROUP_BY_KEY
    assert kind in preferences.GROUP_BY_KEY[kind.group].kinds
    assert AUDIENCES[kind] == kind.audience


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_notices_a_kind_names_exist_in_both_mail_parts(app, kind):
    names = {kind.notice_for(True), kind.notice_for(False)} - {None}
    with app.test_request_context():
        for template in NOTICE_TEMPLATES:
            for name in names:
                source = f'{{% import "{template}" as n %}}{{{{ n["{name}"] is defined }}}}'
                assert render_template_string(source) == "True", (template, name)


def test_every_workflow_action_is_one_kind():
    assert set(KIND_OF_ACTION) == set(Action)
    actions = [d.action for d in DESCRIPTIONS.values() if d.action is not None]
    assert len(actions) == len(set(actions))


def test_every_action_a_person_takes_has_a_form_and_a_success_message():
    for action, transition in TRANSITIONS.items():
        if transition.actors == {Actor.SYSTEM}:
            continue
        assert action in ACTION_FORMS, action
        assert EventKind.of_action(action).description.success is not None, action


@pytest.mark.parametrize("action", list(ACTION_FORMS), ids=str)
def test_every_action_with_a_form_has_its_success_message_and_its_fields(app, action):
    kind = EventKind.of_action(action)
    ticket = SimpleNamespace(
        status=Status.DONE,
        supplier=SimpleNamespace(name="Infotech"),
        technician=SimpleNamespace(full_name="Paul Lambert"),
        assignee=SimpleNamespace(full_name="Claire Dumont"),
    )
    with app.test_request_context():
        assert kind.success_message(ticket, Status.DONE).strip()
        form = ACTION_FORMS[action](meta={"csrf": False})
        names = [n for row in form.FIELDS for n in ((row,) if isinstance(row, str) else row)]
        assert names or form.announces_visit, action
        for name in names:
            assert name in form, (action, name)


def test_the_visit_forms_warn_the_audience_of_their_event(app):
    with app.test_request_context():
        for action in (Action.PLAN, Action.RESCHEDULE):
            form = ACTION_FORMS[action](meta={"csrf": False})
            kind = EventKind.of_action(action)
            expected = [str(RECIPIENT_LABELS[g]) for g in kind.audience if g in RECIPIENT_LABELS]
            assert form.recipients == expected
            assert len(form.recipients) == 3
        # Other forms do not announce anything by themselves.
        assert ACTION_FORMS[Action.FINISH](meta={"csrf": False}).recipients == []
