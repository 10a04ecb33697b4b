"""The sweep and the outbox delivery are idempotent: run twice, or by two workers at once, nothing is sent or
solved twice (issue #5). The concurrent runs need PostgreSQL: each thread has its own connection, and the
row locks (`SELECT ... FOR UPDATE`, `SKIP LOCKED`) are what is under test.

The clock is explicit: requests go Awaiting your reply at chosen moments (time-machine), and every sweep and
delivery is given its `now`. Emails queued by the sweep are delivered inline after commit (eager Celery, as in
every test), so the locmem outbox holds what a customer would have received.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from portal.tests.factories import TicketFactory
from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions, automation, outbox
from workflow.models import OutboundEmail, Priority, PriorityPolicy, Status
from workflow.tests._celery_support import celery_broker

Kind = OutboundEmail.Kind
concurrent = pytest.mark.django_db(transaction=True, serialized_rollback=True)

COUNT = 15
PRIORITIES = [Priority.S1, Priority.S2, Priority.S3, Priority.S4]
# A fixed past, far from the real clock: emails queued during the sweeps are due at once either way.
L = timezone.now().replace(microsecond=0) - timedelta(days=60)
DAY = timedelta(days=1)
FOLLOWERS = ("requester@northwind.example", "colleague@northwind.example")


def _at_once(*steps: Callable[[], object]) -> list[object]:
    """Run each step in its own thread and database connection, released together by a barrier."""
    barrier = threading.Barrier(len(steps), timeout=20)
    results: list[object] = [None] * len(steps)
    errors: list[BaseException] = []

    def run(index: int, step: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = step()
        except BaseException as error:  # handed to the test thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, step)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a concurrent step never finished"
    if errors:
        raise errors[0]
    return results


def _awaiting_requests(cast, since: Callable[[Priority], datetime]) -> list[Ticket]:
    """COUNT requests of the requester (the colleague CC'd), across priorities, each set Awaiting your reply by
    the agent at `since(priority)`, which starts the reminder cycle there."""
    tickets = []
    for number in range(COUNT):
        priority = PRIORITIES[number % len(PRIORITIES)]
        ticket = TicketFactory(
            requester=cast.requester, ccs=[cast.colleague], priority=priority, subject=f"Sweep request {number}"
        )
        with time_machine.travel(since(priority), tick=False):
            actions.change_status(ticket=ticket, to=Status.AWAITING_REPLY, actor=cast.agent, reason="Please check.")
        tickets.append(ticket)
    mail.outbox.clear()  # the "Awaiting your reply" emails; the sweeps' emails are what is counted below
    return tickets


def _received(kind_subject: str) -> Counter:
    """(recipient, subject) of every email received whose subject contains `kind_subject`."""
    return Counter(
        (address, message.subject)
        for message in mail.outbox
        for address in message.to
        if kind_subject in message.subject
    )


def _policy(ticket: Ticket) -> PriorityPolicy:
    return PriorityPolicy.objects.get(priority=ticket.priority)


@concurrent
def test_two_sweeps_at_once_send_each_request_exactly_one_reminder(on_postgres, cast):
    start = L - 10 * DAY
    tickets = _awaiting_requests(cast, since=lambda priority: start)
    now = start + max(policy.reminder_every for policy in PriorityPolicy.objects.all()) + timedelta(minutes=1)

    results = _at_once(lambda: automation.sweep(now=now), lambda: automation.sweep(now=now))

    assert sum(result.reminded for result in results) == COUNT
    assert [(result.solved, result.failed) for result in results] == [(0, 0), (0, 0)]
    for ticket in tickets:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.status, row.reminders_sent, row.last_reminder_at) == (Status.AWAITING_REPLY, 1, now)
        reminders = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REMINDER)
        assert [event.to_value for event in reminders] == [f"1/{_policy(ticket).reminders}"]
        emails = OutboundEmail.objects.filter(ticket=ticket, kind=Kind.REMINDER)
        assert sorted(emails.values_list("recipient__email", flat=True)) == sorted(FOLLOWERS)
        assert all(email.sent_at is not None for email in emails)
    received = _received("Reminder, awaiting your reply")
    assert len(received) == COUNT * len(FOLLOWERS) and set(received.values()) == {1}


@concurrent
def test_two_sweeps_at_once_solve_each_request_exactly_once(on_postgres, cast):
    # Staggered so that every priority's last reminder falls due at L, and no auto-solve before:
    # S1 reminds at L-2d, L-1d, L; S2 at L-2d, L; S3 at L-3d, L; S4 at L.
    since = {Priority.S1: L - 3 * DAY, Priority.S2: L - 4 * DAY, Priority.S3: L - 6 * DAY, Priority.S4: L - 4 * DAY}
    tickets = _awaiting_requests(cast, since=since.__getitem__)
    per_priority = Counter(ticket.priority for ticket in tickets)
    walk = [
        (L - 3 * DAY, per_priority[Priority.S3]),
        (L - 2 * DAY, per_priority[Priority.S1] + per_priority[Priority.S2]),
        (L - DAY, per_priority[Priority.S1]),
        (L, COUNT),
    ]
    for moment, reminded in walk:
        assert automation.sweep(now=moment).as_dict() == {"reminded": reminded, "solved": 0, "failed": 0}, moment
    for ticket in tickets:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.status, row.reminders_sent, row.last_reminder_at) == (
            Status.AWAITING_REPLY,
            _policy(ticket).reminders,
            L,
        )
    mail.outbox.clear()
    now = L + max(policy.auto_solve_after for policy in PriorityPolicy.objects.all()) + timedelta(minutes=1)

    results = _at_once(lambda: automation.sweep(now=now), lambda: automation.sweep(now=now))

    assert sum(result.solved for result in results) == COUNT
    assert [(result.reminded, result.failed) for result in results] == [(0, 0), (0, 0)]
    for ticket in tickets:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.status, row.solved_at) == (Status.SOLVED, now)
        solved = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS, to_value=Status.SOLVED)
        assert [(event.from_value, event.automation, event.actor_id) for event in solved] == [
            (Status.AWAITING_REPLY, actions.AUTO_SOLVE, None)
        ]
        notes = Reply.objects.filter(ticket=ticket, author__isnull=True)
        assert [(note.is_public, note.created_at) for note in notes] == [(True, now)]
        emails = OutboundEmail.objects.filter(ticket=ticket, kind=Kind.AUTO_SOLVED)
        assert sorted(emails.values_list("recipient__email", flat=True)) == sorted(FOLLOWERS)
        assert {email.reply_id for email in emails} == {notes.get().pk}
        assert not OutboundEmail.objects.filter(ticket=ticket, kind=Kind.SOLVED).exists()
    received = _received("Solved for lack of reply")
    assert len(received) == COUNT * len(FOLLOWERS) and set(received.values()) == {1}
    assert len(mail.outbox) == COUNT * len(FOLLOWERS)


def test_a_second_sweep_at_the_same_moment_does_nothing(cast, django_capture_on_commit_callbacks):
    start = L - 10 * DAY
    tickets = _awaiting_requests(cast, since=lambda priority: start)
    now = start + 4 * DAY + timedelta(minutes=1)

    def sweep():
        with django_capture_on_commit_callbacks(execute=True):  # the emails' delivery, as after a real commit
            return automation.sweep(now=now).as_dict()

    assert sweep() == {"reminded": COUNT, "solved": 0, "failed": 0}
    before = {
        "tickets": list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk").values()),
        "events": TicketEvent.objects.count(),
        "replies": Reply.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "received": len(mail.outbox),
    }
    assert before["received"] == COUNT * len(FOLLOWERS)

    assert sweep() == {"reminded": 0, "solved": 0, "failed": 0}

    assert {
        "tickets": list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk").values()),
        "events": TicketEvent.objects.count(),
        "replies": Reply.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "received": len(mail.outbox),
    } == before


# --- The outbox ------------------------------------------------------------------------------------------

delivered: list[tuple[str, str]] = []
_delivered_lock = threading.Lock()


class SlowCountingBackend(BaseEmailBackend):
    """Records (thread, Message-ID) of every message, taking a little while over each, as SMTP does: two
    deliveries running at once really overlap."""

    def send_messages(self, messages):
        for message in messages:
            time.sleep(0.02)
            with _delivered_lock:
                delivered.append((threading.current_thread().name, message.extra_headers["Message-ID"]))
        return len(messages)


@concurrent
def test_two_deliveries_at_once_send_each_waiting_email_exactly_once(on_postgres, cast, settings):
    with celery_broker("memory://"):  # queued for a worker that never comes
        for number in range(10):
            ticket = TicketFactory(requester=cast.requester, ccs=[cast.colleague], subject=f"Outbox request {number}")
            actions.reply(ticket=ticket, author=cast.agent, body=f"Answer {number}")
    waiting = set(OutboundEmail.objects.filter(sent_at__isnull=True).values_list("message_id", flat=True))
    assert len(waiting) == 20 and mail.outbox == []
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SlowCountingBackend"}}
    delivered.clear()
    now = timezone.now() + timedelta(seconds=1)

    results = _at_once(lambda: outbox.deliver_due(now=now), lambda: outbox.deliver_due(now=now))

    assert sum(results) == 20
    assert Counter(message_id for _, message_id in delivered) == Counter(waiting)
    rows = OutboundEmail.objects.all()
    assert {(row.sent_at, row.attempts, row.last_error) for row in rows} == {(now, 1, "")}
    assert outbox.deliver_due(now=now + DAY) == 0 and len(delivered) == 20
