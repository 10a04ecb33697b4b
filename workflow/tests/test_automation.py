"""Reminders and auto-solve (SPEC §7, issue #5 points 4, 5, 7), walked through each priority's schedule with a
controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from portal.tests.factories import TicketFactory
from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions, automation, outbox
from workflow.models import OutboundEmail, Priority, PriorityPolicy, Status

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def await_reply(cast, ticket: Ticket, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        actions.change_status(ticket=ticket, to=Status.AWAITING_REPLY, actor=cast.agent, reason="Asked for logs")


@pytest.mark.parametrize("priority", list(Priority))
def test_each_priority_walks_its_schedule_hour_by_hour(cast, priority):
    policy = PriorityPolicy.objects.get(priority=priority)
    ticket = TicketFactory(requester=cast.requester, priority=priority, created_at=START)
    await_reply(cast, ticket, START)

    reminded_at, solved_at = [], None
    now = START
    while now < START + timedelta(days=30) and solved_at is None:
        now += timedelta(hours=1)
        result = automation.sweep(now=now)
        reminded_at += [now] * result.reminded
        if result.solved:
            solved_at = now

    expected = [START + policy.reminder_every * n for n in range(1, policy.reminders + 1)]
    assert reminded_at == expected
    assert solved_at == expected[-1] + policy.auto_solve_after
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.reminders_sent == policy.reminders
    solve = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS, to_value=Status.SOLVED)
    assert (solve.actor, solve.automation, solve.from_value) == (None, actions.AUTO_SOLVE, Status.AWAITING_REPLY)
    note = Reply.objects.get(ticket=ticket, author=None)
    assert note.is_public and "reply" in note.body and "reopens" in note.body
    kinds = list(OutboundEmail.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["awaiting"] + ["reminder"] * policy.reminders + ["auto_solved"]


def test_seeded_schedule_for_s1_in_days(cast):
    # S1: a reminder every day, three of them, solved a day after the last one: day 1, 2, 3, solved day 4.
    ticket = TicketFactory(requester=cast.requester, priority=Priority.S1)
    await_reply(cast, ticket, START)
    days = {day: automation.sweep(now=START + timedelta(days=day)) for day in range(1, 6)}
    assert [days[day].reminded for day in range(1, 6)] == [1, 1, 1, 0, 0]
    assert [days[day].solved for day in range(1, 6)] == [0, 0, 0, 1, 0]


def test_a_reply_from_the_requester_resets_the_cycle(cast):
    ticket = TicketFactory(requester=cast.requester, priority=Priority.S2)  # every 2 days, 2 reminders, +2 days
    await_reply(cast, ticket, START)
    assert automation.sweep(now=START + timedelta(days=2)).reminded == 1
    with time_machine.travel(START + timedelta(days=3), tick=False):
        actions.reply(ticket=ticket, author=cast.requester, body="Here are the logs")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.awaiting_since, ticket.next_automation_at) == (Status.OPEN, None, None)
    assert automation.sweep(now=START + timedelta(days=30)).as_dict() == {"reminded": 0, "solved": 0, "failed": 0}
    await_reply(cast, ticket, START + timedelta(days=4))
    assert automation.sweep(now=START + timedelta(days=5)).reminded == 0  # the new cycle starts from day 4
    assert automation.sweep(now=START + timedelta(days=6)).reminded == 1
    ticket.refresh_from_db()
    assert ticket.reminders_sent == 1


def test_reclassifying_while_awaiting_follows_the_new_policy(cast):
    ticket = TicketFactory(requester=cast.requester, priority=Priority.S4)  # every 4 days
    await_reply(cast, ticket, START)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        actions.reclassify(ticket=ticket, to=Priority.S1, actor=cast.agent, reason="Now production is down")
    assert automation.sweep(now=START + timedelta(hours=3)).reminded == 0
    assert automation.sweep(now=START + timedelta(days=1)).reminded == 1  # S1: after a day


def test_the_sweep_is_idempotent(cast):
    ticket = TicketFactory(requester=cast.requester, priority=Priority.S4)
    await_reply(cast, ticket, START)
    due = START + timedelta(days=4)
    assert automation.sweep(now=due).reminded == 1
    assert automation.sweep(now=due).as_dict() == {"reminded": 0, "solved": 0, "failed": 0}
    solve_at = due + timedelta(days=3)
    assert automation.sweep(now=solve_at).solved == 1
    assert automation.sweep(now=solve_at).solved == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REMINDER).count() == 1
    assert Reply.objects.filter(ticket=ticket, author=None).count() == 1


def test_requests_in_other_statuses_are_left_alone(cast):
    for status in [Status.OPEN, Status.ON_HOLD, Status.SOLVED]:
        TicketFactory(requester=cast.requester, status=status, next_automation_at=START)
    assert automation.sweep(now=START + timedelta(days=60)).as_dict() == {"reminded": 0, "solved": 0, "failed": 0}


def test_a_missing_policy_is_logged_and_the_sweep_goes_on(cast, caplog):
    broken = TicketFactory(requester=cast.requester, priority=Priority.S2)
    fine = TicketFactory(requester=cast.requester, priority=Priority.S3)
    await_reply(cast, broken, START)
    await_reply(cast, fine, START)
    PriorityPolicy.objects.filter(priority=Priority.S2).delete()
    result = automation.sweep(now=START + timedelta(days=3))
    assert (result.reminded, result.failed) == (1, 1)
    assert f"request #{broken.pk} could not be processed" in caplog.text
    broken.refresh_from_db()
    assert (broken.status, broken.reminders_sent) == (Status.AWAITING_REPLY, 0)  # nothing half-done


def test_a_reminder_reaches_the_requester_and_ccs(cast, django_capture_on_commit_callbacks):
    await_reply(cast, cast.ticket, START)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        automation.sweep(now=START + timedelta(days=3))
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "colleague@northwind.example",
        "requester@northwind.example",
    ]
    assert all(message.subject.startswith(f"[#{cast.ticket.pk}] Reminder") for message in mail.outbox)
    assert all(message.extra_headers["Auto-Submitted"] == "auto-generated" for message in mail.outbox)


def test_the_command_runs_one_sweep_and_delivers(cast):
    with time_machine.travel(START, tick=False):
        actions.change_status(ticket=cast.ticket, to=Status.AWAITING_REPLY, actor=cast.agent)
    out = StringIO()
    with time_machine.travel(START + timedelta(days=3, minutes=1), tick=False):
        call_command("sweep_awaiting", stdout=out)
    assert "Reminded 1, solved 0, failed 0" in out.getvalue()
    assert OutboundEmail.objects.filter(kind="reminder", sent_at__isnull=False).count() == 2
    assert outbox.deliver_due() == 0
