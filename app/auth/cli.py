"""`flask users …` commands: create an account (the first admin, say), deactivate one."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.auth import accounts
from app.auth.errors import AccountError
from app.auth.lookups import find_site_by_code, find_supplier_by_name, parse_site_code
from app.auth.service import find_user_by_email, revoke_sessions
from app.auth.strength import assess
from app.core.locales import DEFAULT, LANGUAGES
from app.extensions import db
from app.models import ROLE_VALUES, Role

users_cli = AppGroup("users", help="Comptes utilisateurs.")


class Refused(click.ClickException):
    """A French error on stderr and exit status 1 (click's own prefix is English)."""

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True)


def _prompt_password(email: str, name: str) -> str:
    """Hidden prompt with confirmation; at a terminal, a refusal asks again."""
    interactive = sys.stdin.isatty()
    while True:
        password = click.prompt("Mot de passe", hide_input=True, default="", show_default=False)
        verdict = assess(password, (email, name))
        if not verdict.acceptable:
            if interactive:
                click.echo(f"Refusé : {verdict.message}", err=True)
                continue
            raise Refused(f"mot de passe refusé. {verdict.message}")
        again = click.prompt(
            "Confirmez le mot de passe", hide_input=True, default="", show_default=False
        )
        if again == password:
            return password
        if not interactive:
            raise Refused("les deux mots de passe ne sont pas identiques.")
        click.echo("Les deux mots de passe ne sont pas identiques, recommencez.", err=True)


def _read_password(from_stdin: bool, email: str, name: str) -> str:
    if not from_stdin:
        return _prompt_password(email, name)
    password = sys.stdin.readline().rstrip("\r\n")
    verdict = assess(password, (email, name))
    if not verdict.acceptable:
        raise Refused(f"mot de passe refusé. {verdict.message}")
    return password


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "role", required=True, help=f"Rôle : {', '.join(ROLE_VALUES)}.")
@click.option("--name", "name", required=True, help="Nom complet.")
@click.option("--company", default=None, help="Société (rôle supplier) : son nom exact.")
@click.option("--site", default=None, help="Implantation (rôle teacher) : FE:FI, ex. 2559:5136.")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=DEFAULT,
    show_default=True,
    help="Langue de ses pages et de ses e-mails.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Lire le mot de passe sur l’entrée standard (une ligne) au lieu de le demander.",
)
def create_user(email, role, name, company, site, language, password_stdin):
    """Créer un compte actif, sans invitation."""
    role = role.strip().lower()
    if role not in ROLE_VALUES:
        raise Refused(f"rôle inconnu « {role} ». Rôles possibles : {', '.join(ROLE_VALUES)}.")
    if "@" not in email or len(email) > 254:
        raise Refused(f"adresse e-mail non valide : « {email} ».")
    if find_user_by_email(email) is not None:
        raise Refused(f"un compte existe déjà pour {email.strip().lower()}.")
    supplier = site_obj = None
    if role == Role.SUPPLIER:
        if not company:
            raise Refused("un compte fournisseur demande --company NOM (une société existante).")
        supplier = find_supplier_by_name(company)
        if supplier is None:
            raise Refused(f"aucune société ne s’appelle « {company} ».")
    elif company:
        raise Refused("--company ne s’utilise qu’avec --role supplier.")
    if role == Role.TEACHER:
        if not site:
            raise Refused("un compte enseignant demande --site FE:FI (une implantation existante).")
        if parse_site_code(site) is None:
            raise Refused(f"« {site} » n’est pas de la forme FE:FI (par exemple 2559:5136).")
        site_obj = find_site_by_code(site)
        if site_obj is None:
            raise Refused(f"aucune implantation FE:FI {site}.")
    elif site:
        raise Refused("--site ne s’utilise qu’avec --role teacher.")
    password = _read_password(password_stdin, email, name)
    try:
        user = accounts.create_user(
            email, role, name, password, supplier=supplier, site=site_obj, language=language
        )
    except AccountError as exc:
        raise Refused(str(exc.message)) from exc
    click.echo(f"Compte créé : {user.email} ({Role(user.role).label}).")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email):
    """Désactiver un compte : il ne peut plus se connecter, ses sessions sont fermées."""
    user = find_user_by_email(email)
    if user is None:
        raise Refused(f"aucun compte pour {email.strip().lower()}.")
    if not user.active:
        click.echo(f"Le compte {user.email} était déjà désactivé.")
        return
    user.active = False
    revoke_sessions(user)
    db.session.commit()
    click.echo(f"Compte désactivé : {user.email}.")
