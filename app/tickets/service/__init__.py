"""The ticket service: every change to a ticket goes through here.

Each operation takes the acting user and plain values (never the request), checks the permission
and the workflow, locks the ticket row (PostgreSQL) and compares its version (everywhere),
records the event, lets the packages that react write their rows in the same transaction
(app.tickets.signals), commits once, and returns the event. By concern:

- `creation`: opening a ticket (its rules on the device: app.tickets.creation_rules);
- `actions`: the workflow actions and their effects;
- `editing`: the EN team corrects a ticket's frame;
- `participants`: comments (a reply by mail among them), the « Notifications » switch, sharing;
- `mail_answers`: *Approuver* / *Rouvrir* from the mailbox;
- `clocks`: pausing and resuming the clocks, questions to the school;
- `system`: the closures the system makes by itself;
- `common`: the change every operation runs in, and small checks.
"""

from app.tickets.service.actions import (
    ActionInput,
    apply_action,
    planned_visit_problem,
    visit_horizon_days,
)
from app.tickets.service.clocks import ask_school, pause_clocks, resume_clocks
from app.tickets.service.common import load_for_update
from app.tickets.service.creation import NewTicket, create_ticket
from app.tickets.service.editing import NothingChanged, TicketEdit, edit_ticket
from app.tickets.service.mail_answers import AnswerRefused, answer_from_mail
from app.tickets.service.participants import (
    add_comment,
    comment_from_mail,
    set_notifications,
    share,
)
from app.tickets.service.system import auto_close, close_unanswered

__all__ = [
    "ActionInput",
    "AnswerRefused",
    "NewTicket",
    "NothingChanged",
    "TicketEdit",
    "add_comment",
    "answer_from_mail",
    "apply_action",
    "ask_school",
    "auto_close",
    "close_unanswered",
    "comment_from_mail",
    "create_ticket",
    "edit_ticket",
    "load_for_update",
    "pause_clocks",
    "planned_visit_problem",
    "resume_clocks",
    "set_notifications",
    "share",
    "visit_horizon_days",
]
