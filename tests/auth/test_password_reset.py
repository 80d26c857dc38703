"""« Mot de passe oublié ? »: neutral answer, signed link that expires and works once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.reset import reset_token
from app.auth.service import authenticate, set_password
from app.extensions import db
from app.models import Role, User
from app.models.types import utcnow
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS, dev_mails, mail_link
from tests.support.web import csrf_token, signed_in

NEW = "Un gaufrier rouge pour la classe"
NEUTRAL = "Si un compte actif correspond à cette adresse, un e-mail vient de lui être envoyé"


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


def _ask(client, email):
    client.get("/mot-de-passe/oubli")
    response = client.post(
        "/mot-de-passe/oubli",
        data={"email": email, "csrf_token": csrf_token(client, "/mot-de-passe/oubli")},
    )
    # As a server does once the answer is sent: the request's mail is written then
    # (tests/auth/test_account_enumeration.py).
    response.close()
    return response


def _set_new(client, path, password=NEW):
    client.get(path)
    return client.post(path, data={"password": password, "csrf_token": csrf_token(client, path)})


def test_login_page_links_to_the_reset_form(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'href="/mot-de-passe/oubli">Mot de passe oublié ?</a>' in html
    page = client.get("/mot-de-passe/oubli")
    assert page.status_code == 200
    assert "Adresse e-mail" in page.get_data(as_text=True)


def test_same_answer_for_known_unknown_and_deactivated_addresses(app, client):
    factories.user(Role.SUPPLIER, email="connu@example.com")
    factories.user(Role.SUPPLIER, email="parti@example.com", active=False)
    db.session.commit()
    answers = []
    for email in ("connu@example.com", "inconnu@example.com", "parti@example.com"):
        other = app.test_client()
        response = _ask(other, email)
        page = other.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], NEUTRAL in page))
    assert answers[0] == answers[1] == answers[2] == (302, "/connexion", True)
    # Only the active account is mailed.
    [message] = dev_mails(app)
    assert message.recipients == "connu@example.com"
    assert "mot de passe" in message.subject.lower()


def test_a_badly_typed_address_is_said_so(client):
    response = _ask(client, "pas-une-adresse")
    assert response.status_code == 422
    assert "Cette adresse e-mail n’est pas valide." in response.get_data(as_text=True)


def test_reset_through_the_mailed_link(app, client, login):
    user = factories.user(Role.SUPPLIER, email="fournisseur@example.com", full_name="Fred Four")
    db.session.commit()
    # The person is also signed in on another device, with the old password.
    elsewhere = signed_in(app, user)
    assert elsewhere.get("/").status_code == 200

    _ask(client, "Fournisseur@Example.com")
    [message] = dev_mails(app)
    path = mail_link(message, "/mot-de-passe/nouveau/")
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="fournisseur@example.com"' in html
    assert 'hx-post="/mot-de-passe/force"' in html
    assert 'aria-live="polite"' in html

    response = _set_new(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Bienvenue, Fred Four" in home
    assert "Votre mot de passe a été modifié." in home
    db.session.expire_all()
    assert authenticate("fournisseur@example.com", NEW) is not None
    assert authenticate("fournisseur@example.com", factories.PASSWORD) is None
    # The other device is signed out.
    assert elsewhere.get("/").status_code == 302


def test_the_link_works_once(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    path = f"/mot-de-passe/nouveau/{reset_token(user)}"
    assert _set_new(client, path).status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "Lien déjà utilisé" in again.get_data(as_text=True)
    assert _set_new(app.test_client(), path, "Une autre phrase assez longue").status_code == 410


def test_the_link_dies_when_the_password_changes_another_way(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    path = f"/mot-de-passe/nouveau/{reset_token(user)}"
    set_password(user, "Changé depuis le profil entre-temps")
    db.session.commit()
    assert client.get(path).status_code == 410


def test_the_link_expires(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    yesterday = utcnow() - timedelta(hours=25)
    response = client.get(f"/mot-de-passe/nouveau/{reset_token(user, now=yesterday)}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "Lien expiré" in html
    assert 'href="/mot-de-passe/oubli"' in html
    almost = utcnow() - timedelta(hours=23)
    assert client.get(f"/mot-de-passe/nouveau/{reset_token(user, now=almost)}").status_code == 200


def test_a_tampered_link_is_refused(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    token = reset_token(user)
    response = client.get(f"/mot-de-passe/nouveau/{token[:-4]}abcd")
    assert response.status_code == 404
    assert "Lien non valide" in response.get_data(as_text=True)


def test_no_reset_for_a_deactivated_account(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    path = f"/mot-de-passe/nouveau/{reset_token(user)}"
    user.active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_a_weak_new_password_is_refused(app, client):
    user = factories.user(Role.TEACHER, full_name="Paule Prof")
    db.session.commit()
    path = f"/mot-de-passe/nouveau/{reset_token(user)}"
    response = _set_new(client, path, "paule.prof2024")
    assert response.status_code == 422
    assert "Ce mot de passe est trop facile à deviner." in response.get_data(as_text=True)
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD) is not None
    assert client.get(path).status_code == 200  # the link still works


def test_reset_by_get_changes_nothing(app, client):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    before = db.session.get(User, user.id).password_hash
    client.get(f"/mot-de-passe/nouveau/{reset_token(user)}")
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before
