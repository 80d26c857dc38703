"""A phone number reads the same, grouped the Belgian way, wherever Relais shows it."""

from __future__ import annotations

from app.extensions import db
from app.models import OutboxMessage
from app.tickets.phones import display
from tests.support.tickets import build_world
from tests.support.web import signed_in


def test_numbers_are_grouped_even_when_unassigned():
    assert display("+3281123456") == "081 12 34 56"
    assert display("+32470123456") == "0470 12 34 56"
    # Possible numbers no operator holds (the old portal's « 0123/456789 »): grouped too.
    assert display("0123/456790") == "0123 45 67 90"
    assert display("+32123456790") == "0123 45 67 90"


def test_the_ticket_the_directory_and_the_mail_show_one_form(app):
    world = build_world()
    world.teacher.phone = "0123/456790"  # as the old portal stored it
    world.supplier.phone = "0123/456791"
    db.session.commit()
    ticket = world.new_ticket()  # its contact's phone: +3281123456
    mail = db.session.scalars(db.select(OutboxMessage).limit(1)).one()
    assert "081 12 34 56" in mail.body_text
    assert "081 12 34 56" in mail.body_html
    ticket.contact_phone = "+32123456790"
    db.session.commit()
    client = signed_in(app, world.assistant)

    page = client.get(f"/demandes/{ticket.reference}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ">0123 45 67 90</a>" in html
    assert 'href="tel:+32123456790"' in html

    site = world.site
    school = client.get(f"/annuaire/ecoles/{site.establishment.fase}/{site.fi}")
    assert school.status_code == 200
    html = school.get_data(as_text=True)
    assert ">0123 45 67 90</a>" in html
    assert "0123/456790" not in html

    supplier = client.get(f"/annuaire/fournisseurs/{world.supplier.id}")
    assert supplier.status_code == 200
    html = supplier.get_data(as_text=True)
    assert ">0123 45 67 91</a>" in html
    assert "0123/456791" not in html
