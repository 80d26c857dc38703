"""The job queue: in-process without REDIS_URL, on Redis with it; the outbox path end to end."""

from __future__ import annotations

from datetime import timedelta

from jinja2 import ChoiceLoader, DictLoader

from app.devmail import mailbox
from app.extensions import db
from app.jobs import enqueue, enqueue_in
from app.models import OutboxMessage, OutboxStatus
from app.notify.outbox import SEND_JOB, dispatch, queue_message


def _invite_like_message(app):
    # A message template of the test's own, beside the real ones.
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "mail/test_message.txt": "Bonjour {{ name }},\n\nCeci est un test.",
                    "mail/test_message.html": "<p>Bonjour {{ name }},</p>",
                }
            ),
            app.jinja_env.loader,
        ]
    )
    with app.test_request_context():
        message = queue_message(
            "test", "Prof@Ecole.example.com", "Bienvenue", "test_message", name="Élise"
        )
    db.session.commit()
    return message


def test_outbox_message_is_delivered_after_commit(app, run_jobs):
    message = _invite_like_message(app)
    assert message.recipient == "prof@ecole.example.com"
    assert message.status == OutboxStatus.PENDING
    dispatch([message])
    run_jobs()
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT
    [stored] = mailbox.messages()
    assert "Bonjour Élise" in stored.part("plain")


def test_redis_down_at_dispatch_leaves_the_message_pending(make_app):
    # An unreachable Redis: the change is committed, the message waits for the sweep.
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        message = _invite_like_message(app)
        dispatch([message])
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.PENDING


def test_a_delayed_job_runs_at_once_in_the_embedded_mode(make_app):
    # No REDIS_URL: nothing would ever run a scheduled job, so it runs now.
    app = make_app(REDIS_URL=None)
    with app.app_context():
        message = _invite_like_message(app)
        assert enqueue_in(timedelta(minutes=5), SEND_JOB, message.id) is True
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT


def test_redis_down_at_a_delayed_dispatch_is_reported_not_raised(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        message = _invite_like_message(app)
        assert enqueue_in(60, SEND_JOB, message.id) is False
        assert enqueue(SEND_JOB, message.id) is False
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.PENDING
