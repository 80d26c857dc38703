"""The password rule (app.auth.strength) and the meter that shows it while typing."""

from __future__ import annotations

import re

import pytest

from app.auth.strength import MAX_LENGTH, assess
from app.extensions import db
from app.models import Role
from tests.support import factories
from tests.support.accounts import RELAXED_LIMITS
from tests.support.web import csrf_token

ME = ("quentin.delree@ecole.example.com", "Quentin Delrée")


@pytest.fixture
def app(make_app):
    app = make_app(**RELAXED_LIMITS)
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    "password",
    [
        "motdepasse123",
        "azertyuiop",
        "azerty123456",
        "bonjour2024",
        "soleil2024!",
        "password123",
        "1234567890",
        "aaaaaaaaaaaa",
        "qwertyuiop",
    ],
)
def test_common_passwords_are_refused(password):
    verdict = assess(password, min_length=10)
    assert not verdict.acceptable
    assert verdict.score < 3
    assert verdict.label in ("Faible", "Moyen")
    assert verdict.message


@pytest.mark.parametrize(
    "password",
    [
        "Quentin Delrée",
        "quentin.delree",
        "QuentinDelree2024",
        "delree-quentin-1",
        "quentin.delree@ecole",
    ],
)
def test_the_persons_own_name_and_address_are_refused(password):
    verdict = assess(password, ME, min_length=10)
    assert not verdict.acceptable
    assert "Évitez votre nom et votre adresse e-mail." in [str(a) for a in verdict.advice]


def test_the_same_name_is_fine_for_someone_else():
    # Without the person's words the rule has no reason to refuse this one.
    assert assess("delree-quentin-1", min_length=10).acceptable


@pytest.mark.parametrize(
    "password",
    [
        "un chat gris sur le toit de Namur",
        "Tartine-de-speculoos-au-petit-dej",
        "correct horse battery staple",
        "Cerf-volant-bleu-42!",
    ],
)
def test_passphrases_are_accepted(password):
    verdict = assess(password, ME, min_length=10)
    assert verdict.acceptable
    assert verdict.score >= 3
    assert verdict.label in ("Fort", "Très fort")
    assert verdict.advice == ()
    assert verdict.message == ""


def test_labels():
    assert assess("azertyuiop", min_length=10).label == "Faible"
    assert assess("bonjour2024", min_length=10).label in ("Faible", "Moyen")
    assert assess("un chat gris sur le toit de Namur", min_length=10).label == "Très fort"
    assert assess("", min_length=10).label == ""


def test_too_short_is_never_called_strong():
    verdict = assess("Tr0ub4dor&3", min_length=12)  # zxcvbn alone would say 4
    assert not verdict.acceptable
    assert verdict.too_short
    assert verdict.label == "Faible"
    assert str(verdict.message) == "Le mot de passe doit compter au moins 12 caractères."


def test_too_long_is_refused_without_being_analysed():
    verdict = assess("a-long-and-random-phrase " * 10, min_length=10)
    assert len("a-long-and-random-phrase " * 10) > MAX_LENGTH
    assert verdict.too_long
    assert not verdict.acceptable
    assert str(verdict.message) == f"Le mot de passe ne peut dépasser {MAX_LENGTH} caractères."


def test_the_configured_minimum_length_applies(make_app):
    app = make_app(PASSWORD_MIN_LENGTH=20)
    with app.app_context():
        verdict = assess("un chat gris sur le")  # 19 characters
        assert verdict.too_short
        assert not verdict.acceptable
        assert assess("un chat gris sur le toit").acceptable


def test_advice_is_french():
    english = re.compile(r"\b(the|is|are|easy|guess|words?|add|avoid)\b", re.I)
    for password in ("azertyuiop", "abcabcabc123", "qwerty2019", "Jean1985", "aaaaaaaaaaaaaa"):
        for hint in assess(password, min_length=10).advice:
            assert not english.search(str(hint)), (password, str(hint))


# ------------------------------------------------------------------ the meter endpoint


def _meter(client, password, **extra):
    return client.post(
        "/mot-de-passe/force",
        data={"password": password, **extra},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client)},
    )


def test_meter_rates_as_the_rule_does(client):
    weak = _meter(client, "azertyuiop")
    assert weak.status_code == 200
    html = weak.get_data(as_text=True)
    assert "<html" not in html  # a fragment
    assert "Faible" in html
    assert "strength-1" in html
    assert "Solidité du mot de passe" in html  # what a screen reader hears
    strong = _meter(client, "un chat gris sur le toit de Namur").get_data(as_text=True)
    assert "Très fort" in strong
    assert "strength-4" in strong


def test_meter_counts_the_typed_name_and_address(client):
    html = _meter(client, "QuentinDelree2024", email=ME[0], full_name=ME[1]).get_data(as_text=True)
    assert "Évitez votre nom et votre adresse e-mail." in html


def test_meter_counts_the_signed_in_persons_name(client, login):
    user = factories.user(Role.SUPPLIER, full_name="Quentin Delrée")
    db.session.commit()
    login(user)
    assert "Évitez votre nom" in _meter(client, "QuentinDelree2024").get_data(as_text=True)


def test_meter_is_empty_for_an_empty_password(client):
    html = _meter(client, "").get_data(as_text=True)
    assert "strength-label" not in html


def test_meter_needs_the_csrf_header(client):
    response = client.post("/mot-de-passe/force", data={"password": "x"})
    assert response.status_code == 400


def test_meter_by_get_is_refused(client):
    assert client.get("/mot-de-passe/force").status_code == 405
