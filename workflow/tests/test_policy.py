"""The priority policy: the seeded service targets, and how opening a request reads them.

The policy lives in the database (a site admin edits it), so a change applies to requests opened afterwards
and leaves the due times of earlier ones as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tickets.models import Ticket
from workflow import actions
from workflow.models import Priority, PriorityPolicy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)

# Issue #3: (first response, reminder every, reminders, auto-solve after the last reminder).
SEEDED = [
    ("S1", 1 * HOUR, 1 * DAY, 3, 1 * DAY),
    ("S2", 4 * HOUR, 2 * DAY, 2, 2 * DAY),
    ("S3", 1 * DAY, 3 * DAY, 2, 3 * DAY),
    ("S4", 2 * DAY, 4 * DAY, 1, 3 * DAY),
]


def _open(cast, priority: str) -> Ticket:
    return actions.open_request(requester=cast.requester, subject="Exports fail", body="They fail.", priority=priority)


@pytest.mark.django_db
def test_the_migrations_seed_exactly_the_four_policies_of_the_issue():
    rows = PriorityPolicy.objects.order_by("priority").values_list(
        "priority", "first_response", "reminder_every", "reminders", "auto_solve_after"
    )
    assert list(rows) == SEEDED


@pytest.mark.django_db
def test_there_is_a_policy_for_every_priority():
    assert sorted(PriorityPolicy.objects.values_list("priority", flat=True)) == sorted(Priority.values)


@pytest.mark.parametrize(("priority", "first_response"), [(row[0], row[1]) for row in SEEDED])
def test_opening_a_request_sets_its_first_response_due_time_from_its_priority(cast, priority, first_response):
    with time_machine.travel(T0, tick=False):
        ticket = _open(cast, priority)

    row = Ticket.objects.get(pk=ticket.pk)
    assert row.created_at == T0
    assert row.first_response_due_at == T0 + first_response
    assert row.first_responded_at is None


def test_a_policy_change_applies_to_requests_opened_afterwards_only(cast):
    with time_machine.travel(T0, tick=False) as traveller:
        before = _open(cast, "S2")
        # The site admin gives S2 a longer first-response target.
        PriorityPolicy.objects.filter(priority="S2").update(first_response=8 * HOUR)
        traveller.shift(10 * HOUR)
        after = _open(cast, "S2")
        other = _open(cast, "S1")

    assert Ticket.objects.get(pk=before.pk).first_response_due_at == T0 + 4 * HOUR
    assert Ticket.objects.get(pk=after.pk).first_response_due_at == T0 + 10 * HOUR + 8 * HOUR
    assert Ticket.objects.get(pk=other.pk).first_response_due_at == T0 + 10 * HOUR + 1 * HOUR


def test_a_site_admins_edit_in_the_admin_applies_to_requests_opened_afterwards(cast, client):
    policy = PriorityPolicy.objects.get(priority="S3")
    client.force_login(cast.admin)

    response = client.post(
        reverse("admin:workflow_prioritypolicy_change", args=[policy.pk]),
        {
            "first_response": "12:00:00",
            "reminder_every": "3 00:00:00",
            "reminders": "2",
            "auto_solve_after": "3 00:00:00",
        },
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response == 12 * HOUR
    with time_machine.travel(T0, tick=False):
        ticket = _open(cast, "S3")
    assert ticket.first_response_due_at == T0 + 12 * HOUR
