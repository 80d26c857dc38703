"""Opening a ticket: who may, the form's checks, the look-ups, warnings, mails and attachments."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, OutboxMessage, Ticket, TicketEvent
from tests.support import factories
from tests.support.web import csrf_token

NEW = "/demandes/nouvelle"


@pytest.fixture
def laptop(world):
    """A device of the inventory at the world's site, maintained by its supplier."""
    item = factories.equipment(
        label="EN01-LOT01-04242",
        serial="5CD1234XYZ",
        lot="Lot 01",
        model="Ordinateur portable 14 pouces",
        site=world.site,
        supplier=world.supplier,
    )
    db.session.commit()
    return item


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (0, 120, 200)).save(out, "PNG")
    return out.getvalue()


def form_data(client, world, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, NEW),
        "site": world.site.label,
        "contact_name": "Claire Dumont",
        "contact_phone": "0123/456789",
        "contact_email": "Claire@Ecole.example.com",
        "equipment_label": "",
        "equipment_serial": "SN-HORS-INVENTAIRE",
        "equipment_description": "Lot 03 - Écran interactif 75 pouces",
        "request_type": str(world.request_type.id),
        "summary": "Écran interactif ne s’allume plus",
        "description": "Diagnostic : l’alimentation ne répond plus.\r\nTesté avec un autre câble.",
        "supplier": str(world.supplier.id),
        "assignee": str(world.assistant.id),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def tickets_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Ticket.id)))


def attachment_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ------------------------------------------------------------------ who may


def test_anonymous_goes_to_sign_in(client, world):
    for path in (NEW, f"{NEW}/implantations?site=test", f"{NEW}/materiel?equipment_serial=X"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("who", ["supplier_user", "teacher", "coordinator"])
def test_others_are_refused(client, login, world, who):
    login(getattr(world, who))
    paths = [
        NEW,
        f"{NEW}/implantations?site=ecole",
        f"{NEW}/implantations/{world.site.id}",
        f"{NEW}/materiel?equipment_serial=SN",
        f"{NEW}/contact/{world.teacher.id}",
    ]
    for path in paths:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client)
    response = client.post(NEW, data={**form_data(client, world), "csrf_token": token})
    assert response.status_code == 403
    assert tickets_count() == 0


@pytest.mark.parametrize("who", ["assistant", "admin"])
def test_assistants_and_admins_get_the_form(client, login, world, who):
    login(getattr(world, who))
    response = client.get(NEW)
    assert response.status_code == 200
    text = page_text(response)
    for label in (
        "Implantation scolaire",
        "Personne de contact",
        "Numéro de téléphone",
        "Étiquette",
        "Numéro de série",
        "Type de demande",
        "Résumé",
        "Description (diagnostic)",
        "Fournisseur",
        "Assistant·e responsable",
        "Pièces jointes",
    ):
        assert label in text
    # The assistant in charge is the creator unless changed; the request types by category.
    me = getattr(world, who)
    assert f'<option selected value="{me.id}">' in text
    assert '<optgroup label="Assistance technique">' in text
    assert 'enctype="multipart/form-data"' in text


# ------------------------------------------------------------------ creating


def test_creation_with_inventory_device_mails_and_attachment(app, client, login, world, laptop):
    login(world.assistant)
    data = form_data(
        client,
        world,
        equipment_serial="",
        equipment_label="en01-lot01-04242",
        equipment_description="",
        supplier="auto",  # the device's supplier
        attachments=(io.BytesIO(png_bytes()), "écran éteint.png"),
    )
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/demandes/TECH-1")

    ticket = db.session.scalar(select(Ticket))
    assert ticket.reference == "TECH-1"
    assert ticket.site_id == world.site.id
    assert ticket.equipment_id == laptop.id
    assert (ticket.equipment_label, ticket.equipment_serial) == ("EN01-LOT01-04242", "5CD1234XYZ")
    assert ticket.supplier_id == world.supplier.id
    assert ticket.contact_phone == "+32123456789"
    assert ticket.contact_email == "claire@ecole.example.com"
    assert ticket.contact_user_id == world.teacher.id
    assert ticket.assignee_id == world.assistant.id
    assert ticket.description == (
        "Diagnostic : l’alimentation ne répond plus.\nTesté avec un autre câble."
    )
    # The supplier's reference address (never its users) and the teacher.
    recipients = sorted(
        db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.ticket_id == ticket.id)
        )
    )
    assert recipients == ["claire@ecole.example.com", "support@meuse.example.com"]
    [attachment] = ticket.attachments
    assert attachment.filename == "écran éteint.png"
    assert attachment.content_type == "image/png"
    assert attachment.event_id == ticket.events[0].id
    assert len(attachment_files(app)) == 2  # the file and its thumbnail

    shown = client.get(response.headers["Location"])
    assert "Demande TECH-1 créée." in page_text(shown)


