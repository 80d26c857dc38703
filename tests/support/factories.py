"""Small builders for test data: each returns a flushed object with sensible defaults."""

from __future__ import annotations

import itertools

from app.auth.passwords import hash_password
from app.extensions import db
from app.models import (
    Equipment,
    Establishment,
    PortalCategory,
    RequestType,
    Role,
    Site,
    Supplier,
    User,
)

PASSWORD = "Cerf-volant-bleu-42!"  # accepted by the password rules
_seq = itertools.count(1)


def establishment(**kw) -> Establishment:
    n = next(_seq)
    obj = Establishment(
        fase=kw.pop("fase", 90000 + n),
        name=kw.pop("name", f"Ecole fondamentale de test {n}"),
        address=kw.pop("address", f"Rue de l'Ecole {n}"),
        postal_code=kw.pop("postal_code", "5000"),
        locality=kw.pop("locality", "NAMUR"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def site(establishment_=None, **kw) -> Site:
    n = next(_seq)
    est = establishment_ or establishment()
    obj = Site(
        establishment=est,
        fi=kw.pop("fi", 80000 + n),
        address=kw.pop("address", f"Rue de l'Implantation {n}"),
        postal_code=kw.pop("postal_code", "5000"),
        locality=kw.pop("locality", "NAMUR"),
        latitude=kw.pop("latitude", 50.46),
        longitude=kw.pop("longitude", 4.86),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def supplier(**kw) -> Supplier:
    n = next(_seq)
    obj = Supplier(
        name=kw.pop("name", f"Fournisseur {n}"),
        reference_email=kw.pop("reference_email", f"support{n}@fournisseur.example.com"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def user(role: str | Role = Role.ASSISTANT, password: str | None = PASSWORD, **kw) -> User:
    n = next(_seq)
    role = Role(role)
    if role == Role.SUPPLIER and "supplier" not in kw:
        kw["supplier"] = supplier()
    if role == Role.TEACHER and "site" not in kw:
        kw["site"] = site()
    obj = User(
        email=kw.pop("email", f"{role.value}{n}@relais.example.com"),
        full_name=kw.pop("full_name", f"{role.value.title()} {n}"),
        role=role.value,
        password_hash=hash_password(password) if password else None,
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def equipment(**kw) -> Equipment:
    n = next(_seq)
    obj = Equipment(
        lot=kw.pop("lot", "Lot 01"),
        model=kw.pop("model", "Ordinateur portable 14 pouces"),
        label=kw.pop("label", f"EN01-LOT01-{n:05d}"),
        serial=kw.pop("serial", f"SN{n:08d}"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def request_type(**kw) -> RequestType:
    category = kw.pop("category", None) or PortalCategory(
        key=kw.pop("key", "TECH"), name="Assistance technique"
    )
    obj = RequestType(category=category, name=kw.pop("name", "Retour fournisseur"), **kw)
    db.session.add(obj)
    db.session.flush()
    return obj
