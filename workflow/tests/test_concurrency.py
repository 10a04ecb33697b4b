"""Two people changing one request at the same moment, on PostgreSQL with two real connections.

Each attempt runs in its own thread (Django gives each thread its own database connection). A barrier holds
both until each has read the request, so both act on the same version: with `expected_version` exactly one
change lands and the other is told the request changed; without it, both land one after the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from portal.tests.factories import OrganisationFactory, StaffFactory, TicketFactory, UserFactory
from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions
from workflow.models import Priority, Status

pytestmark = [
    pytest.mark.postgres,
    # The data must be committed for the other connections to see it; the seeded policies come back after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Step = Callable[[threading.Barrier], object]


def _at_once(*steps: Step, refusal: type[Exception] = actions.StaleRequest) -> list[tuple[str, object]]:
    """Run each step in its own thread and connection; return ("done", result) or ("refused", error) for each.

    Any other error is raised here, so a failure in a thread fails the test with its own traceback."""
    barrier = threading.Barrier(len(steps), timeout=20)
    outcomes: list[tuple[str, object] | None] = [None] * len(steps)

    def run(index: int, step: Step) -> None:
        try:
            outcomes[index] = ("done", step(barrier))
        except refusal as error:
            outcomes[index] = ("refused", error)
        except BaseException as error:  # handed back to the test thread below
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, step)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a concurrent step never finished"
    for kind, error in outcomes:
        if kind == "error":
            raise error
    return outcomes


@pytest.fixture
def people():
    org = OrganisationFactory(name="Northwind")
    requester = UserFactory(email="requester@northwind.example", organisation=org)
    colleague = UserFactory(email="colleague@northwind.example", organisation=org)
    agent = StaffFactory(email="agent@support.example")
    admin = StaffFactory(email="admin@support.example")
    return requester, colleague, agent, admin


def _read_then_wait(pk: int, seen: list[int], barrier: threading.Barrier) -> Ticket:
    ticket = Ticket.objects.get(pk=pk)
    seen.append(ticket.version)
    barrier.wait()
    return ticket


def test_of_two_status_changes_made_on_the_same_version_exactly_one_lands(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, ccs=[colleague])
    version, seen = ticket.version, []
    targets = [Status.AWAITING_REPLY, Status.ON_HOLD]

    def change_to(target: Status, actor) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.change_status(ticket=mine, to=target, actor=actor, reason="x", expected_version=mine.version)

        return step

    outcomes = _at_once(change_to(targets[0], agent), change_to(targets[1], admin))

    assert seen == [version, version]
    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (winner, version + 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert [(e.from_value, e.to_value) for e in events] == [(Status.OPEN, winner)]


def test_of_two_reclassifications_made_on_the_same_version_exactly_one_lands(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, priority=Priority.S3)
    version, seen = ticket.version, []
    targets = [Priority.S1, Priority.S2]

    def reclassify_to(target: Priority, actor) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.reclassify(
                ticket=mine, to=target, actor=actor, reason="Impact changed.", expected_version=mine.version
            )

        return step

    outcomes = _at_once(reclassify_to(targets[0], agent), reclassify_to(targets[1], admin))

    assert seen == [version, version]
    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.priority, row.version) == (winner, version + 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PRIORITY)
    assert [(e.from_value, e.to_value) for e in events] == [(Priority.S3, winner)]


def test_two_customer_replies_at_the_same_moment_both_land(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, ccs=[colleague], status=Status.AWAITING_REPLY)
    version, seen = ticket.version, []

    def reply_by(author, body: str) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.reply(ticket=mine, author=author, body=body)

        return step

    outcomes = _at_once(reply_by(requester, "Still failing here."), reply_by(colleague, "Same for me."))

    assert seen == [version, version]
    assert [kind for kind, _ in outcomes] == ["done", "done"]
    bodies = set(Reply.objects.filter(ticket=ticket).values_list("body", flat=True))
    assert bodies == {"Still failing here.", "Same for me."}
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (Status.OPEN, version + 2)
    # The first reply hands the request back to support; the second finds it Open already.
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert [(e.from_value, e.to_value) for e in events] == [(Status.AWAITING_REPLY, Status.OPEN)]


def test_two_agents_merging_the_same_request_at_once_merge_it_once(on_postgres, people):
    requester, colleague, agent, admin = people
    source = TicketFactory(requester=requester)
    targets = [TicketFactory(requester=requester), TicketFactory(requester=requester)]
    seen = []

    def merge_into(target: Ticket, actor) -> Step:
        def step(barrier):
            _read_then_wait(source.pk, seen, barrier)
            return actions.merge(sources=[source], target=target, actor=actor)

        return step

    outcomes = _at_once(merge_into(targets[0], agent), merge_into(targets[1], admin), refusal=actions.ActionRefused)

    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    loser = targets[[kind for kind, _ in outcomes].index("refused")]
    row = Ticket.objects.get(pk=source.pk)
    assert (row.merged_into_id, row.status) == (winner.pk, Status.SOLVED)
    assert TicketEvent.objects.filter(ticket=source, kind=EventKind.MERGE).count() == 1
    assert TicketEvent.objects.filter(ticket=source, kind=EventKind.STATUS).count() == 1
    assert not Reply.objects.filter(ticket=loser).exists()
    assert not TicketEvent.objects.filter(ticket=loser).exists()
    assert Ticket.objects.get(pk=loser.pk).version == loser.version
