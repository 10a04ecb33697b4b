"""Nothing is lost when Redis or SMTP is down (issue #5): the change is saved at once, its emails wait in the
outbox, and they are sent exactly once when the broker or the mail server is back.

"Redis is down" is a broker URL on a port where nothing listens, so every connection is refused; "Redis is
back" is the machine's Redis (database 9 only). The SMTP server is a test backend that refuses twice.
"""

from __future__ import annotations

import re
import smtplib
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from portal.tests.factories import TicketFactory
from tickets.models import Reply
from workflow import actions, outbox, tasks
from workflow.models import OutboundEmail
from workflow.tests._celery_support import (
    UNREACHABLE_BROKER_URL,
    celery_broker,
    require_postgres_and_redis,
    running_worker,
    wait_for,
)

FOLLOWERS = {"requester@northwind.example", "colleague@northwind.example"}
# One broker connection timeout (2 s) for the whole change, however many people are notified.
PROMPT_SECONDS = 4
DELIVERY_SECONDS = 20


def _reply_while_redis_is_down(cast, caplog, run=lambda action: action()) -> Reply:
    """An agent replies while the broker refuses connections; the reply must come back promptly."""
    with celery_broker(UNREACHABLE_BROKER_URL):
        started = time.monotonic()
        message = run(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Restart the dashboard."))
        elapsed = time.monotonic() - started
    assert elapsed < PROMPT_SECONDS, f"the reply took {elapsed:.1f}s while Redis was down"
    assert Reply.objects.filter(pk=message.pk, ticket=cast.ticket, body="Restart the dashboard.").exists()
    rows = OutboundEmail.objects.filter(ticket=cast.ticket, reply=message)
    assert {row.recipient.email for row in rows} == FOLLOWERS
    assert {(row.sent_at, row.attempts, row.given_up_at) for row in rows} == {(None, 0, None)}
    assert caplog.text.count("the outbox sweep will send them") == 1
    return message


def test_a_reply_saved_while_redis_is_down_is_emailed_once_by_the_outbox_task(
    cast, caplog, django_capture_on_commit_callbacks
):
    def committed(action):
        with django_capture_on_commit_callbacks(execute=True):  # the after-commit hand-over to the broker
            return action()

    message = _reply_while_redis_is_down(cast, caplog, run=committed)
    assert mail.outbox == []

    # The broker is back; beat's next tick runs the outbox task, here in this process.
    assert tasks.deliver_outbox.apply().get() == len(FOLLOWERS)

    assert sorted(address for sent in mail.outbox for address in sent.to) == sorted(FOLLOWERS)
    rows = OutboundEmail.objects.filter(reply=message)
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert {sent.extra_headers["Message-ID"] for sent in mail.outbox} == {row.message_id for row in rows}
    assert tasks.deliver_outbox.apply().get() == 0
    assert len(mail.outbox) == len(FOLLOWERS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_saved_while_redis_is_down_is_emailed_once_by_a_real_worker_when_redis_is_back(cast, caplog, tmp_path):
    require_postgres_and_redis()
    with running_worker(tmp_path) as (worker, app):
        message = _reply_while_redis_is_down(cast, caplog)  # no test transaction: on_commit runs for real
        assert worker.messages() == []

        # Redis is back (this process publishes to it again): beat's outbox task reaches the worker.
        tasks.deliver_outbox.delay()
        rows = OutboundEmail.objects.filter(reply=message)

        def delivered():
            return not rows.filter(sent_at__isnull=True).exists() and len(worker.messages()) >= len(FOLLOWERS)

        assert wait_for(delivered, seconds=DELIVERY_SECONDS), f"not delivered:\n{worker.log()}"
        assert {mail["To"] for mail in worker.messages()} == FOLLOWERS
        assert {mail["Message-ID"] for mail in worker.messages()} == {row.message_id for row in rows}
        assert {row.attempts for row in rows} == {1}

        # The next tick finds nothing left to send.
        tasks.deliver_outbox.delay()
        runs = re.compile(r"Task workflow\.tasks\.deliver_outbox\[[^\]]+\] succeeded in [\d.]+s: (\d+)")
        assert wait_for(lambda: len(runs.findall(worker.log())) == 2, seconds=DELIVERY_SECONDS), worker.log()
        assert runs.findall(worker.log()) == [str(len(FOLLOWERS)), "0"]
        assert len(worker.messages()) == len(FOLLOWERS)


# --- SMTP refusing, then accepting ---------------------------------------------------------------------------

refusals_left = 0
accepted: list = []


class FlakyBackend(BaseEmailBackend):
    """An SMTP server that refuses while `refusals_left` lasts, then accepts into `accepted`."""

    def send_messages(self, messages):
        global refusals_left
        if refusals_left > 0:
            refusals_left -= 1
            raise smtplib.SMTPException("451 4.3.0 Try again later")
        accepted.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_smtp(settings):
    global refusals_left
    refusals_left = 2
    accepted.clear()
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyBackend"}}
    yield
    accepted.clear()


def test_smtp_refusing_twice_then_accepting_delivers_one_email(cast, flaky_smtp, django_capture_on_commit_callbacks):
    ticket = TicketFactory(requester=cast.requester, subject="Export is empty")  # one follower: one email
    t0 = cast.ticket.created_at.replace(microsecond=0) + timedelta(days=1)
    with time_machine.travel(t0, tick=False), django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=cast.agent, body="Fixed, please retry.")
    email = OutboundEmail.objects.get(ticket=ticket)
    assert outbox.backoff(1) == timedelta(minutes=1) and outbox.backoff(2) == timedelta(minutes=2)

    # First refusal: the after-commit delivery.
    email.refresh_from_db()
    assert (email.attempts, email.sent_at, email.next_attempt_at) == (1, None, t0 + outbox.backoff(1))
    assert email.last_error == "SMTPException: 451 4.3.0 Try again later"
    assert outbox.deliver_due(now=t0 + outbox.backoff(1) - timedelta(seconds=1)) == 0  # not due yet: no attempt
    email.refresh_from_db()
    assert email.attempts == 1

    # Second refusal, at the first retry.
    t1 = t0 + outbox.backoff(1)
    assert outbox.deliver_due(now=t1) == 0
    email.refresh_from_db()
    assert (email.attempts, email.sent_at, email.next_attempt_at) == (2, None, t1 + outbox.backoff(2))
    assert email.last_error == "SMTPException: 451 4.3.0 Try again later" and email.given_up_at is None
    assert outbox.deliver_due(now=t1 + outbox.backoff(2) - timedelta(seconds=1)) == 0
    assert accepted == []

    # Accepted at the second retry.
    t2 = t1 + outbox.backoff(2)
    assert outbox.deliver_due(now=t2) == 1
    email.refresh_from_db()
    assert (email.attempts, email.sent_at, email.given_up_at) == (3, t2, None)
    assert [(message.to, message.extra_headers["Message-ID"]) for message in accepted] == [
        (["requester@northwind.example"], email.message_id)
    ]

    # Nothing more, however long we wait.
    assert outbox.deliver_due(now=t2 + timedelta(days=30)) == 0
    assert len(accepted) == 1 and refusals_left == 0
