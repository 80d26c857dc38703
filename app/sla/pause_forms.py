"""The forms of the « Délais » part of the ticket page: pause, resume, ask the school.

They only parse what was typed; the rules (who, when, a reason, one pause at a time) are
app.sla.pauses', whose errors the view puts next to the field they name.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField

from app.core.forms import Form, long_text
from app.sla.pauses import PART, SCHOOL, TEXT_MAX


def _text(label, **kw):
    return long_text(label, TEXT_MAX, **kw)


class ClockForm(Form):
    """The base of the part's forms (Form.add_error puts a service error under its field)."""


class PauseForm(ClockForm):
    kind = RadioField(
        _l("La demande attend"),
        choices=[(SCHOOL, _l("l’école (accès, une personne)")), (PART, _l("une pièce"))],
        default=PART,
        validate_choice=False,
    )
    reason = _text(_l("Précisez"))


class ResumeForm(ClockForm):
    pass


class AskSchoolForm(ClockForm):
    question = _text(_l("Votre question"))


def blank_forms() -> dict[str, ClockForm]:
    return {
        "pause": PauseForm(formdata=None, prefix="pause"),
        "resume": ResumeForm(formdata=None, prefix="resume"),
        "ask": AskSchoolForm(formdata=None, prefix="ask"),
    }
