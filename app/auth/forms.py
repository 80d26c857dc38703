"""Account forms: sign in, sign up, password reset, profile."""

from __future__ import annotations

import json
from typing import ClassVar

from flask import url_for
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, StopValidation

from app.auth.strength import assess
from app.core.forms import Form, email_field, language_field
from app.notify import preferences


class LoginForm(Form):
    email = email_field(_l("Indiquez votre adresse e-mail."), autocomplete="username")
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté·e sur cet appareil"))
    next = HiddenField()


# ------------------------------------------------------------------ new passwords, everywhere


class StrongPassword:
    """The password rule (app.auth.strength) as a WTForms validator.

    The person's own words come from the form's `email` and `full_name` fields when it has them,
    and from `form.password_user_inputs` (set by the view: the account's address and name).
    """

    field_flags: ClassVar[dict] = {"required": True}

    def __call__(self, form, field):
        inputs = list(getattr(form, "password_user_inputs", ()))
        for name in ("email", "full_name"):
            other = getattr(form, name, None)
            if other is not None and other.data:
                inputs.append(other.data)
        verdict = assess(field.data or "", inputs)
        field.assessment = verdict
        if not verdict.acceptable:
            raise StopValidation(str(verdict.message))


def meter_attrs(known: dict | None = None) -> dict:
    """Attributes for a new-password input: htmx asks the server to rate it as the person types."""
    attrs = {
        "hx-post": url_for("auth.password_strength"),
        "hx-trigger": "input changed delay:300ms",
        "hx-target": "#password-strength",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
        "hx-params": "password,email,full_name",
    }
    if known:
        attrs["hx-vals"] = json.dumps({k: v for k, v in known.items() if v})
    return attrs


class NewPasswordForm(Form):
    """Base of every form that sets a password: the `password` field carries the meter."""

    password_user_inputs: tuple = ()

    def __init__(self, *args, known: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.render_kw = {**(self.password.render_kw or {}), **meter_attrs(known)}
        if known:
            self.password_user_inputs = tuple(v for v in known.values() if v)

    @property
    def assessment(self):
        return getattr(self.password, "assessment", None)


def _full_name_field() -> StringField:
    return StringField(
        _l("Nom complet"),
        validators=[
            DataRequired(_l("Indiquez votre nom complet.")),
            Length(max=120, message=_l("120 caractères au maximum.")),
        ],
        render_kw={"autocomplete": "name"},
    )


class SignupForm(NewPasswordForm):
    email = EmailField(
        _l("Adresse e-mail"), render_kw={"readonly": True, "autocomplete": "username"}
    )
    full_name = _full_name_field()
    language = language_field(_l("Langue de Relais et de vos e-mails"))
    password = PasswordField(
        _l("Choisissez un mot de passe"),
        validators=[StrongPassword()],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(Form):
    email = email_field(_l("Indiquez votre adresse e-mail."), autocomplete="username")


class ResetPasswordForm(NewPasswordForm):
    email = EmailField(
        _l("Adresse e-mail"), render_kw={"readonly": True, "autocomplete": "username"}
    )
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[StrongPassword()],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(Form):
    full_name = _full_name_field()
    language = language_field(_l("Langue de Relais et de vos e-mails"))


class PasswordChangeForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[StrongPassword()],
        render_kw={"autocomplete": "new-password"},
    )


# ------------------------------------------------------------------ « E-mails que je reçois »


class MailPreferencesForm(Form):
    """One checkbox per group of ticket mail the role sees (app.notify.preferences).

    Built by `mail_preferences_form`: an unticked (absent) box turns its group off; keys of groups
    the role does not see, and unknown keys, are not fields, so they are ignored.
    """

    groups: tuple = ()

    def chosen_keys(self) -> set[str]:
        return {g.key for g in self.groups if self[f"mail_{g.key}"].data}


def mail_preferences_form(role: str, stored: dict | None, **kwargs) -> MailPreferencesForm:
    """The form for a person of `role`; with `formdata=None`, it shows the stored choice."""
    groups = preferences.visible_groups(role)

    class _Form(MailPreferencesForm):
        pass

    _Form.groups = groups
    for group in groups:
        setattr(
            _Form,
            f"mail_{group.key}",
            BooleanField(
                group.label,
                description=group.help,
                default=preferences.is_on(stored, group.key, role),
            ),
        )
    return _Form(**kwargs)
