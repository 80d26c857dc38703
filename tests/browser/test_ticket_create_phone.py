"""An assistant opens a ticket on a phone (real Chromium, 390×844): the school found as they
type, the teacher picked from the school's accounts, the device looked up, then the ticket."""

from __future__ import annotations

import re

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Ticket
from tests.support import factories
from tests.support.web import sign_in

pytestmark = pytest.mark.browser


def test_assistant_creates_a_ticket_on_a_phone(app, live_server, phone_page, tmp_path, world):
    world.site.establishment.name = "Ecole fondamentale communale de Borlon"
    world.site.address, world.site.postal_code, world.site.locality = (
        "Tige du Bois de Gras 16B",
        "6941",
        "BORLON",
    )
    laptop = factories.equipment(
        label="EN01-LOT01-04242",
        serial="5CD1234XYZ",
        lot="Lot 01",
        model="Ordinateur portable 14 pouces",
        site=world.site,
        supplier=world.supplier,
    )
    db.session.commit()
    page = phone_page
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    sign_in(page, world.assistant, base=live_server.url)

    page.get_by_label("Navigation principale").get_by_role("link", name="Nouvelle demande").click()
    page.wait_for_url(f"{live_server.url}/demandes/nouvelle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande")

    # Part of the school's name, without its accent or capital: the suggestions come.
    page.get_by_label("Implantation scolaire").press_sequentially("borl", delay=40)
    suggestion = page.get_by_role("button", name=re.compile(r"FI \d+ - FE \d+ - Ecole .*Borlon"))
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.locator(".site-chosen")).to_contain_text(world.site.label)
    expect(page.get_by_label("Implantation scolaire")).to_have_value(world.site.label)

    # The school's teachers as a quick pick for the contact.
    page.get_by_role("button", name="Claire Dumont").click()
    expect(page.get_by_label("Personne de contact")).to_have_value("Claire Dumont")
    expect(page.get_by_label("Adresse e-mail (facultatif)")).to_have_value(world.teacher.email)
    page.get_by_label("Numéro de téléphone").fill("0123/456789")

    # The device by its serial: the inventory's description, and its supplier proposed.
    page.get_by_label("Numéro de série").fill("5cd1234xyz")
    expect(page.locator("#equipment-result")).to_contain_text(
        "Ecole Numérique - Lot 01 - Ordinateur portable 14 pouces"
    )
    expect(page.get_by_label("Fournisseur")).to_have_value(str(world.supplier.id))

    page.get_by_label("Type de demande").select_option(label="Retour fournisseur")
    page.get_by_label("Résumé").fill("Portable : écran noir au démarrage")
    page.get_by_label("Description (diagnostic)").fill("Rétroéclairage HS, testé sur secteur.")
    # A photo from the phone's camera (sent with the boosted form as multipart).
    photo = tmp_path / "IMG_2031.jpg"
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    Image.new("RGB", (1600, 1200), (90, 90, 90)).save(photo, "JPEG", exif=exif.tobytes())
    page.get_by_label("Pièces jointes (facultatif)").set_input_files(photo)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Créer la demande").click()
    page.wait_for_url(f"{live_server.url}/demandes/TECH-1")
    expect(page.get_by_text("Demande TECH-1 créée.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket))
    assert ticket.site_id == world.site.id
    assert ticket.equipment_id == laptop.id
    assert ticket.supplier_id == world.supplier.id
    assert ticket.contact_phone == "+32123456789"
    assert ticket.contact_user_id == world.teacher.id
    recipients = set(
        db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.ticket_id == ticket.id)
        )
    )
    assert recipients == {"support@meuse.example.com", world.teacher.email}
    [attachment] = ticket.attachments
    assert (attachment.filename, attachment.content_type) == ("IMG_2031.jpg", "image/jpeg")
    assert attachment.thumbnail_key
    assert problems == []
