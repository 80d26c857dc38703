"""The ticket service package: each operation returns its event, the photos of an action are
stored in the same change as its transition, the reactions hang on the service's signals, and
the imports go one way (the import-linter contract of pyproject.toml)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Attachment, OutboxMessage, ServiceClock, TicketEvent
from app.notify.reactions import write_notices
from app.tickets import attachments, signals
from app.tickets.errors import TicketError
from app.tickets.events import EventKind
from app.tickets.service import ActionInput, add_comment, apply_action, pause_clocks, share
from app.tickets.workflow import Action, Status
from tests.support.tickets import TOMORROW_10H, build_world, later, ticket_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(app):
    return build_world()


def _photo() -> attachments.Upload:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    out.seek(0)
    return attachments.check_upload(FileStorage(out, filename="apres.png"))


def _finish(world, ticket, **options):
    return apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Alimentation remplacée."),
        version=ticket.version,
        now=later(30),
        **options,
    )


def test_apply_action_returns_the_event_it_recorded(world):
    ticket = world.new_ticket()
    event = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        version=ticket.version,
        now=later(5),
    )
    assert isinstance(event, TicketEvent)
    assert event.id is not None
    assert event.kind == EventKind.PLAN
    assert event.ticket.status == Status.IN_PROGRESS
    assert event.ticket.events[-1] is event


def test_the_other_operations_return_their_event_too(world):
    ticket = world.new_ticket()
    paused = pause_clocks(world.supplier_user, ticket.id, "part", "Pièce commandée.")
    assert paused.kind == EventKind.PAUSE
    shared = share(world.assistant, ticket.id, world.other_teacher)
    assert (shared.kind, shared.body) == (EventKind.SHARE, world.other_teacher.full_name)


def test_photos_are_stored_with_the_event_of_the_action(world):
    ticket = ticket_in(world, "in_progress")
    event = _finish(world, ticket, photos=[_photo()])
    stored = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert [(a.filename, a.event_id) for a in stored] == [("apres.png", event.id)]


def test_a_storage_failure_leaves_no_transition_and_no_mail(world, full_disk):
    ticket = ticket_in(world, "in_progress")
    version, events = ticket.version, len(ticket.events)
    mails = db.session.scalar(select(func.count(OutboxMessage.id)))
    with pytest.raises(TicketError) as refused:
        _finish(world, ticket, photos=[_photo()])
    assert refused.value.field == "photos"
    db.session.expire_all()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.version == version
    assert len(ticket.events) == events
    assert ticket.current_visit is not None  # the visit was not marked finished
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mails
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_a_comment_whose_files_cannot_be_stored_is_not_saved(world, full_disk):
    ticket = world.new_ticket()
    events = len(ticket.events)
    with pytest.raises(TicketError) as refused:
        add_comment(world.teacher, ticket.id, "Voici la photo.", files=[_photo()])
    assert refused.value.field == "attachments"
    db.session.expire_all()
    assert len(ticket.events) == events
    assert ticket.attachments == []


def test_the_clocks_and_the_notices_follow_the_service_through_its_signals(world):
    assert signals.event_applied.receivers, "app.sla.reactions is connected by create_app"
    assert signals.event_announced.receivers, "app.notify.reactions is connected by create_app"
    ticket = world.new_ticket()
    running = select(ServiceClock).where(
        ServiceClock.ticket_id == ticket.id, ServiceClock.stopped_at.is_(None)
    )
    assert len(db.session.scalars(running).all()) == 4  # the ticket's and its supplier's
    seen = []

    def listener(sender, **values):
        seen.append((sender.id, values["event"].kind))

    with signals.event_applied.connected_to(listener):
        apply_action(
            world.assistant,
            ticket.id,
            Action.CANCEL,
            ActionInput(reason="Doublon."),
            version=ticket.version,
            now=later(5),
        )
    assert seen == [(ticket.id, EventKind.CANCEL)]
    assert db.session.scalars(running).all() == []


def test_a_change_with_no_one_to_tell_is_refused_rather_than_silent(world):
    ticket = world.new_ticket()
    events = len(ticket.events)
    event_announced = signals.event_announced
    event_announced.disconnect(write_notices)
    try:
        with pytest.raises(RuntimeError):
            add_comment(world.assistant, ticket.id, "Personne ne l’apprendrait.")
    finally:
        event_announced.connect(write_notices)
    db.session.expire_all()
    assert len(ticket.events) == events


def test_the_current_visit_is_the_ticket_s_own(world):
    ticket = world.new_ticket()
    assert ticket.current_visit is None
    ticket = ticket_in(world, "in_progress")
    assert ticket.current_visit.planned_at == TOMORROW_10H
    assert _finish(world, ticket).ticket.current_visit is None


def test_the_imports_go_one_way():
    """import-linter (a dev dependency) checks the contracts of pyproject.toml."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ticket_view_modules_never_import_their_package():
    """app/tickets/views/__init__.py imports the route modules; what they share is in the
    modules below them (common, parts), so that no cycle runs through the package."""
    importers = []
    for path in sorted((ROOT / "app" / "tickets" / "views").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "app.tickets.views":
                importers.append(path.name)
    assert importers == ["__init__.py"]


def test_settings_are_read_from_the_environment_in_config_only():
    """app/config.py turns the environment into the app's config; the rest reads the config."""
    readers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "app").rglob("*.py"))
        if path.name != "config.py"
        and any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "getenv("))
    ]
    assert readers == []
