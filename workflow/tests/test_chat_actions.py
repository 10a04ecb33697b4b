"""`workflow.chat` (SPEC §9, issue #8): starting, taking, writing in, ending and disconnecting chats.

A chat is part of its request: starting one about a request that is not Open sets it Open through the workflow
(with its status event), a chat without a request opens one of channel chat, every message is a row the moment
it is sent, and only the chat's customer and the agent answering it write in it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.celery import app as celery_app
from portal.tests.factories import StaffFactory, TicketFactory
from tickets.models import Channel, Chat, ChatMessage, EventKind, Reply, Ticket, TicketEvent
from workflow import actions
from workflow import chat as chats
from workflow.actions import ActionRefused
from workflow.models import Status
from workflow.tasks import disconnect_idle_chats

# A fixed "now" for the disconnect sweep, which takes the time as an argument.
NOW = timezone.now()
SCRIPT = '<script>alert("chat")</script><img src=x onerror="alert(1)"> & "quotes"'


@pytest.fixture
def backup(cast):
    """A second agent, who may take a chat over."""
    return StaffFactory(email="backup@support.example", full_name="Bo Backup")


@pytest.fixture
def running(cast):
    """The requester's chat about the cast's request, answered by the agent."""
    chat = chats.start_chat(customer=cast.requester, first_message="Tiles are blank again.", ticket=cast.ticket)
    return chats.take_chat(chat=chat, agent=cast.agent)


def _transcript(chat: Chat) -> list[tuple]:
    return list(ChatMessage.objects.filter(chat=chat).order_by("pk").values_list("author_id", "body"))


def _status_events(ticket: Ticket) -> list[tuple]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).values_list(
            "actor_id", "from_value", "to_value", "reason"
        )
    )


def _counts() -> tuple[int, int, int, int]:
    return Ticket.objects.count(), Chat.objects.count(), ChatMessage.objects.count(), TicketEvent.objects.count()


# --- Starting ---------------------------------------------------------------------------------------------


def test_a_chat_without_a_request_opens_an_open_chat_request_with_the_first_line_as_subject(cast):
    before = timezone.now()

    chat = chats.start_chat(
        customer=cast.requester, first_message="  Printer is offline\nSince this morning it prints nothing.  "
    )

    ticket = Ticket.objects.get(pk=chat.ticket_id)
    assert ticket.pk not in {cast.ticket.pk, cast.other_ticket.pk}
    assert (ticket.channel, ticket.status, ticket.subject) == (Channel.CHAT, Status.OPEN, "Printer is offline")
    assert (ticket.requester, ticket.organisation) == (cast.requester, cast.org)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "actor_id")) == [
        (EventKind.CREATED, cast.requester.pk)
    ]
    chat.refresh_from_db()
    assert (chat.customer, chat.agent, chat.state, chat.taken_at, chat.ended_at) == (
        cast.requester,
        None,
        Chat.State.WAITING,
        None,
        None,
    )
    assert before <= chat.started_at <= timezone.now()
    assert _transcript(chat) == [(cast.requester.pk, "Printer is offline\nSince this morning it prints nothing.")]


def test_a_long_first_line_is_cut_to_a_150_character_subject(cast):
    chat = chats.start_chat(customer=cast.requester, first_message="x" * 200 + "\nmore")

    assert Ticket.objects.get(pk=chat.ticket_id).subject == "x" * 150
    assert _transcript(chat) == [(cast.requester.pk, "x" * 200 + "\nmore")]


def test_a_chat_about_a_solved_request_reopens_it_with_a_status_event(cast):
    solved = TicketFactory(requester=cast.requester, status=Status.SOLVED, solved_at=timezone.now())
    version = solved.version

    chat = chats.start_chat(customer=cast.requester, first_message="It broke again.", ticket=solved)

    solved.refresh_from_db()
    assert (solved.status, solved.solved_at, solved.version) == (Status.OPEN, None, version + 1)
    assert _status_events(solved) == [(cast.requester.pk, Status.SOLVED, Status.OPEN, "A chat was started.")]
    assert (chat.ticket_id, chat.state) == (solved.pk, Chat.State.WAITING)
    assert _transcript(chat) == [(cast.requester.pk, "It broke again.")]
    assert solved.channel == Channel.WEB  # a chat about a request does not make it a chat request


def test_a_ccd_colleagues_chat_about_a_request_awaiting_reply_hands_it_back_to_support(cast):
    cast.ticket.status = Status.AWAITING_REPLY
    cast.ticket.save(update_fields=["status"])

    chats.start_chat(customer=cast.colleague, first_message="Here is the log you asked for.", ticket=cast.ticket)

    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.OPEN
    assert _status_events(cast.ticket) == [
        (cast.colleague.pk, Status.AWAITING_REPLY, Status.OPEN, "A chat was started.")
    ]


def test_a_chat_about_an_open_request_records_no_status_change(cast):
    version = cast.ticket.version

    chats.start_chat(customer=cast.requester, first_message="Quick question.", ticket=cast.ticket)

    cast.ticket.refresh_from_db()
    assert (cast.ticket.status, cast.ticket.version) == (Status.OPEN, version)
    assert _status_events(cast.ticket) == []


def test_a_second_running_chat_about_a_request_is_refused_and_its_reopen_is_rolled_back(cast, running):
    actions.change_status(ticket=cast.ticket, to=Status.SOLVED, actor=cast.agent, reason="Cache node replaced.")
    cast.ticket.refresh_from_db()
    version, before = cast.ticket.version, _counts()

    with pytest.raises(ActionRefused, match="already running"):
        chats.start_chat(customer=cast.requester, first_message="Still broken?", ticket=cast.ticket)

    assert _counts() == before
    fresh = Ticket.objects.get(pk=cast.ticket.pk)
    assert (fresh.status, fresh.version) == (Status.SOLVED, version)


def test_another_customer_may_chat_about_a_request_while_the_requester_does(cast, running):
    second = chats.start_chat(customer=cast.colleague, first_message="Me too.", ticket=cast.ticket)

    assert second.pk != running.pk
    assert list(
        Chat.objects.filter(ticket=cast.ticket, state=Chat.State.WAITING).values_list("customer", flat=True)
    ) == [cast.colleague.pk]


@pytest.mark.parametrize("about", [True, False])
def test_agents_do_not_start_chats(cast, about):
    before = _counts()

    with pytest.raises(ActionRefused):
        chats.start_chat(customer=cast.agent, first_message="Hello", ticket=cast.ticket if about else None)

    assert _counts() == before


@pytest.mark.parametrize("persona", ["bystander", "outsider"])
def test_a_customer_who_cannot_see_a_request_cannot_chat_about_it_or_reopen_it(cast, persona):
    solved = TicketFactory(requester=cast.requester, status=Status.SOLVED, solved_at=timezone.now())
    before = _counts()

    with pytest.raises(ActionRefused, match="cannot see"):
        chats.start_chat(customer=getattr(cast, persona), first_message="Let me in", ticket=solved)

    assert _counts() == before
    assert Ticket.objects.get(pk=solved.pk).status == Status.SOLVED


@pytest.mark.parametrize("message", ["", "   \n\t ", "x" * 4001, "x" * 100_000])
@pytest.mark.parametrize("about", [True, False])
def test_an_empty_or_oversized_first_message_is_refused_and_nothing_is_stored(cast, message, about):
    cast.ticket.status = Status.SOLVED
    cast.ticket.save(update_fields=["status"])
    before = _counts()

    with pytest.raises(ActionRefused, match="Write a message first|at most 4000 characters"):
        chats.start_chat(customer=cast.requester, first_message=message, ticket=cast.ticket if about else None)

    assert _counts() == before
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED


# --- Taking -----------------------------------------------------------------------------------------------


def test_an_agent_takes_a_waiting_chat_and_it_becomes_active(cast):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)
    before = timezone.now()

    chats.take_chat(chat=chat, agent=cast.agent)

    chat.refresh_from_db()
    assert (chat.state, chat.agent) == (Chat.State.ACTIVE, cast.agent)
    assert before <= chat.taken_at <= timezone.now()


def test_an_answered_chat_is_taken_over_only_explicitly_and_then_only_the_new_agent_writes(cast, running, backup):
    taken_at = Chat.objects.get(pk=running.pk).taken_at

    with pytest.raises(ActionRefused, match="take it over explicitly"):
        chats.take_chat(chat=running, agent=backup)
    assert Chat.objects.get(pk=running.pk).agent == cast.agent
    with pytest.raises(ActionRefused, match="Only the customer and the agent"):
        chats.post(chat=running, author=backup, body="I can help.")

    chats.take_chat(chat=running, agent=backup, take_over=True)

    chat = Chat.objects.get(pk=running.pk)
    assert (chat.agent, chat.state, chat.taken_at) == (backup, Chat.State.ACTIVE, taken_at)
    with pytest.raises(ActionRefused, match="Only the customer and the agent"):
        chats.post(chat=running, author=cast.agent, body="Still here.")
    chats.post(chat=running, author=backup, body="Bo here, I'll take it from now.")
    assert _transcript(running) == [
        (cast.requester.pk, "Tiles are blank again."),
        (backup.pk, "Bo here, I'll take it from now."),
    ]


def test_taking_a_chat_you_already_answer_is_refused(cast, running):
    with pytest.raises(ActionRefused, match="already answer"):
        chats.take_chat(chat=running, agent=cast.agent, take_over=True)


@pytest.mark.parametrize("who", ["requester", "colleague", "inactive agent"])
def test_only_active_agents_take_chats(cast, who):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)
    person = StaffFactory(is_active=False) if who == "inactive agent" else getattr(cast, who)

    with pytest.raises(ActionRefused, match="Only agents take chats"):
        chats.take_chat(chat=chat, agent=person, take_over=True)

    chat.refresh_from_db()
    assert (chat.state, chat.agent) == (Chat.State.WAITING, None)


@pytest.mark.parametrize("state", [Chat.State.ENDED, Chat.State.DISCONNECTED])
def test_a_chat_that_is_over_cannot_be_taken(cast, state):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)
    Chat.objects.filter(pk=chat.pk).update(state=state)

    with pytest.raises(ActionRefused, match="has ended"):
        chats.take_chat(chat=chat, agent=cast.agent)

    assert Chat.objects.get(pk=chat.pk).agent is None


# --- Writing ----------------------------------------------------------------------------------------------


def test_every_message_is_a_row_with_author_and_time_as_soon_as_it_is_sent(cast, running):
    first_at = timezone.now()
    from_customer = chats.post(chat=running, author=cast.requester, body="  Any idea why?  ")
    stored = ChatMessage.objects.get(pk=from_customer.pk)
    assert (stored.chat_id, stored.author, stored.body) == (running.pk, cast.requester, "Any idea why?")
    assert first_at <= stored.created_at <= timezone.now()

    second_at = timezone.now()
    from_agent = chats.post(chat=running, author=cast.agent, body="A cache node is down.")
    stored = ChatMessage.objects.get(pk=from_agent.pk)
    assert (stored.author, stored.body) == (cast.agent, "A cache node is down.")
    assert second_at <= stored.created_at <= timezone.now()

    assert Chat.objects.get(pk=running.pk).state == Chat.State.ACTIVE  # stored while the chat still runs
    assert _transcript(running) == [
        (cast.requester.pk, "Tiles are blank again."),
        (cast.requester.pk, "Any idea why?"),
        (cast.agent.pk, "A cache node is down."),
    ]


def test_a_customer_message_marks_them_present_and_every_message_bumps_the_requests_activity(cast, running):
    Chat.objects.filter(pk=running.pk).update(customer_seen_at=timezone.now() - timedelta(minutes=1))
    from_customer = chats.post(chat=running, author=cast.requester, body="Hello?")
    assert Chat.objects.get(pk=running.pk).customer_seen_at == from_customer.created_at
    assert Ticket.objects.get(pk=cast.ticket.pk).last_activity_at == from_customer.created_at

    from_agent = chats.post(chat=running, author=cast.agent, body="Hi!")
    assert Chat.objects.get(pk=running.pk).customer_seen_at == from_customer.created_at
    assert Ticket.objects.get(pk=cast.ticket.pk).last_activity_at == from_agent.created_at


def test_a_waiting_chat_takes_messages_from_its_customer_only(cast):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)

    chats.post(chat=chat, author=cast.requester, body="Anyone there?")
    with pytest.raises(ActionRefused, match="Only the customer and the agent"):
        chats.post(chat=chat, author=cast.agent, body="Answering without taking it.")

    assert _transcript(chat) == [(cast.requester.pk, "Hello?"), (cast.requester.pk, "Anyone there?")]


@pytest.mark.parametrize("persona", ["colleague", "contact", "admin", "backup"])
def test_people_other_than_the_customer_and_the_answering_agent_cannot_write(cast, running, backup, persona):
    # The CC'd colleague and the contact see the request (and the chat), but the chat is not theirs.
    person = backup if persona == "backup" else getattr(cast, persona)
    before = _transcript(running)

    with pytest.raises(ActionRefused, match="Only the customer and the agent"):
        chats.post(chat=running, author=person, body="Let me add something.")

    assert _transcript(running) == before


@pytest.mark.parametrize("state", [Chat.State.ENDED, Chat.State.DISCONNECTED])
@pytest.mark.parametrize("side", ["requester", "agent"])
def test_nobody_writes_in_a_chat_that_is_over(cast, running, state, side):
    Chat.objects.filter(pk=running.pk).update(state=state, ended_at=timezone.now())

    with pytest.raises(ActionRefused, match="has ended"):
        chats.post(chat=running, author=getattr(cast, side), body="Are you still there?")

    assert _transcript(running) == [(cast.requester.pk, "Tiles are blank again.")]


@pytest.mark.parametrize("body", ["", "  \n  ", "x" * 4001, "x" * 100_000])
def test_empty_and_oversized_messages_are_refused_and_nothing_is_stored(cast, running, body):
    with pytest.raises(ActionRefused, match="Write a message first|at most 4000 characters"):
        chats.post(chat=running, author=cast.requester, body=body)

    assert _transcript(running) == [(cast.requester.pk, "Tiles are blank again.")]


def test_a_message_of_exactly_the_maximum_length_is_stored_whole(cast, running):
    message = chats.post(chat=running, author=cast.requester, body="y" * chats.MAX_MESSAGE)

    assert ChatMessage.objects.get(pk=message.pk).body == "y" * 4000


def test_html_in_a_message_is_stored_as_the_text_that_was_typed(cast, running):
    message = chats.post(chat=running, author=cast.requester, body=SCRIPT)

    assert ChatMessage.objects.get(pk=message.pk).body == SCRIPT


def test_a_customer_who_lost_sight_of_the_request_can_no_longer_write_in_its_chat(cast):
    chat = chats.start_chat(customer=cast.contact, first_message="Seen from the organisation view.", ticket=cast.ticket)
    cast.grant.revoked_at = timezone.now()
    cast.grant.save(update_fields=["revoked_at"])
    assert not Ticket.objects.visible_to(cast.contact).filter(pk=cast.ticket.pk).exists()

    with pytest.raises(ActionRefused):
        chats.post(chat=chat, author=cast.contact, body="Can I still write here?")

    assert _transcript(chat) == [(cast.contact.pk, "Seen from the organisation view.")]


# --- Ending -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["requester", "agent"])
def test_either_side_ends_the_chat_and_its_transcript_stays(cast, running, side):
    chats.post(chat=running, author=cast.agent, body="Fixed, please reload.")
    before = timezone.now()

    chats.end_chat(chat=running, by=getattr(cast, side))

    chat = Chat.objects.get(pk=running.pk)
    assert chat.state == Chat.State.ENDED
    assert before <= chat.ended_at <= timezone.now()
    assert _transcript(running) == [
        (cast.requester.pk, "Tiles are blank again."),
        (cast.agent.pk, "Fixed, please reload."),
    ]


@pytest.mark.parametrize("persona", ["colleague", "contact", "outsider"])
def test_customers_who_are_not_in_the_chat_cannot_end_it(cast, running, persona):
    with pytest.raises(ActionRefused, match="Only the people in the chat"):
        chats.end_chat(chat=running, by=getattr(cast, persona))

    chat = Chat.objects.get(pk=running.pk)
    assert (chat.state, chat.ended_at) == (Chat.State.ACTIVE, None)


def test_ending_a_chat_twice_is_refused_and_keeps_the_first_end(cast, running):
    ended_at = chats.end_chat(chat=running, by=cast.requester).ended_at

    with pytest.raises(ActionRefused, match="already ended"):
        chats.end_chat(chat=running, by=cast.agent)

    chat = Chat.objects.get(pk=running.pk)
    assert (chat.state, chat.ended_at) == (Chat.State.ENDED, ended_at)


# --- Customers who went away ------------------------------------------------------------------------------


def _chat_seen(cast, ago: timedelta, *, state=Chat.State.WAITING) -> Chat:
    ticket = TicketFactory(requester=cast.requester)
    return Chat.objects.create(
        ticket=ticket, customer=cast.requester, state=state, customer_seen_at=NOW - ago, started_at=NOW - ago
    )


def test_chats_whose_customer_is_gone_for_longer_than_disconnect_after_are_disconnected_once(cast):
    gone = _chat_seen(cast, chats.DISCONNECT_AFTER + timedelta(seconds=1))
    gone_active = _chat_seen(cast, timedelta(hours=3), state=Chat.State.ACTIVE)
    just_in_time = _chat_seen(cast, chats.DISCONNECT_AFTER)
    present = _chat_seen(cast, timedelta(seconds=5))
    ended = _chat_seen(cast, timedelta(hours=3), state=Chat.State.ENDED)

    assert chats.disconnect_idle(now=NOW) == 2

    states = dict(Chat.objects.values_list("pk", "state"))
    assert states == {
        gone.pk: Chat.State.DISCONNECTED,
        gone_active.pk: Chat.State.DISCONNECTED,
        just_in_time.pk: Chat.State.WAITING,
        present.pk: Chat.State.WAITING,
        ended.pk: Chat.State.ENDED,
    }
    assert set(Chat.objects.filter(ended_at=NOW).values_list("pk", flat=True)) == {gone.pk, gone_active.pk}

    assert chats.disconnect_idle(now=NOW) == 0
    assert chats.disconnect_idle(now=NOW + timedelta(seconds=1)) == 1  # only just_in_time is now overdue
    assert Chat.objects.get(pk=gone.pk).ended_at == NOW
    assert Chat.objects.get(pk=just_in_time.pk).ended_at == NOW + timedelta(seconds=1)


def test_a_customer_who_is_seen_keeps_their_chat(cast):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)
    Chat.objects.filter(pk=chat.pk).update(customer_seen_at=NOW - timedelta(hours=1))

    chats.seen_by_customer(chat, at=NOW)

    assert chats.disconnect_idle(now=NOW + chats.DISCONNECT_AFTER) == 0
    assert Chat.objects.get(pk=chat.pk).state == Chat.State.WAITING
    assert chats.disconnect_idle(now=NOW + chats.DISCONNECT_AFTER + timedelta(seconds=1)) == 1


def test_being_seen_does_not_touch_a_chat_that_is_over(cast, running):
    chats.end_chat(chat=running, by=cast.requester)
    seen = Chat.objects.get(pk=running.pk).customer_seen_at

    chats.seen_by_customer(running, at=NOW + timedelta(days=1))

    assert Chat.objects.get(pk=running.pk).customer_seen_at == seen


def test_a_customer_who_comes_back_after_a_disconnect_starts_a_new_chat(cast, running):
    Chat.objects.filter(pk=running.pk).update(customer_seen_at=NOW - timedelta(hours=1))
    assert chats.disconnect_idle(now=NOW) == 1
    with pytest.raises(ActionRefused, match="Start a new one"):
        chats.post(chat=running, author=cast.requester, body="Sorry, my train went into a tunnel.")

    again = chats.start_chat(customer=cast.requester, first_message="Sorry, I lost you.", ticket=cast.ticket)

    assert again.pk != running.pk
    assert (again.ticket_id, again.state, again.agent) == (cast.ticket.pk, Chat.State.WAITING, None)
    assert Chat.objects.get(pk=running.pk).state == Chat.State.DISCONNECTED
    assert _transcript(running) == [(cast.requester.pk, "Tiles are blank again.")]
    assert _transcript(again) == [(cast.requester.pk, "Sorry, I lost you.")]


def test_the_beat_runs_the_disconnect_sweep_more_often_than_disconnect_after(cast):
    entry = celery_app.conf.beat_schedule["disconnect-idle-chats"]
    assert entry["task"] == disconnect_idle_chats.name == "workflow.tasks.disconnect_idle_chats"
    assert entry["schedule"] < chats.DISCONNECT_AFTER.total_seconds()
    gone = _chat_seen(cast, timedelta(hours=1))

    assert disconnect_idle_chats() == 1

    assert Chat.objects.get(pk=gone.pk).state == Chat.State.DISCONNECTED


# --- A chat that broke off became two requests: merging them ---------------------------------------------


def _note(target: Ticket) -> Reply:
    return Reply.objects.get(ticket=target, author__is_staff=True)


def test_two_chat_requests_of_one_customer_merge_with_the_chat_text_in_the_note(cast):
    first = chats.start_chat(customer=cast.requester, first_message="Export button does nothing.")
    chats.take_chat(chat=first, agent=cast.agent)
    chats.post(chat=first, author=cast.agent, body="Which browser do you use?")
    Chat.objects.filter(pk=first.pk).update(customer_seen_at=NOW - timedelta(hours=1))
    chats.disconnect_idle(now=NOW)
    second = chats.start_chat(customer=cast.requester, first_message="Back again: Firefox 128, export still dead.")
    assert second.ticket_id != first.ticket_id
    assert Ticket.objects.get(pk=second.ticket_id).channel == Channel.CHAT

    actions.merge(sources=[second.ticket], target=first.ticket, actor=cast.agent)

    source = Ticket.objects.get(pk=second.ticket_id)
    assert (source.status, source.merged_into_id) == (Status.SOLVED, first.ticket_id)
    note = _note(first.ticket).body
    assert f"Request #{source.pk} (Back again: Firefox 128, export still dead.) was merged into this one." in note
    assert "> **Rita Requester (chat):** Back again: Firefox 128, export still dead." in note
    # The target's own chat stays in the target's thread; only the sources' transcripts are copied.
    assert "Which browser do you use?" not in note


def test_a_merge_copies_no_chat_text_to_a_target_followed_by_someone_the_source_was_not(cast):
    source = chats.start_chat(customer=cast.requester, first_message="Secret-ish: our VPN password expired.")
    chats.post(chat=source, author=cast.requester, body="The VPN token is on my desk.")

    actions.merge(sources=[source.ticket], target=cast.ticket, actor=cast.agent)  # the colleague is CC'd on it

    note = _note(cast.ticket).body
    assert f"Request #{source.ticket_id} was merged into this one." in note
    assert "VPN" not in note
