"""Rate limits on sign-in and on « Mot de passe oublié ? », answered with a French page.

Each test uses a limit of its own: Flask-Limiter keeps the key prefix of the first app it was
bound to, so with a real Redis (second pass) counters would otherwise carry over between tests.
"""

from __future__ import annotations

from app.extensions import db
from app.models import Role
from tests.support import factories
from tests.support.web import csrf_token, sign_in

WRONG = "pas-le-bon-mot-de-passe"


def _login_attempt(client, email, password=WRONG):
    return sign_in(client, email, password, check=False)


def _reset_request(client, email):
    return client.post(
        "/mot-de-passe/oubli",
        data={"email": email, "csrf_token": csrf_token(client, "/mot-de-passe/oubli")},
    )


def test_login_is_limited_per_client(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        statuses = [
            _login_attempt(client, f"personne{n}@example.com").status_code for n in range(4)
        ]
        assert statuses == [422, 422, 422, 429]
        response = _login_attempt(client, "encore@example.com")
        assert response.status_code == 429
        html = response.get_data(as_text=True)
        assert "Trop de tentatives" in html
        assert '<html lang="fr-BE">' in html
        assert "Retry-After" in response.headers
        # Reading the page is not limited.
        assert client.get("/connexion").status_code == 200


def test_login_is_limited_per_account(make_app):
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    with app.app_context():
        user = factories.user(Role.SUPPLIER, email="cible@example.com")
        db.session.commit()
        client = app.test_client()
        assert _login_attempt(client, user.email).status_code == 422
        assert _login_attempt(client, "CIBLE@example.com").status_code == 422
        # The third guess on that address is refused, even with the right password…
        assert _login_attempt(client, user.email, factories.PASSWORD).status_code == 429
        # …while another address from the same client still gets an answer.
        assert _login_attempt(client, "autre@example.com").status_code == 422


def test_reset_requests_are_limited_per_client(make_app):
    app = make_app(PASSWORD_RESET_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        assert _reset_request(client, "a@example.com").status_code == 302
        assert _reset_request(client, "b@example.com").status_code == 302
        response = _reset_request(client, "c@example.com")
        assert response.status_code == 429
        assert "Trop de tentatives" in response.get_data(as_text=True)


def test_reset_requests_are_limited_per_address(make_app):
    app = make_app(PASSWORD_RESET_ACCOUNT_RATE_LIMIT="1 per hour")
    with app.app_context():
        client = app.test_client()
        assert _reset_request(client, "boite@example.com").status_code == 302
        # Nobody can fill a mailbox with reset links; the same answer for every address.
        assert _reset_request(client, "Boite@Example.com").status_code == 429
        assert _reset_request(client, "autre-boite@example.com").status_code == 302
