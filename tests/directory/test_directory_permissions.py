"""Who may open which directory page: every route, every role, anonymous included.

The table below must name every route of the `directory` blueprint (and each of its methods):
a new route added without a line here fails `test_every_directory_route_is_listed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from flask import current_app, url_for

from app.directory.permissions import can_browse_directory, can_edit_supplier, can_view_supplier
from app.extensions import db
from app.models import Role, Supplier
from tests.support import factories
from tests.support.web import csrf_token

ROLES = ("assistant", "coordinator", "admin", "supplier", "teacher", "anonymous")
STAFF_ONLY = {
    "assistant": 200,
    "coordinator": 200,
    "admin": 200,
    "supplier": 403,
    "teacher": 403,
    "anonymous": 302,
}


def u(endpoint: str, **values) -> str:
    """A path, built outside any request (the tests hold only an app context)."""
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _with(base: dict, **changes) -> dict:
    return {**base, **changes}


@dataclass(frozen=True)
class Case:
    name: str
    endpoint: str
    method: str
    url: Callable[[SimpleNamespace], str]
    expected: dict
    data: Callable[[SimpleNamespace], dict] | None = None


def _contact(w):
    return {"reference_email": "nouvelle.reference@societe.example.com", "phone": "081 23 45 67"}


CASES = [
    Case("schools", "directory.schools", "GET", lambda w: u("directory.schools"), STAFF_ONLY),
    Case(
        "schools search",
        "directory.schools",
        "GET",
        lambda w: u("directory.schools", q="borlon", page=1),
        STAFF_ONLY,
    ),
    Case(
        "school",
        "directory.school",
        "GET",
        lambda w: u("directory.school", fe=w.site.establishment.fase, fi=w.site.fi),
        STAFF_ONLY,
    ),
    Case(
        "unknown school",
        "directory.school",
        "GET",
        lambda w: u("directory.school", fe=1, fi=1),
        _with(STAFF_ONLY, assistant=404, coordinator=404, admin=404),
    ),
    Case("suppliers", "directory.suppliers", "GET", lambda w: u("directory.suppliers"), STAFF_ONLY),
    Case(
        "own company",
        "directory.supplier",
        "GET",
        lambda w: u("directory.supplier", supplier_id=w.own.id),
        _with(STAFF_ONLY, supplier=200),
    ),
    Case(
        "other company",
        "directory.supplier",
        "GET",
        lambda w: u("directory.supplier", supplier_id=w.other.id),
        STAFF_ONLY,
    ),
    Case(
        "unknown company",
        "directory.supplier",
        "GET",
        lambda w: u("directory.supplier", supplier_id=999_999),
        _with(STAFF_ONLY, assistant=404, coordinator=404, admin=404),
    ),
    Case("equipment", "directory.equipment", "GET", lambda w: u("directory.equipment"), STAFF_ONLY),
    Case(
        "equipment search",
        "directory.equipment",
        "GET",
        lambda w: u("directory.equipment", q="lot01", lot="Lot 01", fournisseur=w.own.id),
        STAFF_ONLY,
    ),
    Case(
        "device maintained by the supplier",
        "directory.device",
        "GET",
        lambda w: u("directory.device", equipment_id=w.device.id),
        _with(STAFF_ONLY, supplier=200, teacher=404),
    ),
    Case(
        "device maintained by another company",
        "directory.device",
        "GET",
        lambda w: u("directory.device", equipment_id=w.other_device.id),
        _with(STAFF_ONLY, supplier=404, teacher=404),
    ),
    Case(
        "device by its label",
        "directory.device_by_identifier",
        "GET",
        lambda w: u("directory.device_by_identifier", identifier=w.device.label),
        _with(STAFF_ONLY, assistant=302, coordinator=302, admin=302, supplier=302, teacher=404),
    ),
    Case(
        "change own company's reference address",
        "directory.supplier_contact",
        "POST",
        lambda w: u("directory.supplier_contact", supplier_id=w.own.id),
        _with(STAFF_ONLY, assistant=403, coordinator=303, admin=303),
        data=_contact,
    ),
    Case(
        "change another company's reference address",
        "directory.supplier_contact",
        "POST",
        lambda w: u("directory.supplier_contact", supplier_id=w.other.id),
        _with(STAFF_ONLY, assistant=403, coordinator=303, admin=303),
        data=_contact,
    ),
]


@pytest.fixture
def scene(app):
    """A school, two companies and their devices: the directory's own, not the tickets' world."""
    est = factories.establishment(fase=2559, name="Ecole fondamentale communale de Borlon")
    site = factories.site(est, fi=5136, postal_code="6941", locality="BORLON")
    own = factories.supplier(name="Société du fournisseur", reference_email="ref@own.example.com")
    other = factories.supplier(name="Autre société", reference_email="ref@other.example.com")
    device = factories.equipment(site=site, supplier=own)
    other_device = factories.equipment(site=site, supplier=other)
    users = {
        "assistant": factories.user(Role.ASSISTANT),
        "coordinator": factories.user(Role.COORDINATOR),
        "admin": factories.user(Role.ADMIN),
        "supplier": factories.user(Role.SUPPLIER, supplier=own),
        "teacher": factories.user(Role.TEACHER, site=site),
    }
    db.session.commit()
    return SimpleNamespace(
        site=site, own=own, other=other, users=users, device=device, other_device=other_device
    )


def test_every_directory_route_is_listed(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("directory.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(case.endpoint, case.method) for case in CASES}
    assert routes == listed, "list every directory route and method in CASES"


def w_id(scene) -> int:
    return scene.device.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name.replace(" ", "-"))
def test_route_answers_each_role(client, login, scene, case, role):
    if role != "anonymous":
        assert login(scene.users[role]).status_code == 302
    url = case.url(scene)
    if case.method == "GET":
        response = client.get(url)
    else:
        data = dict(case.data(scene), csrf_token=csrf_token(client))
        response = client.post(url, data=data)

    expected = case.expected[role]
    assert response.status_code == expected, (case.name, role)
    if expected == 302 and role == "anonymous":
        assert response.headers["Location"].startswith("/connexion")
    elif expected == 302:  # a device by its label: to its page
        assert response.headers["Location"] == u("directory.device", equipment_id=w_id(scene))
    if expected == 403:
        assert "Accès refusé" in response.get_data(as_text=True)

    if case.method == "POST":
        # Refused means nothing changed; allowed means the address really changed.
        db.session.expire_all()
        target = db.session.get(Supplier, scene.own.id if "own" in case.name else scene.other.id)
        changed = target.reference_email == "nouvelle.reference@societe.example.com"
        assert changed == (expected == 303), (case.name, role)


def test_supplier_menu_links_only_its_own_company(client, login, scene):
    login(scene.users["supplier"])
    html = client.get("/").get_data(as_text=True)
    assert u("directory.supplier", supplier_id=scene.own.id) in html
    assert u("directory.schools") not in html
    assert u("directory.suppliers") + '"' not in html


def test_supplier_sees_no_staff_links_on_its_page(client, login, scene):
    login(scene.users["supplier"])
    html = client.get(u("directory.supplier", supplier_id=scene.own.id)).get_data(as_text=True)
    assert u("directory.equipment") not in html
    assert u("directory.suppliers") + '"' not in html
    assert 'name="reference_email"' not in html  # no form for a supplier


@pytest.mark.parametrize("role", ["assistant", "coordinator", "admin"])
def test_staff_menu_links_the_directory(client, login, scene, role):
    login(scene.users[role])
    html = client.get("/").get_data(as_text=True)
    for endpoint in ("directory.schools", "directory.suppliers", "directory.equipment"):
        assert u(endpoint) in html


# ------------------------------------------------------------------ the rules themselves


def _user(role, supplier_id=None):
    return SimpleNamespace(is_authenticated=True, role=role, supplier_id=supplier_id)


OWN = SimpleNamespace(id=1)
OTHER = SimpleNamespace(id=2)


@pytest.mark.parametrize(
    ("user", "browse", "view_own", "view_other", "edit"),
    [
        (_user(Role.ASSISTANT), True, True, True, False),
        (_user(Role.COORDINATOR), True, True, True, True),
        (_user(Role.ADMIN), True, True, True, True),
        (_user(Role.SUPPLIER, supplier_id=1), False, True, False, False),
        (_user(Role.TEACHER), False, False, False, False),
        (SimpleNamespace(is_authenticated=False), False, False, False, False),
        (None, False, False, False, False),
    ],
)
def test_permission_rules(user, browse, view_own, view_other, edit):
    assert can_browse_directory(user) is browse
    assert can_view_supplier(user, OWN) is view_own
    assert can_view_supplier(user, OTHER) is view_other
    assert can_edit_supplier(user, OWN) is edit
    assert can_edit_supplier(user, OTHER) is edit


def test_a_supplier_user_without_company_sees_no_company():
    assert (
        can_view_supplier(_user(Role.SUPPLIER, supplier_id=None), SimpleNamespace(id=None)) is False
    )
