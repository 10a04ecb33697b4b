"""The Celery worker killed in the middle of a sweep (issue #11). A real worker runs the Awaiting-your-reply
sweep over REQUESTS due reminders; this test holds one request's row lock so that the worker is caught between
two requests, with some reminded and the rest not, and kills it there (SIGKILL: no clean-up of any kind). Beat's
next run, on a new worker, finishes the work: every request reminded once, one event each, each follower
emailed once per request, nothing done twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from portal.tests.factories import TicketFactory
from portal.tests.outage._services import require_services_we_may_stop
from tickets.models import EventKind, Ticket, TicketEvent
from workflow import actions
from workflow.models import OutboundEmail, Priority, Status
from workflow.tests._celery_support import (
    REDIS_TEST_URL,
    Worker,
    celery_broker,
    flush_test_redis,
    wait_for,
)

pytestmark = [pytest.mark.outage, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REQUESTS = 24
CAUGHT_AT = 9  # the worker reminds requests 0..8, then waits for request 9's lock
FOLLOWERS = ("requester@northwind.example", "colleague@northwind.example")
SECONDS = 30


def _awaiting_requests(cast) -> list[Ticket]:
    """REQUESTS requests set Awaiting your reply a month ago, a minute apart: the sweep takes them in that order."""
    start = timezone.now() - timedelta(days=30)
    tickets = []
    for number in range(REQUESTS):
        ticket = TicketFactory(
            requester=cast.requester, ccs=[cast.colleague], priority=Priority.S3, subject=f"Sweep request {number}"
        )
        with time_machine.travel(start + timedelta(minutes=number), tick=False):
            actions.change_status(ticket=ticket, to=Status.AWAITING_REPLY, actor=cast.agent, reason="Please check.")
        tickets.append(ticket)
    return tickets


def _reminded() -> int:
    return Ticket.objects.filter(reminders_sent__gte=1).count()


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_sweep_leaves_work_the_next_run_finishes_exactly_once(cast, tmp_path):
    require_services_we_may_stop()
    tickets = _awaiting_requests(cast)
    OutboundEmail.objects.all().delete()  # the "Awaiting your reply" emails, sent in this process; not under test
    flush_test_redis()
    first, second = Worker(tmp_path / "first"), Worker(tmp_path / "second")
    for worker in (first, second):
        worker.mail_dir.parent.mkdir()
    try:
        with celery_broker(REDIS_TEST_URL) as app:
            first.start(app)
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=tickets[CAUGHT_AT].pk)
                app.send_task("workflow.tasks.sweep_awaiting")
                caught = wait_for(lambda: _reminded() == CAUGHT_AT and _waiting_on_a_lock(), seconds=SECONDS)
                assert caught, f"the sweep did not reach request {CAUGHT_AT}: {_reminded()} reminded\n{first.log()}"
                first.process.kill()
                first.process.wait(timeout=10)
            # Its half-done request died with its connection: nothing of it was committed.
            assert wait_for(lambda: not _waiting_on_a_lock(), seconds=SECONDS)
            assert _reminded() == CAUGHT_AT

            second.start(app)
            app.send_task("workflow.tasks.sweep_awaiting")  # what beat sends every five minutes

            def finished() -> bool:
                return _reminded() == REQUESTS and len(second.messages()) >= REQUESTS * len(FOLLOWERS)

            assert wait_for(finished, seconds=SECONDS), f"{_reminded()} reminded\n{second.log()}"
    finally:
        first.stop()
        second.stop()
        print(f"--- first worker ---\n{first.log()}\n--- second worker ---\n{second.log()}")
        flush_test_redis()

    for ticket in tickets:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.status, row.reminders_sent) == (Status.AWAITING_REPLY, 1)
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REMINDER).count() == 1
    assert first.messages() == []  # it was caught in the sweep before it could deliver anything
    received = Counter((message["To"], message["Subject"]) for message in second.messages())
    assert len(received) == REQUESTS * len(FOLLOWERS) and set(received.values()) == {1}, received
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