def test_device_missing_from_inventory_is_accepted(client, login, world):
    login(world.admin)
    response = client.post(NEW, data=form_data(client, world, equipment_serial="sn-hors-42"))
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.equipment_id is None
    assert not ticket.in_inventory
    assert ticket.equipment_serial == "SN-HORS-42"
    assert ticket.equipment_description == "Lot 03 - Écran interactif 75 pouces"
    assert ticket.creator_id == world.admin.id


def test_supplier_can_be_none_or_another_than_the_devices(client, login, world, laptop):
    login(world.assistant)
    data = form_data(client, world, equipment_serial=laptop.serial, supplier="none")
    assert client.post(NEW, data=data).status_code == 302
    data = form_data(
        client, world, equipment_serial=laptop.serial, supplier=str(world.other_supplier.id)
    )
    data["confirm"] = "y"  # the first ticket is open for the same device
    assert client.post(NEW, data=data).status_code == 302
    first, second = db.session.scalars(select(Ticket).order_by(Ticket.id))
    assert first.supplier_id is None
    assert second.supplier_id == world.other_supplier.id


def test_another_assistant_in_charge(client, login, world):
    login(world.assistant)
    response = client.post(NEW, data=form_data(client, world, assignee=str(world.assistant2.id)))
    assert response.status_code == 302
    assert db.session.scalar(select(Ticket)).assignee_id == world.assistant2.id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0123/456789", "+32123456789"),
        ("081 12 34 56", "+3281123456"),
        ("081/12.34.56", "+3281123456"),
        ("0471 12 34 56", "+32471123456"),
        ("+32 81 12 34 56", "+3281123456"),
        ("0032 471 12 34 56", "+32471123456"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_phone_formats(client, login, world, typed, stored):
    login(world.assistant)
    response = client.post(NEW, data=form_data(client, world, contact_phone=typed))
    assert response.status_code == 302
    assert db.session.scalar(select(Ticket.contact_phone)) == stored


# ------------------------------------------------------------------ bad input


BAD_INPUT = [
    ("site", "", "Indiquez l’implantation"),
    ("site", "Zzyzx inexistante", "Aucune implantation ne correspond à « Zzyzx inexistante »"),
    ("contact_name", "", "Indiquez le nom de la personne de contact."),
    ("contact_name", "x" * 121, "120 caractères au maximum."),
    ("contact_phone", "", "Indiquez le numéro de téléphone de la personne de contact."),
    ("contact_phone", "12ab", "Ce numéro n’est pas un numéro de téléphone"),
    ("contact_phone", "0123", "Ce numéro n’est pas un numéro de téléphone"),
    ("contact_phone", "0123/456789012345", "Ce numéro n’est pas un numéro de téléphone"),
    ("contact_email", "claire@", "Cette adresse e-mail n’est pas valide."),
    ("equipment_serial", "", "Indiquez l’étiquette ou le numéro de série du matériel."),
    ("equipment_description", "", "Ce matériel n’est pas dans l’inventaire"),
    ("request_type", "0", "Choisissez un type de demande."),
    ("request_type", "999999", "Choisissez un type de demande."),
    ("request_type", "abc", "Choisissez un type de demande."),
    ("summary", "", "Résumez le problème en une ligne."),
    ("summary", "s" * 256, "255 caractères au maximum."),
    ("description", "   ", "Décrivez le diagnostic réalisé."),
    ("supplier", "999999", "Ce fournisseur n’existe pas ou n’est plus actif."),
    ("assignee", "supplier_user", "Choisissez un·e assistant·e EN actif·ve."),
]


TEXT_FIELDS = {
    "site",
    "contact_name",
    "contact_phone",
    "contact_email",
    "equipment_serial",
    "equipment_description",
    "summary",
}


@pytest.mark.parametrize(("name", "value", "message"), BAD_INPUT)
def test_bad_input_comes_back_with_its_message(app, client, login, world, name, value, message):
    login(world.assistant)
    if value == "supplier_user":
        value = str(world.supplier_user.id)
    data = form_data(client, world, **{name: value, "contact_name": "Élodie « Test » Dupont"})
    if name == "contact_name":
        data[name] = value
    # A good attachment goes along: it must not be written for a refused form.
    data["attachments"] = (io.BytesIO(png_bytes()), "photo.png")
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    text = page_text(response)
    assert message in text
    # The message is next to its field, tied to it for screen readers, and linked from the top.
    assert f'id="{name}-error"' in text
    assert f'aria-describedby="{name}-error"' in text or f'-hint {name}-error"' in text
    summary = text[text.index("error-summary") :]
    assert f'<a href="#{name}">' in summary[: summary.index("</ul>")]
    # What was typed is kept, in this field and the others.
    if name in TEXT_FIELDS and value.strip():
        assert f'value="{value}"' in text
    if name != "contact_name":
        assert 'value="Élodie « Test » Dupont"' in text
    assert "Les fichiers choisis ne sont pas gardés" in text
    assert tickets_count() == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert attachment_files(app) == []
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_refused_attachment_saves_nothing(app, client, login, world):
    login(world.assistant)
    data = form_data(client, world)
    data["attachments"] = [
        (io.BytesIO(png_bytes()), "bonne.png"),
        (io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.jpg"),
    ]
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    text = page_text(response)
    assert "« photo.jpg » : Ce type de fichier n’est pas accepté" in text
    assert 'id="attachments-error"' in text
    assert tickets_count() == 0
    assert attachment_files(app) == []


def test_attachments_that_cannot_be_stored_leave_no_ticket(app, client, login, world, full_disk):
    """The files are stored inside the creation's change: a full or unwritable disk leaves no
    ticket, no event and no mail, and the form comes back as typed."""
    login(world.assistant)
    data = form_data(client, world, attachments=(io.BytesIO(png_bytes()), "photo.png"))
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    text = page_text(response)
    assert "Les fichiers n’ont pas pu être enregistrés" in text
    assert 'id="attachments-error"' in text
    assert 'value="Écran interactif ne s’allume plus"' in text
    assert tickets_count() == 0
    assert db.session.scalar(select(func.count(TicketEvent.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_too_many_files(client, login, world):
    login(world.assistant)
    data = form_data(client, world)
    data["attachments"] = [(io.BytesIO(png_bytes()), f"p{i}.png") for i in range(6)]
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "5 fichiers au maximum par envoi." in page_text(response)


def test_label_and_serial_of_two_devices(client, login, world, laptop):
    other = factories.equipment(label="EN01-LOT01-09999", serial="5CD9999AAA")
    db.session.commit()
    login(world.assistant)
    data = form_data(client, world, equipment_label=laptop.label, equipment_serial=other.serial)
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    assert "désignent deux matériels différents" in page_text(response)
    assert tickets_count() == 0


# ------------------------------------------------------------------ the site, without JavaScript


def test_site_found_by_fi_fe_or_name_without_javascript(client, login, world):
    world.site.establishment.name = "École communale de Borlon"
    db.session.commit()
    login(world.assistant)
    texts = (f"FI {world.site.fi}", f"FE {world.site.fe}", "ecole borlon", world.site.label)
    for text in texts:
        response = client.post(NEW, data=form_data(client, world, site=text, confirm="y"))
        assert response.status_code == 302, text
    assert db.session.scalars(select(Ticket.site_id).distinct()).all() == [world.site.id]


def test_several_sites_come_back_as_choices(client, login, world):
    establishment = world.site.establishment
    second = factories.site(establishment, address="Rue de la Laiterie 32", locality="TOHOGNE")
    db.session.commit()
    login(world.assistant)
    response = client.post(NEW, data=form_data(client, world, site=f"FE {establishment.fase}"))
    assert response.status_code == 422
    text = page_text(response)
    assert "Plusieurs implantations correspondent : choisissez-en une ci-dessous." in text
    assert f'name="site_pick" value="{second.id}"' in text
    assert f'name="site_pick" value="{world.site.id}"' in text
    assert second.label in text
    assert tickets_count() == 0

    data = form_data(client, world, site=f"FE {establishment.fase}", site_pick=str(second.id))
    assert client.post(NEW, data=data).status_code == 302
    assert db.session.scalar(select(Ticket.site_id)) == second.id


# ------------------------------------------------------------------ duplicates


def test_open_ticket_for_the_same_serial_is_a_warning(client, login, world):
    existing = world.new_ticket(serial="SN-77")
    login(world.assistant)
    data = form_data(client, world, equipment_serial="sn-77")
    response = client.post(NEW, data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert "Une demande ouverte existe déjà pour ce matériel" in text
    assert f'href="/demandes/{existing.reference}"' in text
    assert "Créer quand même" in text
    assert 'value="sn-77"' in text
    assert tickets_count() == 1  # nothing created silently

    data = form_data(client, world, equipment_serial="sn-77", confirm="y")
    response = client.post(NEW, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/demandes/TECH-2")
    assert tickets_count() == 2


def test_closed_tickets_are_no_duplicates(client, login, world):
    existing = world.new_ticket(serial="SN-78")
    existing.status = "closed"
    db.session.commit()
    login(world.assistant)
    response = client.post(NEW, data=form_data(client, world, equipment_serial="SN-78"))
    assert response.status_code == 302


def test_device_recorded_at_another_site_is_a_warning(client, login, world):
    elsewhere = factories.equipment(
        serial="5CDAILLEURS", site=world.other_teacher.site, supplier=world.supplier
    )
    db.session.commit()
    login(world.assistant)
    data = form_data(client, world, equipment_serial=elsewhere.serial)
    response = client.post(NEW, data=data)
    assert response.status_code == 200
    assert "ce matériel se trouve à une autre implantation" in page_text(response)
    assert tickets_count() == 0
    data["confirm"] = "y"
    assert client.post(NEW, data=data).status_code == 302


# ------------------------------------------------------------------ htmx helpers


def test_site_suggestions_fragment(client, login, world):
    login(world.assistant)
    for text in (world.site.name[:20], f"FI {world.site.fi}", str(world.site.fe)):
        response = client.get(f"{NEW}/implantations", query_string={"site": text})
        assert response.status_code == 200
        body = page_text(response)
        assert "<html" not in body
        assert world.site.label in body
        assert f'hx-get="/demandes/nouvelle/implantations/{world.site.id}"' in body
    response = client.get(f"{NEW}/implantations", query_string={"site": "Zzyzx"})
    assert "Aucune implantation trouvée pour « Zzyzx »." in page_text(response)


def test_site_field_fragment_offers_the_sites_teachers(client, login, world):
    login(world.assistant)
    response = client.get(f"{NEW}/implantations/{world.site.id}")
    body = page_text(response)
    assert f'value="{world.site.label}"' in body
    assert "Implantation choisie :" in body
    assert world.teacher.full_name in body
    assert world.other_teacher.full_name not in body
    assert client.get(f"{NEW}/implantations/999999").status_code == 404

    contact = page_text(client.get(f"{NEW}/contact/{world.teacher.id}"))
    assert f'value="{world.teacher.full_name}"' in contact
    assert f'value="{world.teacher.email}"' in contact
    assert client.get(f"{NEW}/contact/{world.supplier_user.id}").status_code == 404


def test_equipment_lookup_proposes_its_supplier(client, login, world, laptop):
    login(world.assistant)
    query = {"equipment_label": "en01-lot01-04242", "site": world.site.label}
    body = page_text(client.get(f"{NEW}/materiel", query_string=query))
    assert "<html" not in body
    assert "Ecole Numérique - Lot 01 - Ordinateur portable 14 pouces" in body
    assert world.site.label in body
    assert "Meuse Informatique" in body
    # The supplier select comes along (out of band), the device's company chosen, others offered.
    assert 'id="supplier-field" hx-swap-oob="true"' in body
    assert f'<option selected value="{world.supplier.id}">' in body
    assert f'<option value="{world.other_supplier.id}">' in body

    # By serial, from another site: a warning.
    query = {"equipment_serial": laptop.serial, "site": world.other_teacher.site.label}
    body = page_text(client.get(f"{NEW}/materiel", query_string=query))
    assert "enregistré à une autre implantation" in body


def test_equipment_lookup_unknown_device(client, login, world, laptop):
    login(world.assistant)
    body = page_text(client.get(f"{NEW}/materiel", query_string={"equipment_serial": "NOPE-1"}))
    assert "Pas dans l’inventaire" in body
    assert "hx-swap-oob" not in body
    # Part of a label: the look-alikes to pick from.
    body = page_text(client.get(f"{NEW}/materiel", query_string={"equipment_label": "04242"}))
    assert f"/demandes/nouvelle/materiel?pick={laptop.id}" in body
    picked = page_text(client.get(f"{NEW}/materiel", query_string={"pick": laptop.id}))
    assert f'value="{laptop.label}"' in picked
    assert f'value="{laptop.serial}"' in picked
    assert 'id="supplier-field" hx-swap-oob="true"' in picked


def test_equipment_lookup_shows_open_tickets(client, login, world, laptop):
    existing = world.new_ticket(serial=laptop.serial)
    login(world.assistant)
    body = page_text(client.get(f"{NEW}/materiel", query_string={"equipment_label": laptop.label}))
    assert "Une demande ouverte existe déjà pour ce matériel" in body
    assert f'href="/demandes/{existing.reference}"' in body


def test_teacher_login_cannot_use_helpers(client, login, world):
    login(world.teacher)
    assert client.get(f"{NEW}/materiel?equipment_serial=X").status_code == 403


def test_search_button_only_looks_the_site_up(client, login, world):
    second = factories.site(world.site.establishment, locality="TOHOGNE")
    db.session.commit()
    login(world.assistant)
    data = form_data(client, world, site=f"FE {world.site.fe}", summary="", search_site="1")
    response = client.post(NEW, data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert f'name="site_pick" value="{second.id}"' in text
    assert "Résumez le problème en une ligne." not in text  # nothing checked yet
    assert 'value="Claire Dumont"' in text  # the rest kept as typed
    assert tickets_count() == 0

    data = form_data(client, world, site=f"FI {second.fi}", search_site="1")
    text = page_text(client.post(NEW, data=data))
    assert "Implantation choisie :" in text
    assert f'value="{second.label}"' in text
    assert tickets_count() == 0

    data = form_data(client, world, site="Zzyzx", search_site="1")
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    assert "Aucune implantation ne correspond à « Zzyzx »" in page_text(response)


# ------------------------------------------------------------------ in German


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("supplier", "999999", "Dieser Lieferant existiert nicht oder ist nicht mehr aktiv."),
        ("assignee", "supplier_user", "Wählen Sie eine aktive EN-Assistenz."),
    ],
)
def test_service_refusal_speaks_the_assistants_german(client, login, world, name, value, message):
    # The ticket service refuses these (not the form): its message is in the reader's language.
    world.assistant.language = "de"
    db.session.commit()
    login(world.assistant)
    if value == "supplier_user":
        value = str(world.supplier_user.id)
    response = client.post(NEW, data=form_data(client, world, **{name: value}))
    assert response.status_code == 422
    text = page_text(response)
    assert message in text
    assert "n’est plus actif" not in text
    assert "Choisissez un·e" not in text
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
