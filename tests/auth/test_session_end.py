"""Sessions that end on the server: sign-out, a password change or reset and a deactivation end
every session of the account, the « Rester connecté·e » cookie included; every cookie is
SameSite=Lax; a session cookie older than its lifetime opens nothing."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from app.auth.reset import reset_token
from app.extensions import db
from app.models import Role
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS
from tests.support.web import csrf_token, sign_in

NEW = "Une brouette de pommes à Durbuy"
SESSION = "relais_session"
REMEMBER = "remember_token"


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


def _signed_in(app, user, remember=False, seen=None):
    """A browser signed in through the form; `seen` collects every Set-Cookie it receives."""
    c = app.test_client()
    _collect(seen, sign_in(c, user, remember=remember))
    return c


def _collect(seen, response):
    if seen is not None:
        seen.extend(response.headers.getlist("Set-Cookie"))
    return response


def _cookie(client, name) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _browser_with(app, name, value):
    """Another browser holding only a copy of one cookie."""
    c = app.test_client()
    c.set_cookie(name, value)
    return c


def _sign_out(client):
    response = client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return response


def _opens_profile(client) -> bool:
    response = client.get("/profil")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
    return False


def test_a_session_cookie_copied_before_sign_out_no_longer_opens_the_profile(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    mine = _signed_in(app, user)
    thief = _browser_with(app, SESSION, _cookie(mine, SESSION))
    assert _opens_profile(thief)
    _sign_out(mine)
    assert not _opens_profile(mine)
    assert not _opens_profile(thief)


def test_sign_out_ends_the_remember_me_cookie_here_and_its_copies(app):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    mine = _signed_in(app, user, remember=True)
    remembered = _cookie(mine, REMEMBER)
    assert _opens_profile(_browser_with(app, REMEMBER, remembered))
    response = _sign_out(mine)
    # This browser forgets the cookie…
    assert any(h.startswith(f"{REMEMBER}=;") for h in response.headers.getlist("Set-Cookie"))
    assert not _opens_profile(mine)
    # …and a copy taken before sign-out is refused by the server.
    assert not _opens_profile(_browser_with(app, REMEMBER, remembered))


def test_sign_out_ends_the_accounts_sessions_on_other_devices(app):
    user = factories.user(Role.ASSISTANT)
    db.session.commit()
    phone, laptop = _signed_in(app, user), _signed_in(app, user, remember=True)
    assert _opens_profile(laptop)
    _sign_out(phone)
    assert not _opens_profile(laptop)
    # Signing in again works, with a session of the new generation.
    assert _opens_profile(_signed_in(app, user))


def test_a_password_change_keeps_this_session_and_ends_the_others_remember_me_included(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    here = _signed_in(app, user, remember=True)
    elsewhere = _signed_in(app, user, remember=True)
    elsewhere_remembered = _cookie(elsewhere, REMEMBER)
    response = here.post(
        "/profil/mot-de-passe",
        data={
            "current_password": factories.PASSWORD,
            "password": NEW,
            "csrf_token": csrf_token(here),
        },
    )
    assert response.status_code == 302
    # This browser stays signed in, and its new remember-me cookie works on its own.
    assert _opens_profile(here)
    assert _opens_profile(_browser_with(app, REMEMBER, _cookie(here, REMEMBER)))
    assert not _opens_profile(elsewhere)
    assert not _opens_profile(_browser_with(app, REMEMBER, elsewhere_remembered))


def test_a_password_reset_ends_every_other_session_remember_me_included(app):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    elsewhere = _signed_in(app, user, remember=True)
    remembered = _cookie(elsewhere, REMEMBER)
    path = f"/mot-de-passe/nouveau/{reset_token(user)}"
    browser = app.test_client()
    response = browser.post(path, data={"password": NEW, "csrf_token": csrf_token(browser, path)})
    assert response.status_code == 302
    assert _opens_profile(browser)
    assert not _opens_profile(elsewhere)
    assert not _opens_profile(_browser_with(app, REMEMBER, remembered))


def test_a_deactivation_ends_the_accounts_sessions_remember_me_included(app):
    coordinator = factories.user(Role.COORDINATOR)
    supplier = factories.user(Role.SUPPLIER)
    db.session.commit()
    theirs = _signed_in(app, supplier, remember=True)
    remembered = _cookie(theirs, REMEMBER)
    ours = _signed_in(app, coordinator)
    response = ours.post(
        f"/admin/utilisateurs/{supplier.id}/desactiver", data={"csrf_token": csrf_token(ours)}
    )
    assert response.status_code == 302
    assert not _opens_profile(theirs)
    assert not _opens_profile(_browser_with(app, REMEMBER, remembered))


def test_every_cookie_is_same_site_lax(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    seen: list[str] = []
    c = _signed_in(app, user, remember=True, seen=seen)
    _collect(seen, c.get("/profil"))
    _collect(
        seen,
        c.post(
            "/profil/mot-de-passe",
            data={"current_password": factories.PASSWORD, "password": NEW, "csrf_token": "x"},
        ),
    )
    _collect(
        seen,
        c.post(
            "/profil/mot-de-passe",
            data={
                "current_password": factories.PASSWORD,
                "password": NEW,
                "csrf_token": csrf_token(c),
            },
        ),
    )
    _collect(seen, c.get("/profil"))
    _collect(seen, _sign_out(c))
    _collect(seen, c.get("/connexion"))
    names = {header.split("=", 1)[0] for header in seen}
    assert {SESSION, REMEMBER} <= names
    for header in seen:
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert "samesite=lax" in attributes, header
        assert "httponly" in attributes, header


def test_a_session_older_than_its_lifetime_opens_nothing(app, monkeypatch):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    c = _signed_in(app, user)
    assert _opens_profile(c)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    later = time.time() + (lifetime + timedelta(minutes=1)).total_seconds()
    # The session cookie's signature carries its time: the server reads it as if it were later.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(later))
    assert not _opens_profile(c)
