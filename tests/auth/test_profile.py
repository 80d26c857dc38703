"""« Mon profil »: the name, and the password (other sessions end, this one stays)."""

from __future__ import annotations

import pytest

from app.auth.service import authenticate
from app.extensions import db
from app.models import Role, User
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS
from tests.support.web import csrf_token, signed_in

NEW = "Une brouette de pommes à Durbuy"


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


def _change(client, current, new):
    return client.post(
        "/profil/mot-de-passe",
        data={"current_password": current, "password": new, "csrf_token": csrf_token(client)},
    )


@pytest.mark.parametrize("role", list(Role))
def test_everyone_has_a_profile_page(app, client, login, role):
    user = factories.user(role, full_name="Zoé Profil")
    db.session.commit()
    login(user)
    response = client.get("/profil")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Mon profil" in html
    assert user.email in html
    assert 'value="Zoé Profil"' in html
    assert 'hx-post="/mot-de-passe/force"' in html
    assert 'action="/profil/e-mails"' in html  # « E-mails que je reçois » (test_mail_preferences)
    assert 'href="/profil"' in html  # the account menu links here


def test_profile_needs_sign_in(client):
    response = client.get("/profil")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_change_name(app, client, login):
    user = factories.user(Role.TEACHER, full_name="Ancien Nom")
    db.session.commit()
    login(user)
    response = client.post(
        "/profil", data={"full_name": "  Nouveau   Nom ", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert "Votre profil a été enregistré." in client.get("/profil").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Nouveau Nom"


def test_empty_name_is_refused(app, client, login):
    user = factories.user(Role.TEACHER, full_name="Garde Mon Nom")
    db.session.commit()
    login(user)
    response = client.post("/profil", data={"full_name": " ", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "Indiquez votre nom complet." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Garde Mon Nom"


def test_change_password_keeps_this_session_and_ends_the_others(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    assert elsewhere.get("/").status_code == 200
    response = _change(here, factories.PASSWORD, NEW)
    assert response.status_code == 302
    assert "Votre mot de passe a été modifié." in here.get("/profil").get_data(as_text=True)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    db.session.expire_all()
    assert authenticate(user.email, NEW) is not None
    assert authenticate(user.email, factories.PASSWORD) is None


def test_change_password_needs_the_current_one(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    client = signed_in(app, user)
    response = _change(client, "pas le bon", NEW)
    assert response.status_code == 422
    assert "Le mot de passe actuel n’est pas le bon." in response.get_data(as_text=True)
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD) is not None


def test_change_password_follows_the_rule(app):
    user = factories.user(Role.SUPPLIER, full_name="Paul Fournier")
    db.session.commit()
    client = signed_in(app, user)
    for weak in ("motdepasse123", "paul.fournier1", "court"):
        response = _change(client, factories.PASSWORD, weak)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Ce mot de passe est trop facile à deviner." in html or "au moins 10" in html
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD) is not None
    assert client.get("/").status_code == 200


def test_change_password_without_csrf_is_refused(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    client = signed_in(app, user)
    response = client.post(
        "/profil/mot-de-passe", data={"current_password": factories.PASSWORD, "password": NEW}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD) is not None
