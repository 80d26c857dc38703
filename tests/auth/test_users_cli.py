"""`flask users create` and `flask users deactivate`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.service import authenticate
from app.extensions import db
from app.models import Role, User
from tests.support import factories

PASSWORD = "Une chaise bleue dans la cour"


@pytest.fixture
def run(app):
    runner = app.test_cli_runner(mix_stderr=False) if _mixes() else app.test_cli_runner()

    def _run(*args, input=None):
        result = runner.invoke(args=["users", *args], input=input)
        db.session.expire_all()
        return result

    return _run


def _mixes() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def _user(email):
    return db.session.scalar(select(User).where(User.email == email))


def test_create_an_admin_from_stdin(run):
    result = run(
        "create",
        "Admin@Example.com",
        "--role",
        "admin",
        "--name",
        "Ada Admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : admin@example.com" in result.output
    user = _user("admin@example.com")
    assert user.role == Role.ADMIN
    assert user.active
    assert authenticate("admin@example.com", PASSWORD) is not None
    assert user.language == "fr"


def test_create_a_german_speaking_account(run):
    args = ("create", "lena@example.com", "--role", "admin", "--name", "Lena Kessler")
    result = run(*args, "--language", "de", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert _user("lena@example.com").language == "de"
    refused = run(*args[:1], "other@example.com", *args[2:], "--language", "nl")
    assert refused.exit_code != 0
    assert _user("other@example.com") is None


def test_create_with_the_hidden_prompt_and_confirmation(run):
    result = run(
        "create",
        "coord@example.com",
        "--role",
        "coordinator",
        "--name",
        "Cora Coord",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Mot de passe" in result.output
    assert "Confirmez le mot de passe" in result.output
    assert PASSWORD not in result.output  # hidden
    assert _user("coord@example.com").role == Role.COORDINATOR


def test_confirmation_must_match(run):
    result = run(
        "create",
        "x@example.com",
        "--role",
        "assistant",
        "--name",
        "X Y",
        input=f"{PASSWORD}\nautre chose encore\n",
    )
    assert result.exit_code == 1
    assert "les deux mots de passe ne sont pas identiques" in result.stderr
    assert _user("x@example.com") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("motdepasse123", "trop facile à deviner"),
        ("court", "au moins 10 caractères"),
        ("Ada Lovelace 1815", "trop facile à deviner"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(run, password, reason):
    result = run(
        "create",
        "ada@example.com",
        "--role",
        "assistant",
        "--name",
        "Ada Lovelace",
        "--password-stdin",
        input=password + "\n",
    )
    assert result.exit_code == 1
    assert "Erreur : mot de passe refusé." in result.stderr
    assert reason in result.stderr
    assert _user("ada@example.com") is None


def test_supplier_needs_an_existing_company_found_without_case(run):
    factories.supplier(name="Informatique Mosane")
    db.session.commit()
    args = ["create", "f@example.com", "--role", "supplier", "--name", "Fred Four"]
    missing = run(*args, "--password-stdin", input=PASSWORD + "\n")
    assert missing.exit_code == 1
    assert "--company" in missing.stderr
    unknown = run(*args, "--company", "Inconnue SA", "--password-stdin", input=PASSWORD + "\n")
    assert unknown.exit_code == 1
    assert "aucune société ne s’appelle « Inconnue SA »" in unknown.stderr
    ok = run(*args, "--company", "INFORMATIQUE mosane", "--password-stdin", input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.stderr
    assert _user("f@example.com").supplier.name == "Informatique Mosane"


def test_teacher_needs_an_existing_site_by_fe_fi(run):
    est = factories.establishment(fase=2559)
    site = factories.site(est, fi=5136)
    db.session.commit()
    args = ["create", "prof@example.com", "--role", "teacher", "--name", "Paule Prof"]
    assert "--site" in run(*args, "--password-stdin", input=PASSWORD + "\n").stderr
    bad = run(*args, "--site", "école", "--password-stdin", input=PASSWORD + "\n")
    assert bad.exit_code == 1
    assert "n’est pas de la forme FE:FI" in bad.stderr
    unknown = run(*args, "--site", "2559:1", "--password-stdin", input=PASSWORD + "\n")
    assert unknown.exit_code == 1
    assert "aucune implantation" in unknown.stderr
    ok = run(*args, "--site", "2559:5136", "--password-stdin", input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.stderr
    assert _user("prof@example.com").site_id == site.id


def test_existing_address_and_unknown_role_are_refused(run):
    factories.user(Role.ASSISTANT, email="deja@example.com")
    db.session.commit()
    taken = run(
        "create",
        "DEJA@example.com",
        "--role",
        "assistant",
        "--name",
        "Dé Jà",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert taken.exit_code == 1
    assert "un compte existe déjà pour deja@example.com" in taken.stderr
    role = run(
        "create",
        "n@example.com",
        "--role",
        "chef",
        "--name",
        "N N",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert role.exit_code == 1
    assert "rôle inconnu « chef »" in role.stderr


def test_deactivate(run, app):
    user = factories.user(Role.SUPPLIER, email="parti@example.com")
    db.session.commit()
    version = user.session_version
    result = run("deactivate", "Parti@example.com")
    assert result.exit_code == 0
    assert "Compte désactivé : parti@example.com." in result.output
    user = _user("parti@example.com")
    assert user.active is False
    assert user.session_version == version + 1
    missing = run("deactivate", "personne@example.com")
    assert missing.exit_code == 1
    assert "aucun compte pour personne@example.com" in missing.stderr
