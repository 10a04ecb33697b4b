"""The request page (SPEC §5) and replying on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Attachment, Chat, ChatMessage, EventKind, Reply, TicketEvent
from workflow.models import Status


def detail_url(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def reply_url(ticket) -> str:
    return reverse("tickets:reply", args=[ticket.pk])


def test_it_shows_the_details(cast, client_for):
    html = client_for(cast.colleague).get(detail_url(cast.ticket)).content.decode()
    for text in [
        "Dashboard tiles fail to load",
        f"#{cast.ticket.pk}",
        '<span class="badge status-open">Open</span>',
        "S3 – Tolerable",
        "Services usable; affected functions are not critical",
        "Rita Requester",
        "Cole Colleague",
        "Northwind",
        "Web",
    ]:
        assert text in html


def test_thread_is_oldest_first_with_attachments(cast, client_for):
    now = timezone.now()
    later = ReplyFactory(
        ticket=cast.ticket, author=cast.agent, body="Second message", created_at=now + timedelta(hours=1)
    )
    Attachment.objects.create(reply=later, file=SimpleUploadedFile("trace.log", b"abc"), name="trace.log", size=3)
    html = client_for(cast.requester).get(detail_url(cast.ticket)).content.decode()
    assert html.index("The dashboard shows nothing") < html.index("Second message")
    assert "trace.log" in html
    assert reverse("tickets:attachment", args=[later.attachments.get().pk]) in html


def test_customers_never_see_internal_notes(cast, client_for):
    Reply.objects.create(ticket=cast.ticket, author=cast.agent, body="Customer is on the old plan", is_public=False)
    for person in [cast.requester, cast.colleague, cast.contact]:
        html = client_for(person).get(detail_url(cast.ticket)).content.decode()
        assert "Customer is on the old plan" not in html
        assert "Internal note" not in html
    assert "Customer is on the old plan" in client_for(cast.agent).get(detail_url(cast.ticket)).content.decode()


def test_reply_is_added_and_bumps_last_activity(cast, client_for):
    before = cast.ticket.last_activity_at
    response = client_for(cast.requester).post(reply_url(cast.ticket), {"body": "Here is **more** detail"})
    message = Reply.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(cast.ticket)}#reply-{message.pk}"
    assert message.author == cast.requester and message.is_public and message.body == "Here is **more** detail"
    cast.ticket.refresh_from_db()
    assert cast.ticket.last_activity_at > before


def test_solved_request_warns_before_reply_and_reopens_after(cast, client_for):
    cast.ticket.status = Status.SOLVED
    cast.ticket.solved_at = timezone.now()
    cast.ticket.save()
    client = client_for(cast.colleague)
    page = client.get(detail_url(cast.ticket)).content.decode()
    assert "This request is solved. Sending a reply will reopen it." in page
    assert "Send and reopen" in page

    response = client.post(reply_url(cast.ticket), {"body": "It is back"}, follow=True)
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.OPEN
    assert cast.ticket.solved_at is None
    event = TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.STATUS)
    assert (event.actor, event.from_value, event.to_value) == (cast.colleague, Status.SOLVED, Status.OPEN)
    assert "reopened" in response.content.decode()
    assert '<span class="badge status-open">Open</span>' in response.content.decode()


def test_open_request_gets_no_reopen_warning(cast, client_for):
    page = client_for(cast.requester).get(detail_url(cast.ticket)).content.decode()
    assert "Sending a reply will reopen it" not in page


def test_agent_reply_does_not_change_status(cast, client_for):
    cast.ticket.status = Status.SOLVED
    cast.ticket.save()
    client_for(cast.agent).post(reply_url(cast.ticket), {"body": "For the record"})
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.SOLVED


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_empty_reply_is_refused_and_nothing_saved(cast, client_for, body):
    before = Reply.objects.count()
    response = client_for(cast.requester).post(reply_url(cast.ticket), {"body": body})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Reply.objects.count() == before


def test_reply_with_attachment(cast, client_for):
    upload = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    client_for(cast.requester).post(reply_url(cast.ticket), {"body": "See attached", "attachments": [upload]})
    attachment = Attachment.objects.get()
    assert attachment.name == "screen.png"
    assert attachment.reply.body == "See attached"
    assert "screen" not in attachment.file.name  # stored under a random name


def test_oversize_attachment_is_refused_and_nothing_saved(cast, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    before = Reply.objects.count()
    upload = SimpleUploadedFile("big.bin", b"x" * 11)
    response = client_for(cast.requester).post(reply_url(cast.ticket), {"body": "Big", "attachments": [upload]})
    assert response.status_code == 400
    assert "each file may be at most" in response.content.decode()
    assert Reply.objects.count() == before
    assert Attachment.objects.count() == 0


def test_merged_request_links_to_target_only_for_those_who_may_see_it(cast, client_for):
    target = TicketFactory(requester=cast.bystander)
    cast.ticket.merged_into = target
    cast.ticket.save()
    requester_view = client_for(cast.requester).get(detail_url(cast.ticket)).content.decode()
    assert f"This request was merged into #{target.pk}." in requester_view
    assert f'href="{detail_url(target)}"' not in requester_view
    contact_view = client_for(cast.contact).get(detail_url(cast.ticket)).content.decode()
    assert f'<a href="{detail_url(target)}">#{target.pk}</a>' in contact_view


def test_the_number_of_queries_does_not_grow_with_the_thread(cast, client_for):
    client = client_for(cast.requester)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(cast.ticket)).status_code == 200
        return len(queries)

    # Session, person, the request (its grant tested in the same query), its CCs, and the latest replies with the
    # reply count and whether the request has files or chats at all: nothing more for a request that has neither.
    assert count() == 5

    def reply_with_a_file(index: int) -> None:
        message = ReplyFactory(ticket=cast.ticket, author=cast.agent if index % 2 else cast.requester)
        Attachment.objects.create(reply=message, file=SimpleUploadedFile("a.txt", b"a"), name="a.txt", size=1)

    reply_with_a_file(0)
    # A chat later than any reply below, so that it stays among the latest messages shown.
    Chat.objects.create(ticket=cast.ticket, customer=cast.requester, started_at=timezone.now() + timedelta(days=1))
    few = count()
    assert few == 8  # and the files of the replies shown, the chats and their messages
    for index in range(25):
        reply_with_a_file(index)
    cast.ticket.ccs.add(cast.bystander, cast.contact)
    assert count() == few


def test_anonymous_goes_to_sign_in(cast, client):
    response = client.get(detail_url(cast.ticket))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def long_thread(cast, settings):
    """The request's description and five more replies an hour apart, a chat between the second and third, and
    an internal note at the end; the page shows the latest three replies."""
    settings.THREAD_LATEST = 3
    start = timezone.now() - timedelta(days=1)
    cast.ticket.replies.update(created_at=start)
    for hour in range(1, 6):
        ReplyFactory(
            ticket=cast.ticket, author=cast.requester, body=f"Message {hour}", created_at=start + timedelta(hours=hour)
        )
    chat = Chat.objects.create(
        ticket=cast.ticket, customer=cast.requester, started_at=start + timedelta(hours=2, minutes=30)
    )
    ChatMessage.objects.create(chat=chat, author=cast.requester, body="Early chat line")
    ReplyFactory(
        ticket=cast.ticket,
        author=cast.agent,
        body="Note for agents",
        is_public=False,
        created_at=start + timedelta(hours=6),
    )
    return cast.ticket


def test_a_long_thread_opens_on_its_latest_replies(long_thread, cast, client_for):
    html = client_for(cast.requester).get(detail_url(long_thread)).content.decode()

    assert html.index("Message 3") < html.index("Message 4") < html.index("Message 5")
    for hidden in ["The dashboard shows nothing", "Message 1", "Message 2", "Early chat line", "Note for agents"]:
        assert hidden not in html
    assert "3 earlier replies are not shown." in html  # the description, 1 and 2; the internal note never counts
    assert 'href="?thread=all#thread-heading">Show the whole conversation</a>' in html


def test_the_whole_conversation_is_one_link_away(long_thread, cast, client_for):
    html = client_for(cast.requester).get(detail_url(long_thread), {"thread": "all"}).content.decode()

    positions = [
        html.index(text) for text in ["The dashboard shows nothing", "Message 2", "Early chat line", "Message 3"]
    ]
    assert positions == sorted(positions)
    assert "earlier replies are not shown" not in html


def test_agents_count_internal_notes_among_the_latest(long_thread, cast, client_for):
    html = client_for(cast.agent).get(detail_url(long_thread)).content.decode()

    assert "Note for agents" in html and "Message 4" in html and "Message 3" not in html
    assert "4 earlier replies are not shown." in html


def test_a_short_thread_shows_everything_without_a_link(cast, client_for):
    html = client_for(cast.requester).get(detail_url(cast.ticket)).content.decode()
    assert "The dashboard shows nothing" in html
    assert "Show the whole conversation" not in html
