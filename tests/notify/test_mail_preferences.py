"""« E-mails que je reçois »: each person chooses which kinds of ticket mail they get.

A message goes only when both the person's choice and their switch on the ticket allow it; the
teacher's approval request and a supplier's new assignment always go. Pure rules first
(app.notify.preferences, app.notify.audience), then delivery to a real SMTP server, then the
profile page.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Role, User
from app.notify import preferences
from app.notify.audience import AUDIENCES, Participation, Person, TicketPeople, audience
from app.tickets.service import ActionInput, add_comment, apply_action, set_notifications
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.tickets import TOMORROW_10H, build_world, later
from tests.support.web import csrf_token, signed_in

ALL_ROLES = [r.value for r in Role]

# ------------------------------------------------------------------ the groups


def test_every_event_kind_is_in_exactly_one_group():
    for kind in AUDIENCES:
        holders = [g.key for g in preferences.GROUPS if kind in g.kinds]
        assert len(holders) == 1, f"{kind} is in {holders}"
    grouped = {kind for g in preferences.GROUPS for kind in g.kinds}
    assert grouped - set(AUDIENCES) == set(), "a group names a kind no event has"


def test_groups_have_unique_keys_labels_and_roles_that_exist():
    keys = [g.key for g in preferences.GROUPS]
    assert len(keys) == len(set(keys))
    for group in preferences.GROUPS:
        assert str(group.label)
        assert str(group.help)
        assert group.kinds
        assert group.roles <= set(ALL_ROLES)


def test_each_role_sees_the_groups_of_the_mails_its_place_brings():
    # The audience groups that reach a role by its place on the ticket (participants aside).
    reaches = {
        "supplier": {"supplier"},
        "previous_supplier_if_planned": {"supplier"},
        "technician": {"supplier"},
        "teacher": {"teacher"},
        "teacher_if_planned": {"teacher"},
        "assistant": {"assistant", "admin"},
        "new_assignee": {"assistant", "admin"},
        "coordinators": {"coordinator"},
    }
    for kind, groups in AUDIENCES.items():
        for group in groups:
            if group.endswith("!") or group == "participants":
                continue
            for role in reaches[group]:
                visible = {g.key for g in preferences.visible_groups(role)}
                assert preferences.GROUP_OF_KIND[kind] in visible, (kind, role)


def test_only_en_staff_see_the_deadline_warnings():
    for role in ALL_ROLES:
        keys = [g.key for g in preferences.visible_groups(role)]
        assert ("sla" in keys) == (role in ("assistant", "coordinator", "admin"))
        assert "visits" in keys
        assert "comments" in keys


def test_allows_reads_only_an_explicit_false_as_off():
    assert preferences.allows({}, "plan")
    assert preferences.allows(None, "plan")
    assert preferences.allows(["visits"], "plan")  # not a mapping: nothing is off
    assert not preferences.allows({"visits": False}, "plan")
    assert not preferences.allows({"visits": False}, "reschedule")
    assert preferences.allows({"visits": False}, "finish")
    assert preferences.allows({"visits": True}, "plan")
    assert preferences.allows({"visits": 0}, "plan")  # only False itself turns a group off
    assert preferences.allows({"visits": False}, "an_event_nobody_grouped")


def test_a_group_hidden_from_the_role_is_never_off_for_it():
    stored = {"sla": False}
    assert not preferences.allows(stored, "sla_warning", "assistant")
    assert preferences.allows(stored, "sla_warning", "teacher")
    assert preferences.muted_kinds(stored, "teacher") == frozenset()
    assert preferences.muted_kinds(stored, "coordinator") == {"sla_warning"}


def test_muted_kinds_are_every_kind_of_the_groups_turned_off():
    muted = preferences.muted_kinds({"visits": False, "closing": False, "comments": True})
    assert muted == {"plan", "reschedule", "approve", "reopen", "auto_close", "closed_unanswered"}


def test_chosen_records_the_unticked_groups_the_role_sees_and_nothing_else():
    stored = preferences.chosen("teacher", {"visits", "comments", "bogus", "sla"})
    teacher_keys = {g.key for g in preferences.visible_groups("teacher")}
    assert set(stored) == teacher_keys - {"visits", "comments"}
    assert set(stored.values()) == {False}
    assert "sla" not in stored
    assert "bogus" not in stored
    everything = {g.key for g in preferences.GROUPS}
    assert preferences.chosen("assistant", everything) == {}


# ------------------------------------------------------------------ audience(), pure

TEACHER = "claire@ecole.example.com"
ASSISTANT = "quentin@relais.example.com"
COORDINATOR = "olivier@relais.example.com"
SUPPLIER_REF = "support@meuse.example.com"
OTHER_REF = "support@brabant.example.com"
SUPPLIER_USER = "julie@meuse.example.com"


def _people(
    teacher_muted=frozenset(),
    supplier_muted=frozenset(),
    assistant_muted=frozenset(),
    teacher_switch=True,
    **extra,
) -> TicketPeople:
    teacher = Person(TEACHER, "Claire", 5, muted_kinds=frozenset(teacher_muted))
    return TicketPeople(
        supplier=Person(SUPPLIER_REF, "Meuse", muted_kinds=frozenset(supplier_muted)),
        assistant=Person(ASSISTANT, "Quentin", 2, muted_kinds=frozenset(assistant_muted)),
        coordinators=(Person(COORDINATOR, "Olivier", 3),),
        teacher=teacher,
        participants=(Participation(teacher, notify=teacher_switch),),
        **extra,
    )


def _to(event, people, actor=SUPPLIER_USER) -> list[str]:
    return sorted(r.person.email for r in audience(event, people, actor))


def test_a_muted_kind_is_not_sent_and_the_others_are():
    people = _people(teacher_muted={"plan", "reschedule"})
    assert TEACHER not in _to("plan", people)
    assert TEACHER not in _to("reschedule", people)
    assert _to("plan", people) == [COORDINATOR, ASSISTANT]
    assert TEACHER in _to("comment", people)
    assert TEACHER in _to("cancel", people, actor=ASSISTANT)


def test_the_teachers_approval_request_ignores_the_choice_and_the_switch():
    people = _people(teacher_muted={"finish", "finish_on_spot"}, teacher_switch=False)
    for event in ("finish", "finish_on_spot"):
        recipients = audience(event, people, SUPPLIER_USER)
        teacher = next(r for r in recipients if r.person.email == TEACHER)
        assert teacher.mandatory
    # The same choice silences the assistant, for whom the message is not mandatory.
    people = _people(assistant_muted={"finish"})
    assert ASSISTANT not in _to("finish", people)


def test_a_suppliers_new_assignment_ignores_the_choice():
    muted = preferences.muted_kinds({g.key: False for g in preferences.GROUPS})
    people = _people(supplier_muted=muted)
    assert SUPPLIER_REF in _to("created", people, actor=ASSISTANT)
    assert SUPPLIER_REF in _to("reassign_supplier", people, actor=ASSISTANT)
    assert SUPPLIER_REF not in _to("comment", people, actor=TEACHER)
    assert SUPPLIER_REF not in _to("approve", people, actor=TEACHER)


def test_the_previous_supplier_is_not_a_new_assignment():
    people = _people(
        previous_supplier=Person(
            OTHER_REF, "Brabant", muted_kinds=frozenset({"reassign_supplier"})
        ),
        visit_planned=True,
    )
    assert _to("reassign_supplier", people, actor=ASSISTANT) == [TEACHER, SUPPLIER_REF]
    people = _people(previous_supplier=Person(OTHER_REF, "Brabant"), visit_planned=True)
    assert OTHER_REF in _to("reassign_supplier", people, actor=ASSISTANT)


@pytest.mark.parametrize(
    ("switch_on", "kind_on", "told"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, False)],
)
def test_both_the_ticket_switch_and_the_choice_must_allow(switch_on, kind_on, told):
    people = _people(teacher_muted=set() if kind_on else {"plan"}, teacher_switch=switch_on)
    assert (TEACHER in _to("plan", people)) is told


def test_a_person_reached_twice_is_silenced_by_either_of_their_entries():
    # The contact has no account of its own here, but the same address is a participant who
    # turned plans off: the address's owner chose, and the choice holds.
    contact = Person(TEACHER, "Claire")
    shared = Person(TEACHER, "Claire", 5, muted_kinds=frozenset({"plan"}))
    people = TicketPeople(
        assistant=Person(ASSISTANT, "Quentin", 2),
        teacher=contact,
        participants=(Participation(shared, notify=True),),
    )
    assert _to("plan", people) == [ASSISTANT]
    assert TEACHER in _to("finish", people)  # mandatory for the contact


# ------------------------------------------------------------------ delivered mail


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _delivered(app, smtp_server, tag):
    drain_queue(app)
    got = [m for m in smtp_server.messages if tag in m["message"]["Subject"]]
    smtp_server.messages.clear()
    return sorted(r for m in got for r in m["to"])


def _save(client, *on, headers=None):
    data = {f"mail_{key}": "y" for key in on}
    data["csrf_token"] = csrf_token(client, "/profil")
    return client.post("/profil/e-mails", data=data, headers=headers or {})


def test_a_teacher_without_visit_mails_is_not_told_of_the_plan_but_of_the_rest(
    mail_app, smtp_server
):
    world = build_world()
    teacher_groups = {g.key for g in preferences.visible_groups("teacher")}
    # Through the real profile form, as the teacher would.
    client = signed_in(mail_app, world.teacher)
    assert _save(client, *(teacher_groups - {"visits"})).status_code == 303
    db.session.expire_all()

    ticket = world.new_ticket()
    assert TEACHER in _delivered(mail_app, smtp_server, "Nouvelle demande")
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket
    assert _delivered(mail_app, smtp_server, "Intervention prévue") == [COORDINATOR, ASSISTANT]
    add_comment(world.supplier_user, ticket.id, "Je passe demain.", now=later(6))
    assert TEACHER in _delivered(mail_app, smtp_server, "commentaire")
    apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary="Fait."), now=later(60)
    )
    assert TEACHER in _delivered(mail_app, smtp_server, "1 approbation")


def test_the_approval_request_reaches_a_teacher_who_turned_everything_off(mail_app, smtp_server):
    world = build_world()
    world.teacher.mail_preferences = preferences.chosen("teacher", ())
    world.assistant.mail_preferences = {"finished": False}
    db.session.commit()
    ticket = world.new_ticket()
    assert _delivered(mail_app, smtp_server, "Nouvelle demande") == [SUPPLIER_REF]
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket
    _delivered(mail_app, smtp_server, "Intervention prévue")
    apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary="Fait."), now=later(60)
    )
    # The teacher: mandatory. The assistant turned finished work off: not told.
    assert _delivered(mail_app, smtp_server, "1 approbation") == [TEACHER, COORDINATOR]


def test_the_ticket_switch_still_applies_when_the_kind_is_on(mail_app, smtp_server):
    world = build_world()
    ticket = world.new_ticket()
    _delivered(mail_app, smtp_server, "Nouvelle demande")
    set_notifications(world.teacher, ticket.id, False)
    add_comment(world.assistant, ticket.id, "Le fournisseur passe jeudi.", now=later(3))
    assert _delivered(mail_app, smtp_server, "commentaire") == [SUPPLIER_REF]


def test_the_reference_address_follows_the_choice_of_the_user_who_owns_it(mail_app, smtp_server):
    world = build_world()
    owner = factories.user(Role.SUPPLIER, supplier=world.supplier, email=SUPPLIER_REF)
    owner.mail_preferences = {"new": False, "comments": False}
    db.session.commit()
    ticket = world.new_ticket()
    # A new assignment always goes, whatever the choice.
    assert SUPPLIER_REF in _delivered(mail_app, smtp_server, "Nouvelle demande")
    add_comment(world.teacher, ticket.id, "L’écran clignote aussi.", now=later(2))
    assert SUPPLIER_REF not in _delivered(mail_app, smtp_server, "commentaire")

    # Once the account is deactivated its choice no longer speaks for the address.
    owner.active = False
    db.session.commit()
    add_comment(world.teacher, ticket.id, "Et il fait du bruit.", now=later(3))
    assert SUPPLIER_REF in _delivered(mail_app, smtp_server, "commentaire")


def test_a_service_address_gets_every_kind(mail_app, smtp_server):
    world = build_world()  # support@meuse… belongs to no account
    world.supplier_user.mail_preferences = {"comments": False}
    db.session.commit()
    ticket = world.new_ticket()
    _delivered(mail_app, smtp_server, "Nouvelle demande")
    add_comment(world.teacher, ticket.id, "Merci !", now=later(2))
    assert SUPPLIER_REF in _delivered(mail_app, smtp_server, "commentaire")


# ------------------------------------------------------------------ the profile page


def _checkbox(html: str, key: str) -> str:
    start = html.index(f'id="mail_{key}"')
    return html[html.rindex("<input", 0, start) : html.index(">", start) + 1]


@pytest.mark.parametrize("role", list(Role))
def test_the_section_lists_the_groups_the_role_sees(app, client, login, role):
    user = factories.user(role)
    db.session.commit()
    login(user)
    html = client.get("/profil").get_data(as_text=True)
    assert "E-mails que je reçois" in html
    assert "Toujours envoyés" in html
    for group in preferences.GROUPS:
        shown = f'name="mail_{group.key}"' in html
        assert shown == (role.value in group.roles), group.key
        if shown:
            assert "checked" in _checkbox(html, group.key)  # everything is on at first


def test_the_note_names_what_always_goes_for_the_role(app, client, login):
    teacher = factories.user(Role.TEACHER)
    db.session.commit()
    login(teacher)
    html = client.get("/profil").get_data(as_text=True)
    assert "La demande d’approbation envoyée quand une intervention est terminée" in html


def test_saving_shows_the_choice_back(app):
    user = factories.user(Role.ASSISTANT)
    db.session.commit()
    client = signed_in(app, user)
    visible = {g.key for g in preferences.visible_groups("assistant")}
    response = _save(client, *(visible - {"comments", "sla"}))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/profil")
    html = client.get("/profil").get_data(as_text=True)
    assert "Préférences enregistrées." in html
    assert "checked" not in _checkbox(html, "comments")
    assert "checked" not in _checkbox(html, "sla")
    assert "checked" in _checkbox(html, "visits")
    db.session.expire_all()
    assert db.session.get(User, user.id).mail_preferences == {"comments": False, "sla": False}

    # Ticking everything again turns every group back on.
    assert _save(client, *visible).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).mail_preferences == {}


def test_htmx_gets_the_section_back(app):
    user = factories.user(Role.SUPPLIER)
    db.session.commit()
    client = signed_in(app, user)
    visible = {g.key for g in preferences.visible_groups("supplier")}
    response = _save(client, *(visible - {"visits"}), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="panel mail-prefs" id="mail-preferences"')
    assert "Préférences enregistrées." in html
    assert "checked" not in _checkbox(html, "visits")
    assert "checked" in _checkbox(html, "comments")
    db.session.expire_all()
    assert db.session.get(User, user.id).mail_preferences == {"visits": False}


def test_a_post_without_csrf_is_refused(app):
    user = factories.user(Role.TEACHER)
    db.session.commit()
    client = signed_in(app, user)
    response = client.post("/profil/e-mails", data={"mail_new": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).mail_preferences == {}


def test_unknown_and_hidden_groups_are_ignored(app):
    user = factories.user(Role.TEACHER)
    user.mail_preferences = {"sla": False}  # left from a time the person was EN staff
    db.session.commit()
    client = signed_in(app, user)
    visible = {g.key for g in preferences.visible_groups("teacher")}
    response = _save(client, *(visible - {"closing"}), "bogus", "sla", "csrf")
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(User, user.id).mail_preferences
    assert stored == {"closing": False}
    assert preferences.allows(stored, "sla_warning", "teacher")


def test_the_preferences_need_sign_in(client):
    token = csrf_token(client, "/connexion")
    response = client.post("/profil/e-mails", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_a_supplier_reads_whose_choice_the_reference_address_follows(app, client, login):
    company = factories.supplier(
        name="Meuse Informatique", reference_email="support@meuse.example.com"
    )
    owner = factories.user(Role.SUPPLIER, supplier=company, email="support@meuse.example.com")
    colleague = factories.user(Role.SUPPLIER, supplier=company)
    db.session.commit()
    login(owner)
    html = client.get("/profil").get_data(as_text=True)
    assert "Votre adresse est l’adresse de référence de Meuse Informatique" in html
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/profil")})
    login(colleague)
    html = client.get("/profil").get_data(as_text=True)
    assert "Votre adresse est l’adresse de référence" not in html
    assert "(support@meuse.example.com) suivent les choix du compte" in html
