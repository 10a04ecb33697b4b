"""A request's conversation is kept in the cache (tickets.thread), and every change to it shows on the next view."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Attachment, Chat, Reply, Ticket
from tickets.thread import PEOPLE_VERSION, conversation
from workflow import actions, chat


def page(client_for, person, ticket) -> str:
    """The conversation as the request page shows it (the rest of the page carries a new form token each time)."""
    response = client_for(person).get(reverse("tickets:detail", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<ol class="replies">') : html.index('<h2 id="reply-heading">')]


def reply_queries(client_for, person, ticket) -> int:
    """How many queries of a view of the page read the replies."""
    with CaptureQueriesContext(connection) as captured:
        page(client_for, person, ticket)
    return sum('FROM "tickets_reply"' in query["sql"] for query in captured.captured_queries)


def test_a_second_view_is_served_from_the_cache(cast, client_for):
    first = page(client_for, cast.requester, cast.ticket)
    assert reply_queries(client_for, cast.requester, cast.ticket) == 0
    assert page(client_for, cast.requester, cast.ticket) == first


def test_without_a_cache_every_view_reads_the_conversation(cast, client_for, settings):
    settings.REQUEST_PAGE_CACHE_SECONDS = 0
    page(client_for, cast.requester, cast.ticket)
    assert reply_queries(client_for, cast.requester, cast.ticket) == 1


# Each change: what it needs first (a chat to post in, a request to merge), then the change itself, and what the
# page must show after it, to everyone and to agents only.


def _customer_reply(cast):
    def change():
        actions.reply(ticket=cast.ticket, author=cast.requester, body="A customer writes **again**")
        return ["A customer writes <strong>again</strong>"], []

    return change


def _agent_reply(cast):
    def change():
        actions.reply(ticket=cast.ticket, author=cast.agent, body="An agent answers")
        return ["An agent answers"], []

    return change


def _internal_note(cast):
    def change():
        actions.internal_note(ticket=cast.ticket, author=cast.agent, body="Between agents")
        return [], ["Between agents"]  # agents see it; customers never do

    return change


def _attachment(cast):
    def change():
        upload = SimpleUploadedFile("trace.log", b"a log", content_type="text/plain")
        actions.reply(ticket=cast.ticket, author=cast.requester, body="Log attached", attachments=[upload])
        return ["trace.log"], []

    return change


def _chat_started(cast):
    def change():
        chat.start_chat(customer=cast.requester, first_message="Are you there?", ticket=cast.ticket)
        return ["Are you there?", "Waiting for an agent"], []

    return change


def _chat_taken(cast):
    started = chat.start_chat(customer=cast.requester, first_message="Hello", ticket=cast.ticket)

    def change():
        chat.take_chat(chat=started, agent=cast.agent)
        return ["In progress"], []

    return change


def _chat_message(cast):
    started = chat.start_chat(customer=cast.requester, first_message="Hello", ticket=cast.ticket)
    chat.take_chat(chat=started, agent=cast.agent)

    def change():
        chat.post(chat=started, author=cast.agent, body="Here to help")
        return ["Here to help"], []

    return change


def _chat_ended(cast):
    started = chat.start_chat(customer=cast.requester, first_message="Hello", ticket=cast.ticket)

    def change():
        chat.end_chat(chat=started, by=cast.requester)
        return ["Ended"], []

    return change


def _chat_disconnected(cast):
    started = chat.start_chat(customer=cast.requester, first_message="Hello", ticket=cast.ticket)

    def change():
        chat.disconnect_idle(now=timezone.now() + timedelta(days=1))
        assert Chat.objects.get(pk=started.pk).state == Chat.State.DISCONNECTED
        return ["Disconnected"], []

    return change


def _merged_in(cast):
    source = TicketFactory(requester=cast.requester, subject="The same problem", ccs=[cast.colleague])
    ReplyFactory(ticket=source, author=cast.requester, body="Copied over on the merge")

    def change():
        actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)
        return ["Copied over on the merge"], []

    return change


def _author_renamed(cast):
    def change():
        cast.requester.full_name = "Rita Renamed"
        cast.requester.save()
        return ["Rita Renamed"], []

    return change


def _author_email_changed(cast):
    def change():
        cast.requester.full_name = ""
        cast.requester.email = "rita.new@northwind.example"
        cast.requester.save(update_fields=["full_name", "email"])
        return ["rita.new@northwind.example"], []

    return change


CHANGES = [
    _customer_reply,
    _agent_reply,
    _internal_note,
    _attachment,
    _chat_started,
    _chat_taken,
    _chat_message,
    _chat_ended,
    _chat_disconnected,
    _merged_in,
    _author_renamed,
    _author_email_changed,
]


@pytest.mark.parametrize("prepare", CHANGES, ids=[prepare.__name__.strip("_") for prepare in CHANGES])
def test_every_change_shows_on_the_next_view(cast, client_for, prepare, django_capture_on_commit_callbacks):
    ReplyFactory(ticket=cast.ticket, author=cast.requester, body="The first message")
    change = prepare(cast)
    before = {person: page(client_for, person, cast.ticket) for person in (cast.requester, cast.agent)}
    with django_capture_on_commit_callbacks(execute=True):
        for_everyone, for_agents = change()
    ticket = Ticket.objects.get(pk=cast.ticket.pk)

    for person in (cast.requester, cast.agent):
        now = page(client_for, person, ticket)
        if for_everyone or person.is_staff:
            assert now != before[person]
        for text in for_everyone:
            assert text in now, (person.email, text)
        for text in for_agents:
            assert (text in now) == person.is_staff, (person.email, text)


def test_a_deleted_file_or_message_goes_at_once(cast, client_for):
    kept = ReplyFactory(ticket=cast.ticket, author=cast.requester, body="Stays")
    gone = ReplyFactory(ticket=cast.ticket, author=cast.requester, body="Removed by an admin")
    upload = SimpleUploadedFile("old.txt", b"x", content_type="text/plain")
    Attachment.objects.create(reply=kept, file=upload, name="old.txt", size=1, content_type="text/plain")
    assert "old.txt" in page(client_for, cast.requester, cast.ticket)

    Attachment.objects.get(reply=kept).delete()
    assert "old.txt" not in page(client_for, cast.requester, cast.ticket)

    Reply.objects.get(pk=gone.pk).delete()
    now = page(client_for, cast.requester, cast.ticket)
    assert "Removed by an admin" not in now
    assert "Stays" in now


def test_an_agent_made_a_customer_gets_the_support_badge(cast, client_for, django_capture_on_commit_callbacks):
    ReplyFactory(ticket=cast.ticket, author=cast.colleague, body="From the colleague")
    assert "role-agent" not in page(client_for, cast.requester, cast.ticket)
    with django_capture_on_commit_callbacks(execute=True):
        cast.colleague.is_staff = True
        cast.colleague.save(update_fields=["is_staff"])
    assert "role-agent" in page(client_for, cast.requester, cast.ticket)


def test_a_rename_moves_the_people_version_only_once_committed(cast, django_capture_on_commit_callbacks):
    conversation(cast.ticket, agents=False, whole=False)
    before = cache.get(PEOPLE_VERSION)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cast.requester.full_name = "Someone Else"
        cast.requester.save()
    assert cache.get(PEOPLE_VERSION) == before  # not yet: the transaction has not committed
    for callback in callbacks:
        callback()
    assert cache.get(PEOPLE_VERSION) != before


def test_what_a_conversation_does_not_show_keeps_it(cast, client_for, django_capture_on_commit_callbacks):
    started = chat.start_chat(customer=cast.requester, first_message="Hello", ticket=cast.ticket)
    page(client_for, cast.requester, cast.ticket)
    version = Ticket.objects.get(pk=cast.ticket.pk).thread_version
    people = cache.get(PEOPLE_VERSION)
    with django_capture_on_commit_callbacks(execute=True):
        chat.seen_by_customer(started)
        Chat.objects.get(pk=started.pk).save(update_fields=["customer_seen_at"])
        cast.agent.last_login = timezone.now()
        cast.agent.save(update_fields=["last_login"])
        cast.agent.language = "ja"
        cast.agent.save(update_fields=["language"])
    assert Ticket.objects.get(pk=cast.ticket.pk).thread_version == version
    assert cache.get(PEOPLE_VERSION) == people
    assert reply_queries(client_for, cast.requester, cast.ticket) == 0


def test_a_request_saved_from_an_older_copy_keeps_the_new_version(cast, client_for):
    stale = Ticket.objects.get(pk=cast.ticket.pk)
    page(client_for, cast.requester, cast.ticket)
    actions.reply(ticket=cast.ticket, author=cast.agent, body="Written meanwhile")
    stale.subject = "Saved from a copy read before the reply"
    stale.save()
    assert Ticket.objects.get(pk=cast.ticket.pk).thread_version != stale.thread_version
    assert "Written meanwhile" in page(client_for, cast.requester, cast.ticket)


def test_each_side_language_and_time_zone_has_its_own(cast, client_for):
    actions.internal_note(ticket=cast.ticket, author=cast.agent, body="Agents only")
    assert "Agents only" in page(client_for, cast.agent, cast.ticket)
    assert "Agents only" not in page(client_for, cast.requester, cast.ticket)

    english = page(client_for, cast.requester, cast.ticket)
    cast.requester.language = "de"
    cast.requester.save(update_fields=["language"])
    german = page(client_for, cast.requester, cast.ticket)
    assert german != english

    cast.colleague.time_zone = "Pacific/Kiritimati"  # UTC+14: every time of the thread reads differently
    cast.colleague.save(update_fields=["time_zone"])
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Kiritimati")), translation.override("en"):
        kiritimati = conversation(Ticket.objects.get(pk=cast.ticket.pk), agents=False, whole=False).html
    assert kiritimati in page(client_for, cast.colleague, cast.ticket)
    assert page(client_for, cast.colleague, cast.ticket) != english


def ccs_shown(client_for, person, ticket) -> str:
    html = client_for(person).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    return html.split("<dt>CCs</dt>", 1)[1].split("</dd>", 1)[0]


@pytest.mark.parametrize(
    "change",
    [
        lambda cast: cast.ticket.ccs.add(cast.bystander),
        lambda cast: cast.bystander.cc_tickets.add(cast.ticket),
        lambda cast: cast.ticket.ccs.remove(cast.colleague),
        lambda cast: cast.colleague.cc_tickets.remove(cast.ticket),
        lambda cast: cast.ticket.ccs.clear(),
        lambda cast: cast.colleague.cc_tickets.clear(),
    ],
    ids=["added", "added_from_the_person", "removed", "removed_from_the_person", "cleared", "cleared_for_the_person"],
)
def test_the_ccs_shown_follow_every_change(cast, client_for, change):
    assert "Cole Colleague" in ccs_shown(client_for, cast.requester, cast.ticket)
    change(cast)
    shown = ccs_shown(client_for, cast.requester, cast.ticket)
    expected = {person.get_full_name() for person in Ticket.objects.get(pk=cast.ticket.pk).ccs.all()}
    assert {name.strip() for name in shown.split("<dd>", 1)[1].split(",") if name.strip() != "Nobody"} == expected


def test_a_cc_removed_loses_the_page_at_once(cast, client_for):
    assert client_for(cast.colleague).get(reverse("tickets:detail", args=[cast.ticket.pk])).status_code == 200
    cast.ticket.ccs.remove(cast.colleague)
    assert client_for(cast.colleague).get(reverse("tickets:detail", args=[cast.ticket.pk])).status_code == 404
