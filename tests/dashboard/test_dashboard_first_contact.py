"""« Résolue au premier contact »: its share on the dashboard against the 85 % bar, the
arithmetic by hand and the figure over real tickets."""

from __future__ import annotations

from datetime import date

from app.dashboard import stats
from app.dashboard.figures import Period, dashboard, first_contact
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support.tickets import later
from tests.support.web import signed_in

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def test_the_share_by_hand():
    assert stats.FirstContact(resolved=17, opened=20).share == 0.85
    assert stats.FirstContact(resolved=17, opened=20).meets_bar is True
    assert stats.FirstContact(resolved=4, opened=6).meets_bar is False
    assert stats.FirstContact().share is None
    assert stats.FirstContact().meets_bar is None


def _resolve(world, ticket, first_contact: bool):
    apply_action(
        world.assistant,
        ticket.id,
        Action.RESOLVE,
        ActionInput(summary="Réglé par téléphone.", first_contact=first_contact),
        version=ticket.version,
        now=later(5),
    )


def test_the_dashboard_counts_the_tickets_opened_in_the_period(app, world):
    tickets = [world.new_ticket(summary=f"Demande {n}") for n in range(7)]  # 3 March
    for ticket in tickets[:4]:
        _resolve(world, ticket, True)
    _resolve(world, tickets[4], False)  # resolved by the EN team, but not at the first contact
    apply_action(  # a duplicate: not counted
        world.assistant,
        tickets[6].id,
        Action.CANCEL,
        ActionInput(reason="Doublon."),
        version=tickets[6].version,
        now=later(6),
    )
    figure = first_contact(MARCH)
    assert (figure.resolved, figure.opened) == (4, 6)
    assert figure.meets_bar is False
    assert first_contact(Period(date(2026, 4, 1), date(2026, 4, 30))).opened == 0
    assert dashboard(MARCH, supplier_id=world.supplier.id).first_contact is None

    page = signed_in(app, world.coordinator).get("/suivi/?du=2026-03-01&au=2026-03-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "des demandes résolues au premier contact par l’équipe EN (4 sur 6 ouvertes ; " in html
    assert "objectif 85 %" in html
    assert 'id="first-contact"' in html
    assert "kpi-bad" in html.split('id="first-contact"')[1][:80]
