"""A real Celery worker delivers a notification end to end, and beat schedules the periodic work (issue #5).

The worker is another process, started here with `celery -A portal worker` on the production settings
(`portal.settings.base`), connected to this run's test database on PostgreSQL and to Redis database 9, and
writing email to files. This process publishes to the same Redis through the product's own path: an agent's
reply commits, `transaction.on_commit` calls `deliver_emails.delay(ids)`, the worker sends the emails.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from celery.schedules import maybe_schedule, schedule
from django.utils import timezone, translation

from portal import request_id
from portal.celery import app as celery_app
from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions, tasks
from workflow.models import OutboundEmail, PriorityPolicy, Status
from workflow.notifications import SUBJECTS, reply_address, thread_root
from workflow.tests._celery_support import require_postgres_and_redis, running_worker, wait_for

PERIODIC_TASKS = {"workflow.tasks.sweep_awaiting", "workflow.tasks.deliver_outbox"}
DELIVERY_SECONDS = 20
FOLLOWERS = ["colleague@northwind.example", "requester@northwind.example"]


@pytest.fixture
def worker(tmp_path):
    require_postgres_and_redis()
    with running_worker(tmp_path) as (worker, app):
        yield worker


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_emails_an_agent_reply_end_to_end(cast, worker):
    message = actions.reply(ticket=cast.ticket, author=cast.agent, body="Please clear the browser cache.")

    # Committed, and handed to Redis by on_commit: the worker, not this process, sends the two emails.
    assert Reply.objects.filter(pk=message.pk, body="Please clear the browser cache.").exists()
    rows = {row.recipient.email: row for row in OutboundEmail.objects.select_related("recipient")}
    assert set(rows) == {"requester@northwind.example", "colleague@northwind.example"}

    def all_sent():
        return OutboundEmail.objects.filter(sent_at__isnull=True).count() == 0 and len(worker.messages()) >= 2

    assert wait_for(all_sent, seconds=DELIVERY_SECONDS), (
        f"not delivered within {DELIVERY_SECONDS}s; rows: "
        f"{list(OutboundEmail.objects.values('recipient__email', 'sent_at', 'attempts', 'last_error'))}\n"
        f"worker log:\n{worker.log()}"
    )

    sent = {mail["To"]: mail for mail in worker.messages()}
    assert len(worker.messages()) == 2 and set(sent) == set(rows)
    for address, row in rows.items():
        row.refresh_from_db()
        mail = sent[address]
        assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
        assert mail["Subject"] == f"Re: [#{cast.ticket.pk}] Dashboard tiles fail to load"
        assert mail["Message-ID"] == row.message_id
        assert mail["In-Reply-To"] == thread_root(cast.ticket)
        assert mail["Reply-To"] == reply_address(cast.ticket)
        assert re.fullmatch(rf"reply\+{cast.ticket.pk}\.[0-9a-f]{{24}}@.+", mail["Reply-To"])
        assert "Please clear the browser cache." in mail.get_body(("plain",)).get_content()
    assert "Task workflow.tasks.deliver_emails[" in worker.log()  # one task for the whole change


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_runs_beats_tasks_and_its_sweep_sends_a_due_reminder(cast, worker):
    # Each follower reads their emails in their own language; the worker has no request to take it from.
    cast.requester.language, cast.colleague.language = "de", "ko"
    cast.requester.save(update_fields=["language"])
    cast.colleague.save(update_fields=["language"])
    expected = {}
    for person in (cast.requester, cast.colleague):
        with translation.override(person.language):
            subject = str(SUBJECTS[OutboundEmail.Kind.REMINDER]) % {
                "id": cast.ticket.pk,
                "subject": cast.ticket.subject,
            }
        expected[person.email] = subject
    assert "Reminder" not in expected[cast.requester.email] and "Reminder" not in expected[cast.colleague.email]

    registered = celery_app.control.inspect(destination=[worker.name], timeout=5).registered()
    assert registered, f"the worker did not answer inspect().registered():\n{worker.log()}"
    assert {*PERIODIC_TASKS, "workflow.tasks.deliver_emails"} <= set(registered[worker.name])

    # Awaiting your reply since longer than the policy's reminder interval: the next sweep reminds.
    policy = PriorityPolicy.objects.get(priority=cast.ticket.priority)
    with time_machine.travel(timezone.now() - policy.reminder_every - timedelta(hours=1), tick=False):
        actions.change_status(ticket=cast.ticket, to=Status.AWAITING_REPLY, actor=cast.agent)
    awaiting_emails = len(FOLLOWERS)
    assert wait_for(lambda: len(worker.messages()) == awaiting_emails, seconds=DELIVERY_SECONDS), worker.log()

    tasks.sweep_awaiting.delay()  # what beat sends every few minutes

    runs = re.compile(r"Task workflow\.tasks\.sweep_awaiting\[[^\]]+\] succeeded in [\d.]+s: (.+)")
    assert wait_for(lambda: runs.findall(worker.log()), seconds=DELIVERY_SECONDS), worker.log()
    assert runs.findall(worker.log()) == ["{'reminded': 1, 'solved': 0, 'failed': 0}"]
    row = Ticket.objects.get(pk=cast.ticket.pk)
    assert row.reminders_sent == 1 and TicketEvent.objects.filter(ticket=row, kind=EventKind.REMINDER).count() == 1

    def reminded():
        # A subject near 78 characters is folded right after "Subject:"; unfolding leaves the fold's space in front
        # of the value, which readers drop (RFC 5322 folding white space).
        subjects = [(mail["To"], mail["Subject"].strip()) for mail in worker.messages()]
        return {to: subject for to, subject in subjects if subject in expected.values()}

    assert wait_for(lambda: len(reminded()) == len(FOLLOWERS), seconds=DELIVERY_SECONDS), worker.log()
    assert reminded() == expected
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()


def _every(entry: dict) -> timedelta:
    run = maybe_schedule(entry["schedule"])
    assert isinstance(run, schedule), f"{entry['task']} is not on a fixed interval: {run!r}"
    return run.run_every


def test_beat_schedules_the_sweep_at_least_every_ten_minutes_and_the_outbox_delivery():
    celery_app.loader.import_default_modules()  # what beat and the worker do at start-up: autodiscovery
    entries = list(celery_app.conf.beat_schedule.values())
    by_task = {entry["task"]: entry for entry in entries}
    assert PERIODIC_TASKS <= set(by_task)
    assert len(by_task) == len(entries), "a task is scheduled twice"
    assert _every(by_task["workflow.tasks.sweep_awaiting"]) <= timedelta(seconds=600)
    assert _every(by_task["workflow.tasks.deliver_outbox"]) <= timedelta(seconds=600)
    # Beat sends names; each must be a task this app knows, or the worker would reject it.
    assert PERIODIC_TASKS <= set(celery_app.tasks)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_logs_a_task_under_the_id_of_the_request_that_queued_it(cast, worker):
    token = request_id.adopt("reply-7f3a")  # as RequestIdMiddleware does for the agent's POST
    try:
        actions.reply(ticket=cast.ticket, author=cast.agent, body="Please clear the browser cache.")
    finally:
        request_id.release(token)
    assert wait_for(lambda: not OutboundEmail.objects.filter(sent_at__isnull=True).exists(), seconds=DELIVERY_SECONDS)

    def lines_of_the_request():
        records = [json.loads(line) for line in worker.log_path.read_text().splitlines() if line.startswith("{")]
        return [record for record in records if record.get("request_id") == "reply-7f3a"]

    assert wait_for(lambda: any("succeeded" in r["message"] for r in lines_of_the_request()), seconds=5), worker.log()
    assert all("deliver_emails" in record["message"] for record in lines_of_the_request())
