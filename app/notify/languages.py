"""Who reads which language: the one place that decides the language of a message's recipient.

- a person with an account reads their account's language (User.language);
- a ticket's contact without an account (most teachers) reads the language of the school's
  Community: German at a site on the German-speaking Community's calendar, French otherwise;
- a company's reference address reads the language of the account with that address, if one
  exists, French otherwise (a company has no language of its own);
- a calendar feed is written in its owner's language (the coordinator's, or the company's);
- a mail-answer page speaks the language its message was written in.
"""

from __future__ import annotations

from sqlalchemy import select

from app.core.locales import DEFAULT, language_or_default
from app.extensions import db
from app.models import Site, Supplier, Ticket, User, normalise_email

# The school calendar of the German-speaking Community's schools (Site.school_calendar).
GERMAN_SPEAKING_CALENDAR = "dg"


def of_user(user: User | None) -> str:
    return language_or_default(getattr(user, "language", None))


def of_site(site: Site | None) -> str:
    """The language a school's people read by default: its Community's."""
    if site is not None and site.school_calendar == GERMAN_SPEAKING_CALENDAR:
        return "de"
    return DEFAULT


def of_contact(ticket: Ticket) -> str:
    """The language of a ticket's contact: their account's, or their school's."""
    if ticket.contact_user is not None:
        return of_user(ticket.contact_user)
    return of_site(ticket.site)


def of_address(email: str | None) -> str | None:
    """The language of the active account with this address, or None."""
    if not email:
        return None
    return db.session.scalar(
        select(User.language).where(User.email == normalise_email(email), User.active.is_(True))
    )


def of_supplier(supplier: Supplier | None) -> str:
    return language_or_default(of_address(supplier.reference_email if supplier else None))


def of_feed_owner(owner: Supplier | User) -> str:
    return of_supplier(owner) if isinstance(owner, Supplier) else of_user(owner)
