"""The list of accounts, and deactivating / reactivating one (role AND target checks)."""

from __future__ import annotations

import pytest

from app.auth.service import authenticate
from app.extensions import db
from app.models import Role, User
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS
from tests.support.web import csrf_token, signed_in


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


def _post(client, path):
    return client.post(path, data={"csrf_token": csrf_token(client)})


# ------------------------------------------------------------------ the list


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.COORDINATOR, 200),
        (Role.ASSISTANT, 403),
        (Role.SUPPLIER, 403),
        (Role.TEACHER, 403),
    ],
)
def test_who_sees_the_list(app, client, login, role, status):
    user = factories.user(role)
    db.session.commit()
    login(user)
    assert client.get("/admin/utilisateurs").status_code == status
    assert client.get(f"/admin/utilisateurs/{user.id}").status_code == status


def test_anonymous_goes_to_login(client):
    response = client.get("/admin/utilisateurs")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_menu_links_for_each_role(app, client, login):
    coordinator = factories.user(Role.COORDINATOR)
    db.session.commit()
    login(coordinator)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/utilisateurs"' in html
    assistant = factories.user(Role.ASSISTANT)
    db.session.commit()
    other = signed_in(app, assistant)
    html = other.get("/").get_data(as_text=True)
    assert 'href="/admin/utilisateurs"' not in html
    assert 'href="/admin/invitations/nouvelle"' in html


def test_search_filter_and_paginate(app, client, login):
    admin = factories.user(Role.ADMIN, full_name="Ada Admin")
    factories.user(Role.SUPPLIER, full_name="Bernard Fournisseur", email="bernard@example.com")
    factories.user(Role.TEACHER, full_name="Chloé Enseignante", email="chloe@ecole.example.com")
    factories.user(Role.TEACHER, full_name="Denis Parti", active=False)
    for n in range(30):
        factories.user(Role.ASSISTANT, full_name=f"Assistant {n:02d}")
    db.session.commit()
    login(admin)

    def names(query):
        html = client.get("/admin/utilisateurs" + query).get_data(as_text=True)
        return html

    assert "Bernard Fournisseur" in names("?q=bernard")
    assert "Chloé Enseignante" not in names("?q=bernard")
    assert "Chloé Enseignante" in names("?q=ECOLE.example")  # by address, any case
    teachers = names("?role=teacher")
    assert "Chloé Enseignante" in teachers
    assert "Denis Parti" in teachers
    assert "Bernard Fournisseur" not in teachers
    inactive = names("?status=inactif")
    assert "Denis Parti" in inactive
    assert "Chloé Enseignante" not in inactive
    assert "Denis Parti" not in names("?status=actif")
    first = names("")
    assert "34 comptes" in first
    assert "Page 1 sur 2" in first
    assert 'href="/admin/utilisateurs?page=2"' in first
    assert "Page 2 sur 2" in names("?page=2")
    # "%" and "_" are searched for literally, not as wildcards.
    assert "Aucun compte ne correspond" in names("?q=%25")
    assert "Aucun compte ne correspond" in names("?q=_")


