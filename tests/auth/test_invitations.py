"""Invitations: who invites whom, the mail, the « S’inscrire » page and every way a link fails."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import invitations
from app.auth.errors import AccountError, LinkProblem, LinkUnusable, PermissionDenied
from app.auth.reset import reset_token
from app.core.filters import datetime_fr
from app.extensions import db
from app.models import Invitation, Role, User
from app.models.types import utcnow
from tests.support import factories
from tests.support.accounts import (
    RELAXED_LIMITS,
    dev_mails,
    mail_link,
    path_of,
    run_queued_jobs,
)
from tests.support.web import csrf_token

STRONG = "Tartine-de-speculoos-au-petit-dej"


@pytest.fixture
def app(make_app):
    # Limits out of the way here (tests/auth/test_rate_limit.py checks them).
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


def _invite(actor, email="nouveau.fournisseur@example.com", role=Role.SUPPLIER, now=None, **kw):
    request = invitations.InvitationRequest(email=email, role=role, **kw)
    return invitations.invite(actor, request, now=now)


def _supplier_invitation(now=None, **kw):
    coordinator = factories.user(Role.COORDINATOR, full_name="Corinne Suivi")
    company = factories.supplier(name="Informatique Mosane")
    db.session.commit()
    return _invite(coordinator, supplier=company, now=now, **kw), coordinator, company


def _signup_path(invitation, now=None) -> str:
    return f"/inscription/{invitations.invitation_token(invitation, now)}"


def _post_signup(client, path, full_name="Fournisseur de démo", password=STRONG):
    client.get(path)
    return client.post(
        path,
        data={"full_name": full_name, "password": password, "csrf_token": csrf_token(client, path)},
    )


def _users_with(email):
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


# ------------------------------------------------------------------ the invitation and its mail


def test_coordinator_invites_a_supplier_from_the_form(app, client, login):
    coordinator = factories.user(Role.COORDINATOR, full_name="Corinne Suivi")
    company = factories.supplier(name="Informatique Mosane")
    db.session.commit()
    login(coordinator)
    page = client.get("/admin/invitations/nouvelle")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Only the roles a coordinator may invite are offered.
    assert 'value="supplier"' in html
    assert 'value="assistant"' in html
    assert 'value="admin"' not in html
    assert 'value="teacher"' not in html
    response = client.post(
        "/admin/invitations/nouvelle",
        data={
            "email": "Fournisseur.Demo@Example.com",
            "full_name": "Fournisseur de démo",
            "role": "supplier",
            "supplier": company.id,
            "csrf_token": csrf_token(client, "/admin/invitations/nouvelle"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/invitations"
    invitation = db.session.scalar(select(Invitation))
    assert invitation.email == "fournisseur.demo@example.com"
    assert invitation.supplier_id == company.id
    assert invitation.invited_by_id == coordinator.id
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    listing = client.get("/admin/invitations").get_data(as_text=True)
    assert "fournisseur.demo@example.com" in listing
    assert "Invitation envoyée à fournisseur.demo@example.com" in listing


def test_invitation_mail_lands_in_the_dev_mailbox_and_its_link_works(app, client):
    invitation, _coordinator, _company = _supplier_invitation(full_name="Fournisseur de démo")
    [message] = dev_mails(app)
    assert message.recipients == "nouveau.fournisseur@example.com"
    assert "inscription" in message.subject.lower()
    text, html = message.part("plain"), message.part("html")
    assert "Corinne Suivi vous invite" in text
    assert "Informatique Mosane" in text
    assert datetime_fr(invitation.expires_at) in text  # "14 décembre 2026 à 10:15", Brussels time
    assert "S’inscrire" in html
    assert 'href="http://relais.test/inscription/' in html
    page = client.get(mail_link(message, "/inscription/"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="nouveau.fournisseur@example.com"' in body
    assert "readonly" in body
    assert 'value="Fournisseur de démo"' in body


def test_invitation_mail_goes_through_a_real_smtp_server(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, **RELAXED_LIMITS)
    with app.app_context():
        invitation, *_ = _supplier_invitation()
        run_queued_jobs(app)
        [received] = smtp_server.messages
        assert received["to"] == ["nouveau.fournisseur@example.com"]
        message = received["message"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "S’inscrire" in html
        link = next(line for line in text.splitlines() if "/inscription/" in line).strip()
        client = app.test_client()
        response = _post_signup(client, path_of(link))
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Invitation, invitation.id).accepted_at is not None


# ------------------------------------------------------------------ signing up


def test_signup_page_as_the_current_portal_shows_it(app, client):
    invitation, *_ = _supplier_invitation()
    html = client.get(_signup_path(invitation)).get_data(as_text=True)
    assert "<h1>S’inscrire</h1>" in html
    assert "Nom complet" in html
    assert "Choisissez un mot de passe" in html
    assert "En cliquant sur <em>S’inscrire</em>, vous acceptez la" in html
    assert 'href="/confidentialite">Politique de confidentialité</a>' in html
    assert 'href="/avis-legal">Avis et clause de non-responsabilité</a>' in html
    # The meter: asked of the server by htmx, heard by screen readers.
    assert 'hx-post="/mot-de-passe/force"' in html
    assert 'id="password-strength"' in html
    assert 'aria-live="polite"' in html
    assert "<script" not in html.split("</head>")[1]  # no extra script sent to the phone


def test_signup_creates_the_account_and_signs_in(app, client):
    invitation, _, company = _supplier_invitation()
    client.get("/confidentialite")  # a session that existed before the sign-up
    response = _post_signup(client, _signup_path(invitation))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Bienvenue, Fournisseur de démo" in home
    assert "Bienvenue\u00a0! Votre compte est prêt." in home
    user = db.session.scalar(select(User).where(User.email == "nouveau.fournisseur@example.com"))
    assert user.active
    assert user.role == Role.SUPPLIER
    assert user.supplier_id == company.id
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None
    assert invitation.user_id == user.id


def test_signup_refuses_a_weak_password_and_says_why(app, client):
    invitation, *_ = _supplier_invitation()
    response = _post_signup(client, _signup_path(invitation), password="azertyuiop")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ce mot de passe est trop facile à deviner." in html
    assert 'value="Fournisseur de démo"' in html  # what was typed comes back
    assert "Faible" in html  # the meter rates what was sent
    assert _users_with("nouveau.fournisseur@example.com") == 0


def test_signup_refuses_the_persons_own_name_as_password(app, client):
    invitation, *_ = _supplier_invitation()
    response = _post_signup(
        client, _signup_path(invitation), full_name="Quentin Delrée", password="QuentinDelree2024"
    )
    assert response.status_code == 422
    assert "Évitez votre nom et votre adresse e-mail." in response.get_data(as_text=True)


def test_signup_ignores_a_posted_email(app, client):
    invitation, *_ = _supplier_invitation()
    path = _signup_path(invitation)
    client.get(path)
    client.post(
        path,
        data={
            "email": "intrus@example.com",
            "full_name": "Fournisseur de démo",
            "password": STRONG,
            "csrf_token": csrf_token(client, path),
        },
    )
    assert _users_with("intrus@example.com") == 0
    assert _users_with("nouveau.fournisseur@example.com") == 1


def test_signup_without_csrf_is_refused(app, client):
    invitation, *_ = _supplier_invitation()
    response = client.post(_signup_path(invitation), data={"full_name": "X Y", "password": STRONG})
    assert response.status_code == 400
    assert _users_with("nouveau.fournisseur@example.com") == 0


# ------------------------------------------------------------------ links that cannot be used


def test_link_used_twice(app, client):
    invitation, *_ = _supplier_invitation()
    path = _signup_path(invitation)
    assert _post_signup(client, path).status_code == 302
    other = app.test_client()
    response = other.get(path)
    assert response.status_code == 410
    assert "Invitation déjà utilisée" in response.get_data(as_text=True)
    again = _post_signup(other, path)
    assert again.status_code == 410
    assert _users_with("nouveau.fournisseur@example.com") == 1


def test_link_expired_by_its_signature(app, client):
    eight_days_ago = utcnow() - timedelta(days=8)
    invitation, *_ = _supplier_invitation(now=eight_days_ago)
    response = client.get(_signup_path(invitation, now=eight_days_ago))
    assert response.status_code == 410
    assert "Invitation expirée" in response.get_data(as_text=True)
    with pytest.raises(LinkUnusable) as exc:
        invitations.load(invitations.invitation_token(invitation, now=eight_days_ago))
    assert exc.value.problem == LinkProblem.EXPIRED


def test_link_expired_by_the_stored_date(app, client):
    invitation, *_ = _supplier_invitation()
    path = _signup_path(invitation)  # a fresh signature…
    invitation.expires_at = utcnow() - timedelta(minutes=1)  # …but the row says it is over
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 410
    assert "Invitation expirée" in response.get_data(as_text=True)


def test_link_still_valid_just_before_it_expires(app):
    six_days_ago = utcnow() - timedelta(days=6, hours=23)
    invitation, *_ = _supplier_invitation(now=six_days_ago)
    assert invitations.load(invitations.invitation_token(invitation, now=six_days_ago)).id == (
        invitation.id
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("aaa" if not t.endswith("aaa") else "bbb"),
        lambda t: "x" + t,
        lambda t: t.split(".")[0],
        lambda t: "n'importe-quoi",
    ],
)
def test_link_tampered(app, client, mangle):
    invitation, *_ = _supplier_invitation()
    token = invitations.invitation_token(invitation)
    response = client.get(f"/inscription/{mangle(token)}")
    assert response.status_code == 404
    assert "Lien d’invitation non valide" in response.get_data(as_text=True)


def test_a_reset_token_is_not_an_invitation(app, client):
    _invitation, coordinator, _ = _supplier_invitation()
    response = client.get(f"/inscription/{reset_token(coordinator)}")
    assert response.status_code == 404


def test_link_revoked_by_a_new_invitation(app, client):
    first, coordinator, company = _supplier_invitation()
    old_path = _signup_path(first)
    second = _invite(coordinator, supplier=company)
    db.session.refresh(first)
    assert first.revoked_at is not None
    assert second.revoked_at is None
    response = client.get(old_path)
    assert response.status_code == 410
    assert "Invitation annulée" in response.get_data(as_text=True)
    assert client.get(_signup_path(second)).status_code == 200


def test_an_address_with_an_account_cannot_be_invited(app, client, login):
    coordinator = factories.user(Role.COORDINATOR)
    factories.user(Role.SUPPLIER, email="deja@example.com", full_name="Déjà Là")
    company = factories.supplier()
    db.session.commit()
    with pytest.raises(AccountError) as exc:
        _invite(coordinator, email="DEJA@example.com", supplier=company)
    assert "Un compte existe déjà pour cette adresse (Déjà Là)" in str(exc.value.message)
    login(coordinator)
    response = client.post(
        "/admin/invitations/nouvelle",
        data={
            "email": "deja@example.com",
            "role": "supplier",
            "supplier": company.id,
            "csrf_token": csrf_token(client, "/admin/invitations/nouvelle"),
        },
    )
    assert response.status_code == 422
    assert "Un compte existe déjà pour cette adresse" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_account_created_meanwhile_makes_the_link_unusable(app, client):
    invitation, *_ = _supplier_invitation()
    factories.user(Role.ASSISTANT, email="nouveau.fournisseur@example.com")
    db.session.commit()
    response = client.get(_signup_path(invitation))
    assert response.status_code == 410
    assert "Vous avez déjà un compte" in response.get_data(as_text=True)


# ------------------------------------------------------------------ two people, one link


def test_the_slower_of_two_submissions_is_refused(app, client):
    """The loser read the invitation as pending before the winner committed."""
    invitation, *_ = _supplier_invitation()
    path = _signup_path(invitation)
    seen_by_loser = invitations.load(path.rsplit("/", 1)[1])  # pending, in this session
    assert _post_signup(client, path).status_code == 302  # the winner, in its own session
    with pytest.raises(LinkUnusable) as exc:
        invitations.accept(seen_by_loser, "Quelqu’un d’autre", STRONG)
    assert exc.value.problem == LinkProblem.USED
    assert _users_with("nouveau.fournisseur@example.com") == 1


@pytest.mark.postgres
def test_simultaneous_submissions_create_one_account(app):
    invitation, *_ = _supplier_invitation()
    path = _signup_path(invitation)
    clients = [app.test_client() for _ in range(4)]
    tokens = []
    for c in clients:
        c.get(path)
        tokens.append(csrf_token(c, path))
    barrier = threading.Barrier(len(clients))
    statuses = []

    def submit(c, token):
        barrier.wait()
        response = c.post(
            path, data={"full_name": "Fournisseur", "password": STRONG, "csrf_token": token}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [302, 410, 410, 410]
    assert _users_with("nouveau.fournisseur@example.com") == 1


# ------------------------------------------------------------------ who may invite whom


@pytest.mark.parametrize(
    ("actor", "invited", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.COORDINATOR, True),
        (Role.ADMIN, Role.TEACHER, True),
        (Role.COORDINATOR, Role.SUPPLIER, True),
        (Role.COORDINATOR, Role.ASSISTANT, True),
        (Role.COORDINATOR, Role.TEACHER, False),
        (Role.COORDINATOR, Role.ADMIN, False),
        (Role.COORDINATOR, Role.COORDINATOR, False),
        (Role.ASSISTANT, Role.TEACHER, True),
        (Role.ASSISTANT, Role.SUPPLIER, False),
        (Role.ASSISTANT, Role.ASSISTANT, False),
    ],
)
def test_who_may_invite_whom(app, client, login, actor, invited, allowed):
    inviter = factories.user(actor)
    company = factories.supplier()
    site = factories.site()
    db.session.commit()
    login(inviter)
    response = client.post(
        "/admin/invitations/nouvelle",
        data={
            "email": "invitee@example.com",
            "role": invited.value,
            "supplier": company.id,
            "site": f"{site.fe}:{site.fi}",
            "csrf_token": csrf_token(client, "/admin/invitations/nouvelle"),
        },
    )
    count = db.session.scalar(select(func.count()).select_from(Invitation))
    if allowed:
        assert response.status_code == 302
        assert count == 1
    else:
        # A role the form does not offer: refused, nothing saved.
        assert response.status_code in (403, 422)
        assert count == 0
        with pytest.raises(PermissionDenied):
            _invite(inviter, role=invited, supplier=company, site=site)


@pytest.mark.parametrize("role", [Role.SUPPLIER, Role.TEACHER])
def test_suppliers_and_teachers_cannot_reach_the_invite_pages(app, client, login, role):
    user = factories.user(role)
    db.session.commit()
    login(user)
    assert client.get("/admin/invitations/nouvelle").status_code == 403
    assert client.get("/admin/invitations").status_code == 403
    assert client.get("/admin/implantations?site=namur").status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    response = client.get("/admin/invitations/nouvelle")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_supplier_invitation_needs_a_company(app, client, login):
    coordinator = factories.user(Role.COORDINATOR)
    db.session.commit()
    login(coordinator)
    response = client.post(
        "/admin/invitations/nouvelle",
        data={
            "email": "x@example.com",
            "role": "supplier",
            "supplier": "0",
            "csrf_token": csrf_token(client, "/admin/invitations/nouvelle"),
        },
    )
    assert response.status_code == 422
    assert "Choisissez la société de ce fournisseur." in response.get_data(as_text=True)


def test_assistant_invites_a_teacher_by_fe_fi(app, client, login):
    assistant = factories.user(Role.ASSISTANT)
    est = factories.establishment(fase=2559, name="Ecole communale de Jambes")
    site = factories.site(est, fi=5136)
    db.session.commit()
    login(assistant)
    page = client.get("/admin/invitations/nouvelle").get_data(as_text=True)
    # A single role to offer: no choice to make, it is stated.
    assert 'type="hidden" name="role" value="teacher"' in page
    assert 'id="role"' not in page
    response = client.post(
        "/admin/invitations/nouvelle",
        data={
            "email": "prof@example.com",
            "role": "teacher",
            "site": "2559:5136",
            "csrf_token": csrf_token(client, "/admin/invitations/nouvelle"),
        },
    )
    assert response.status_code == 302
    invitation = db.session.scalar(select(Invitation))
    assert invitation.site_id == site.id
    assert invitation.role == Role.TEACHER


def test_teacher_invitation_needs_a_site(app, client, login):
    assistant = factories.user(Role.ASSISTANT)
    db.session.commit()
    login(assistant)
    data = {"email": "prof@example.com", "role": "teacher"}
    data["csrf_token"] = csrf_token(client, "/admin/invitations/nouvelle")
    response = client.post("/admin/invitations/nouvelle", data=data)
    assert response.status_code == 422
    assert "Indiquez l’implantation" in response.get_data(as_text=True)
    data["site"] = "9999:9999"
    response = client.post("/admin/invitations/nouvelle", data=data)
    assert response.status_code == 422
    assert "Aucune implantation n’a ces numéros FE:FI" in response.get_data(as_text=True)


def test_site_found_by_name_or_chosen_among_several(app, client, login):
    assistant = factories.user(Role.ASSISTANT)
    jambes = factories.establishment(fase=2559, name="Ecole communale de Jambes")
    factories.site(jambes, fi=5136, locality="JAMBES")
    factories.site(jambes, fi=5137, locality="JAMBES")
    solo = factories.establishment(fase=3001, name="Athénée royal de Spa")
    only = factories.site(solo, fi=6001, locality="SPA")
    db.session.commit()
    login(assistant)
    token = csrf_token(client, "/admin/invitations/nouvelle")
    data = {"email": "a@example.com", "role": "teacher", "site": "Spa", "csrf_token": token}
    assert client.post("/admin/invitations/nouvelle", data=data).status_code == 302
    assert db.session.scalar(select(Invitation.site_id)) == only.id
    # Two sites match: the form comes back with them to choose from (no JavaScript needed).
    data = {"email": "b@example.com", "role": "teacher", "site": "Jambes", "csrf_token": token}
    response = client.post("/admin/invitations/nouvelle", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Plusieurs implantations correspondent" in html
    assert 'name="site_pick" value="2559:5136"' in html
    assert 'name="site_pick" value="2559:5137"' in html
    data["site_pick"] = "2559:5137"
    assert client.post("/admin/invitations/nouvelle", data=data).status_code == 302


def test_site_suggestions_for_htmx(app, client, login):
    assistant = factories.user(Role.ASSISTANT)
    est = factories.establishment(fase=2559, name="Ecole communale de Jambes")
    factories.site(est, fi=5136)
    db.session.commit()
    login(assistant)
    html = client.get("/admin/implantations?site=jamb", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "FI 5136 - FE 2559" in html
    assert "/admin/implantations/choisir?code=2559:5136" in html
    field = client.get("/admin/implantations/choisir?code=2559:5136").get_data(as_text=True)
    assert 'id="site-field"' in field
    assert 'value="2559:5136"' in field
    assert "Implantation choisie" in field


# ------------------------------------------------------------------ pending: revoke and resend


def test_revoke_from_the_list(app, client, login):
    invitation, coordinator, _ = _supplier_invitation()
    path = _signup_path(invitation)
    login(coordinator)
    response = client.post(
        f"/admin/invitations/{invitation.id}/annuler",
        data={"csrf_token": csrf_token(client, "/admin/invitations")},
    )
    assert response.status_code == 302
    assert client.get(path).status_code == 410
    assert (
        "nouveau.fournisseur@example.com"
        not in client.get("/admin/invitations")
        .get_data(as_text=True)
        .split("</h1>")[1]
        .split("flash")[0]
    )


def test_resend_sends_a_fresh_link_and_kills_the_old(app, client, login):
    invitation, coordinator, _ = _supplier_invitation()
    old_path = _signup_path(invitation)
    login(coordinator)
    response = client.post(
        f"/admin/invitations/{invitation.id}/renvoyer",
        data={"csrf_token": csrf_token(client, "/admin/invitations")},
    )
    assert response.status_code == 302
    mails = dev_mails(app)
    assert len(mails) == 2
    newest = mail_link(mails[0], "/inscription/")
    assert client.get(old_path).status_code == 410
    assert client.get(newest).status_code == 200


def test_revoke_and_resend_by_get_are_refused(app, client, login):
    invitation, coordinator, _ = _supplier_invitation()
    login(coordinator)
    assert client.get(f"/admin/invitations/{invitation.id}/annuler").status_code == 405
    assert client.get(f"/admin/invitations/{invitation.id}/renvoyer").status_code == 405


def test_assistant_sees_and_handles_only_teacher_invitations(app, client, login):
    invitation, *_ = _supplier_invitation()
    assistant = factories.user(Role.ASSISTANT)
    db.session.commit()
    login(assistant)
    assert "nouveau.fournisseur@example.com" not in client.get("/admin/invitations").get_data(
        as_text=True
    )
    response = client.post(
        f"/admin/invitations/{invitation.id}/annuler",
        data={"csrf_token": csrf_token(client, "/admin/invitations")},
    )
    assert response.status_code == 403
    db.session.refresh(invitation)
    assert invitation.revoked_at is None
