"""`workflow.actions.change_status`, `mark_solved` and the reopen by reply, driven for every (from, to) pair.

Allowed moves change the status, record exactly one STATUS event and bump the version once; refused moves
raise `ActionRefused` with a message and leave the row and its log exactly as they were.
"""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions
from workflow.models import Status

OPEN, AWAITING, ON_HOLD, SOLVED = Status.OPEN, Status.AWAITING_REPLY, Status.ON_HOLD, Status.SOLVED

# Who may move a request from which status to which, as issue #3 states it (from, to).
EVERY_MOVE = {(source, target) for source, target in itertools.product(Status, Status) if source != target}
CUSTOMER_REPLY_MOVES = {(AWAITING, OPEN), (ON_HOLD, OPEN), (SOLVED, OPEN)}
MOVES = {
    "agent": EVERY_MOVE,
    "requester": CUSTOMER_REPLY_MOVES | {(OPEN, SOLVED), (AWAITING, SOLVED), (ON_HOLD, SOLVED)},
    "cc": CUSTOMER_REPLY_MOVES,
    "org viewer": CUSTOMER_REPLY_MOVES,
    "automation": {(AWAITING, SOLVED)},
}
PERSONA = {"agent": "agent", "requester": "requester", "cc": "colleague", "org viewer": "contact"}
REASONS = {"agent": "Confirmed with the customer.", "automation": "No reply after the last reminder."}


def _case(who: str, source: Status, target: Status):
    return pytest.param(who, source, target, id=f"{who}-{source.value}-to-{target.value}")


ALLOWED = [_case(who, s, t) for who in MOVES for s, t in itertools.product(Status, Status) if (s, t) in MOVES[who]]
REFUSED = [_case(who, s, t) for who in MOVES for s, t in itertools.product(Status, Status) if (s, t) not in MOVES[who]]


def _put(ticket: Ticket, status: Status) -> Ticket:
    """Test set-up: place the request in `status` directly, as if it had got there earlier."""
    ticket.status = status
    ticket.solved_at = timezone.now() if status == SOLVED else None
    ticket.save()
    return ticket


def _row(ticket: Ticket) -> dict:
    return Ticket.objects.filter(pk=ticket.pk).values("status", "version", "solved_at", "last_activity_at").get()


def _log(ticket: Ticket) -> list[tuple]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", "kind", "from_value", "to_value"))


def _change(cast, who: str, ticket: Ticket, target: Status, **extra) -> Ticket:
    if who == "automation":
        return actions.change_status(
            ticket=ticket, to=target, actor=None, automation="auto-solve", reason=REASONS[who], **extra
        )
    return actions.change_status(
        ticket=ticket, to=target, actor=getattr(cast, PERSONA[who]), reason=REASONS.get(who, ""), **extra
    )


def test_the_cases_cover_every_pair_for_every_actor():
    assert len(ALLOWED) + len(REFUSED) == len(MOVES) * 16
    assert len(ALLOWED) == 12 + 6 + 3 + 3 + 1


@pytest.mark.parametrize(("who", "source", "target"), ALLOWED)
def test_it_applies_an_allowed_move_and_records_it_once(cast, who, source, target):
    ticket = _put(cast.ticket, source)
    before = _row(ticket)
    earlier = [pk for pk, *_ in _log(ticket)]

    returned = _change(cast, who, ticket, target)

    row = Ticket.objects.get(pk=ticket.pk)
    assert row.status == target
    assert row.version == before["version"] + 1
    new = list(TicketEvent.objects.filter(ticket=ticket).exclude(pk__in=earlier))
    assert len(new) == 1
    event = new[0]
    assert event.kind == EventKind.STATUS
    assert (event.from_value, event.to_value) == (source, target)
    assert event.reason == REASONS.get(who, "")
    if who == "automation":
        assert (event.actor, event.automation) == (None, "auto-solve")
    else:
        assert (event.actor, event.automation) == (getattr(cast, PERSONA[who]), "")
    if target == SOLVED:
        assert row.solved_at == event.created_at
    else:
        assert row.solved_at is None
    assert (returned.status, returned.version) == (target, row.version)


@pytest.mark.parametrize(("who", "source", "target"), REFUSED)
def test_it_refuses_a_move_the_status_machine_forbids_and_changes_nothing(cast, who, source, target):
    ticket = _put(cast.ticket, source)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused) as refusal:
        _change(cast, who, ticket, target)

    assert str(target.label) in str(refusal.value)
    assert _row(ticket) == before
    assert _log(ticket) == log


@pytest.mark.parametrize("reason", ["", "   \n"])
@pytest.mark.parametrize("source", [OPEN, AWAITING, ON_HOLD])
def test_it_refuses_an_agent_solving_a_request_without_a_reason(cast, source, reason):
    ticket = _put(cast.ticket, source)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.change_status(ticket=ticket, to=SOLVED, actor=cast.agent, reason=reason)

    assert "Solved" in str(refusal.value)
    assert _row(ticket) == before
    assert _log(ticket) == log


def test_it_refuses_an_automated_change_that_does_not_name_its_automation(cast):
    ticket = _put(cast.ticket, AWAITING)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.change_status(ticket=ticket, to=SOLVED, actor=None, reason="No reply.", automation="")

    assert str(refusal.value).strip()
    assert _row(ticket) == before
    assert _log(ticket) == log