def test_search_answers_a_fragment_to_htmx(app, client, login):
    admin = factories.user(Role.ADMIN)
    db.session.commit()
    login(admin)
    html = client.get("/admin/utilisateurs?q=a", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "<html" not in html
    assert "compte" in html
    boosted = client.get(
        "/admin/utilisateurs", headers={"HX-Request": "true", "HX-Boosted": "true"}
    ).get_data(as_text=True)
    assert "<html" in boosted


# ------------------------------------------------------------------ deactivate and reactivate


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.COORDINATOR, True),
        (Role.ADMIN, Role.TEACHER, True),
        (Role.COORDINATOR, Role.SUPPLIER, True),
        (Role.COORDINATOR, Role.ASSISTANT, True),
        (Role.COORDINATOR, Role.TEACHER, False),
        (Role.COORDINATOR, Role.COORDINATOR, False),
        (Role.COORDINATOR, Role.ADMIN, False),
        (Role.ASSISTANT, Role.SUPPLIER, False),
        (Role.SUPPLIER, Role.SUPPLIER, False),
        (Role.TEACHER, Role.TEACHER, False),
    ],
)
def test_who_may_deactivate_whom(app, actor, target, allowed):
    acting = factories.user(actor)
    victim = factories.user(target)
    db.session.commit()
    client = signed_in(app, acting)
    page = client.get(f"/admin/utilisateurs/{victim.id}")
    response = _post(client, f"/admin/utilisateurs/{victim.id}/desactiver")
    db.session.expire_all()
    if allowed:
        assert "Désactiver le compte" in page.get_data(as_text=True)
        assert response.status_code == 302
        assert db.session.get(User, victim.id).active is False
    else:
        assert response.status_code == 403
        assert db.session.get(User, victim.id).active is True


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR])
def test_nobody_deactivates_themselves(app, role):
    me = factories.user(role)
    db.session.commit()
    client = signed_in(app, me)
    assert "Désactiver" not in client.get(f"/admin/utilisateurs/{me.id}").get_data(as_text=True)
    assert _post(client, f"/admin/utilisateurs/{me.id}/desactiver").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, me.id).active is True


def test_a_deactivated_user_is_signed_out_at_the_next_request(app):
    coordinator = factories.user(Role.COORDINATOR)
    supplier = factories.user(Role.SUPPLIER)
    db.session.commit()
    theirs = signed_in(app, supplier)
    assert theirs.get("/").status_code == 200
    ours = signed_in(app, coordinator)
    response = _post(ours, f"/admin/utilisateurs/{supplier.id}/desactiver")
    assert response.status_code == 302
    assert "sessions ouvertes sont fermées" in ours.get(response.headers["Location"]).get_data(
        as_text=True
    )
    follow = theirs.get("/")
    assert follow.status_code == 302
    assert follow.headers["Location"].startswith("/connexion")
    db.session.expire_all()
    assert authenticate(supplier.email, factories.PASSWORD) is None


def test_reactivate(app):
    admin = factories.user(Role.ADMIN)
    teacher = factories.user(Role.TEACHER)
    db.session.commit()
    theirs = signed_in(app, teacher)
    ours = signed_in(app, admin)
    _post(ours, f"/admin/utilisateurs/{teacher.id}/desactiver")
    assert "Réactiver le compte" in ours.get(f"/admin/utilisateurs/{teacher.id}").get_data(
        as_text=True
    )
    assert _post(ours, f"/admin/utilisateurs/{teacher.id}/reactiver").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, teacher.id).active is True
    # The old session stays closed; signing in again works.
    assert theirs.get("/").status_code == 302
    assert signed_in(app, teacher).get("/").status_code == 200


def test_coordinator_cannot_reactivate_an_admin(app):
    coordinator = factories.user(Role.COORDINATOR)
    admin = factories.user(Role.ADMIN, active=False)
    db.session.commit()
    client = signed_in(app, coordinator)
    assert _post(client, f"/admin/utilisateurs/{admin.id}/reactiver").status_code == 403


def test_state_never_changes_on_get_or_without_csrf(app):
    admin = factories.user(Role.ADMIN)
    teacher = factories.user(Role.TEACHER)
    db.session.commit()
    client = signed_in(app, admin)
    assert client.get(f"/admin/utilisateurs/{teacher.id}/desactiver").status_code == 405
    response = client.post(f"/admin/utilisateurs/{teacher.id}/desactiver")
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, teacher.id).active is True


def test_unknown_account_is_404(app):
    admin = factories.user(Role.ADMIN)
    db.session.commit()
    client = signed_in(app, admin)
    assert client.get("/admin/utilisateurs/999999").status_code == 404
    assert _post(client, "/admin/utilisateurs/999999/desactiver").status_code == 404
