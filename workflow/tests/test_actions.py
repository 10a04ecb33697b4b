"""`workflow.actions`: opening a request and replying, with their events."""

from __future__ import annotations

import pytest

from tickets.models import EventKind, TicketEvent
from workflow import actions
from workflow.models import Status


def test_open_request_starts_open_with_its_description_as_first_reply(cast):
    ticket = actions.open_request(
        requester=cast.requester,
        subject="Exports fail",
        body="Every export fails.",
        priority="S1",
        ccs=[cast.colleague],
    )
    assert ticket.status == Status.OPEN
    assert ticket.organisation == cast.org
    assert ticket.replies.get().body == "Every export fails."
    assert ticket.created_at == ticket.last_activity_at
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.CC]


def test_open_request_refuses_a_cc_from_another_organisation(cast):
    from tickets.models import Ticket

    before = Ticket.objects.count()
    with pytest.raises(actions.ActionRefused):
        actions.open_request(requester=cast.requester, subject="x", body="y", priority="S4", ccs=[cast.outsider])
    assert Ticket.objects.count() == before


def test_agents_cannot_open_requests_for_themselves(cast):
    with pytest.raises(actions.ActionRefused):
        actions.open_request(requester=cast.agent, subject="x", body="y", priority="S4")


@pytest.mark.parametrize("start", [Status.SOLVED, Status.AWAITING_REPLY, Status.ON_HOLD])
def test_customer_reply_sets_open_and_records_it(cast, start):
    cast.ticket.status = start
    cast.ticket.save()
    actions.reply(ticket=cast.ticket, author=cast.colleague, body="Still broken")
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.OPEN
    event = TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.STATUS)
    assert (event.from_value, event.to_value, event.actor) == (start, Status.OPEN, cast.colleague)


def test_customer_reply_on_open_request_records_no_status_change(cast):
    actions.reply(ticket=cast.ticket, author=cast.requester, body="More")
    assert not TicketEvent.objects.filter(ticket=cast.ticket, kind=EventKind.STATUS).exists()


def test_reply_updates_the_callers_instance(cast):
    cast.ticket.status = Status.SOLVED
    cast.ticket.save()
    actions.reply(ticket=cast.ticket, author=cast.requester, body="Back again")
    assert cast.ticket.status == Status.OPEN


@pytest.mark.parametrize(
    "act",
    [
        lambda cast: actions.internal_note(ticket=cast.ticket, author=cast.agent, body="x"),
        lambda cast: actions.reclassify(ticket=cast.ticket, to="S1", actor=cast.agent, reason="x"),
        lambda cast: actions.assign(ticket=cast.ticket, assignee=None, actor=cast.agent),
        lambda cast: actions.merge(sources=[cast.other_ticket], target=cast.ticket, actor=cast.agent),
        lambda cast: actions.change_status(ticket=cast.ticket, to="on_hold", actor=cast.agent),
    ],
    ids=["internal_note", "reclassify", "assign", "merge", "change_status"],
)
def test_a_deactivated_agent_can_do_nothing(cast, act):
    cast.agent.is_active = False
    cast.agent.save()
    version = cast.ticket.version
    with pytest.raises(actions.ActionRefused):
        act(cast)
    cast.ticket.refresh_from_db()
    assert cast.ticket.version == version
