"""Sign-in and sign-out."""

from __future__ import annotations

from app.extensions import db
from app.models import Role
from tests import factories
from tests.conftest import csrf_token


def test_login_page_is_french(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr-BE">' in html
    assert "Adresse e-mail" in html
    assert "Mot de passe" in html


def test_home_redirects_anonymous_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_login_then_home(client, login):
    user = factories.user(Role.ASSISTANT, full_name="Quentin Delrée")
    db.session.commit()
    response = login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Bienvenue, Quentin Delrée" in home


def test_failure_message_is_identical_for_unknown_and_wrong_password(client, login):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    wrong = login(user, password="pas-le-bon-mot-de-passe")
    unknown = login("personne@nulle-part.example.com")
    assert wrong.status_code == unknown.status_code == 422
    message = "Adresse e-mail ou mot de passe incorrect."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_email_is_case_insensitive(client, login):
    factories.user(Role.TEACHER, email="Prof.Dupont@Ecole.be")
    db.session.commit()
    assert login("PROF.DUPONT@ecole.BE").status_code == 302


def test_logout_by_get_is_refused(client, login):
    user = factories.user()
    db.session.commit()
    login(user)
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_logout_by_post_without_csrf_is_refused(client, login):
    user = factories.user()
    db.session.commit()
    login(user)
    response = client.post("/deconnexion")
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_logout(client, login):
    user = factories.user()
    db.session.commit()
    login(user)
    response = client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
