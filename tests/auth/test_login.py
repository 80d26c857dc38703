"""Sign-in and sign-out."""

from __future__ import annotations

import pytest

from app.core.forms import safe_next
from app.extensions import db
from app.models import Role
from tests.support import factories
from tests.support.web import csrf_token, extract_csrf


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


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/annuaire/ecoles?q=Borlon", "/annuaire/ecoles?q=Borlon"),
        ("https://evil.example.com/", None),
        ("//evil.example.com/", None),
        ("/\\evil.example.com", None),
        ("javascript:alert(1)", None),
        ("annuaire", None),
        ("/ok\r\nSet-Cookie: x=1", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_accepts_local_paths_only(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_local_next(client):
    user = factories.user()
    db.session.commit()
    page = client.get("/connexion?next=/confidentialite").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/confidentialite"' in page
    response = client.post(
        "/connexion",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "next": "/confidentialite",
            "csrf_token": extract_csrf(page),
        },
    )
    assert response.headers["Location"] == "/confidentialite"


def test_login_ignores_a_foreign_next(client):
    user = factories.user()
    db.session.commit()
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "next": "https://evil.example.com/",
            "csrf_token": extract_csrf(page),
        },
    )
    assert response.headers["Location"] == "/"


def test_login_starts_a_fresh_session(client):
    user = factories.user()
    db.session.commit()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    page = client.get("/connexion").get_data(as_text=True)
    client.post(
        "/connexion",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": extract_csrf(page),
        },
    )
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{user.id}:1"


def test_login_form_errors_keep_what_was_typed(client):
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion",
        data={"email": "pas-une-adresse", "password": "", "csrf_token": extract_csrf(page)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="pas-une-adresse"' in html
    assert "Cette adresse e-mail n’est pas valide." in html
    assert "Indiquez votre mot de passe." in html
    assert 'aria-invalid="true"' in html


def test_session_of_a_deactivated_user_stops_working(client, login):
    user = factories.user()
    db.session.commit()
    login(user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