@pytest.mark.parametrize("who", ["bystander", "outsider"])
def test_it_refuses_a_reopen_by_a_customer_who_cannot_see_the_request(cast, who):
    ticket = _put(cast.ticket, SOLVED)
    assert not Ticket.objects.visible_to(getattr(cast, who)).filter(pk=ticket.pk).exists()
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused):
        actions.change_status(ticket=ticket, to=OPEN, actor=getattr(cast, who))

    assert _row(ticket) == before
    assert _log(ticket) == log


# --- mark_solved ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [OPEN, AWAITING, ON_HOLD])
def test_the_requester_can_mark_their_request_solved(cast, source):
    ticket = _put(cast.ticket, source)
    version = ticket.version

    actions.mark_solved(ticket=ticket, requester=cast.requester)

    row = Ticket.objects.get(pk=ticket.pk)
    assert row.status == SOLVED
    assert row.solved_at is not None
    assert row.version == version + 1
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS)
    assert (event.actor, event.from_value, event.to_value) == (cast.requester, source, SOLVED)


def test_it_refuses_the_requester_marking_an_already_solved_request_solved(cast):
    ticket = _put(cast.ticket, SOLVED)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.mark_solved(ticket=ticket, requester=cast.requester)

    assert str(refusal.value).strip()
    assert _row(ticket) == before
    assert _log(ticket) == log


@pytest.mark.parametrize("who", ["colleague", "contact", "agent"])
@pytest.mark.parametrize("source", [OPEN, AWAITING, ON_HOLD])
def test_it_refuses_marking_solved_by_anyone_but_the_requester(cast, source, who):
    ticket = _put(cast.ticket, source)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.mark_solved(ticket=ticket, requester=getattr(cast, who))

    assert str(refusal.value).strip()
    assert _row(ticket) == before
    assert _log(ticket) == log


# --- The reopen by reply ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["requester", "colleague"])
def test_a_customer_reply_reopens_a_solved_request_as_one_recorded_change(cast, who):
    ticket = _put(cast.ticket, SOLVED)
    author = getattr(cast, who)
    version = ticket.version
    replies = ticket.replies.count()

    message = actions.reply(ticket=ticket, author=author, body="It broke again this morning.")

    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.solved_at) == (OPEN, None)
    assert row.version == version + 1
    assert ticket.replies.count() == replies + 1
    assert (message.is_public, message.author, message.body) == (True, author, "It broke again this morning.")
    events = list(TicketEvent.objects.filter(ticket=ticket))
    assert [(e.kind, e.actor, e.from_value, e.to_value) for e in events] == [(EventKind.STATUS, author, SOLVED, OPEN)]
    assert events[0].reason.strip()
    assert row.last_activity_at == message.created_at


@pytest.mark.parametrize("who", ["requester", "colleague"])
def test_a_customer_reply_on_an_open_request_bumps_the_version_once(cast, who):
    ticket = _put(cast.ticket, OPEN)
    version = ticket.version

    actions.reply(ticket=ticket, author=getattr(cast, who), body="Some more detail.")

    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (OPEN, version + 1)


@pytest.mark.parametrize("who", ["bystander", "outsider"])
def test_it_refuses_a_reply_from_a_customer_who_cannot_see_the_request(cast, who):
    ticket = _put(cast.ticket, SOLVED)
    before, log = _row(ticket), _log(ticket)
    replies = list(Reply.objects.filter(ticket=ticket).values_list("pk", flat=True))

    with pytest.raises(actions.ActionRefused):
        actions.reply(ticket=ticket, author=getattr(cast, who), body="Reopen this, please.")

    assert _row(ticket) == before
    assert _log(ticket) == log
    assert list(Reply.objects.filter(ticket=ticket).values_list("pk", flat=True)) == replies


# --- expected_version -------------------------------------------------------------------------------------


def test_it_refuses_a_status_change_made_on_a_stale_version_and_changes_nothing(cast):
    ticket = cast.ticket
    seen = ticket.version
    actions.change_status(ticket=Ticket.objects.get(pk=ticket.pk), to=AWAITING, actor=cast.agent)
    before, log = _row(ticket), _log(ticket)

    with pytest.raises(actions.StaleRequest) as refusal:
        actions.change_status(ticket=ticket, to=ON_HOLD, actor=cast.admin, reason="x", expected_version=seen)

    assert str(refusal.value).strip()
    assert _row(ticket) == before
    assert (before["status"], before["version"]) == (AWAITING, seen + 1)
    assert _log(ticket) == log


def test_it_applies_a_status_change_made_on_the_current_version(cast):
    ticket = cast.ticket
    actions.change_status(ticket=ticket, to=ON_HOLD, actor=cast.agent, expected_version=ticket.version)

    assert _row(ticket)["status"] == ON_HOLD


def test_it_refuses_a_reply_made_on_a_stale_version_and_changes_nothing(cast):
    ticket = cast.ticket
    seen = ticket.version
    actions.internal_note(ticket=Ticket.objects.get(pk=ticket.pk), author=cast.agent, body="Looking into it.")
    before, log = _row(ticket), _log(ticket)
    replies = list(Reply.objects.filter(ticket=ticket).values_list("pk", flat=True))

    with pytest.raises(actions.StaleRequest):
        actions.reply(ticket=ticket, author=cast.agent, body="Fixed.", expected_version=seen)

    assert _row(ticket) == before
    assert _log(ticket) == log
    assert list(Reply.objects.filter(ticket=ticket).values_list("pk", flat=True)) == replies
