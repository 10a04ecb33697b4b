"""The `thread_entries` tag writes the request page's conversation exactly as the template's loop did."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import timezone, translation

from portal.tests.factories import ReplyFactory, UserFactory
from tickets.models import Attachment, Chat, ChatMessage

# The loop as templates/tickets/request_detail.html wrote it before the tag (a chat's messages were then
# `chat.messages.all`, prefetched; the page now hands them over as `chat.lines`).
TEMPLATE_LOOP = (Path(__file__).parent / "thread_loop.html").read_text()
TAG = "{% load portal %}{% thread_entries thread %}"

AWKWARD = "<b>\"Quotes\" & 'apostrophes'</b>"


def _thread(cast) -> list[tuple]:
    now = timezone.now()
    unnamed_agent = UserFactory(email="agent<x>@vendor.example", full_name="", is_staff=True)
    replies = [
        ReplyFactory(ticket=cast.ticket, author=cast.requester, body="Plain **bold** text\n\n- a\n- b"),
        ReplyFactory(ticket=cast.ticket, author=unnamed_agent, body=AWKWARD),
        ReplyFactory(ticket=cast.ticket, author=None, body="An automatic reply"),
        ReplyFactory(ticket=cast.ticket, author=cast.agent, body="Only for agents", is_public=False),
        ReplyFactory(ticket=cast.ticket, author=cast.colleague, body="With files"),
    ]
    for reply in replies:
        reply.files = []
    replies[-1].files = [
        Attachment.objects.create(
            reply=replies[-1],
            file=SimpleUploadedFile("a.png", b"x"),
            name=f"shot {AWKWARD}.png",
            size=1,
            content_type="image/png",
        ),
        Attachment.objects.create(
            reply=replies[-1],
            file=SimpleUploadedFile("b.txt", b"x" * 5000),
            name="log.txt",
            size=5_000_000,
            content_type="text/plain",
        ),
    ]
    open_chat = Chat.objects.create(ticket=cast.ticket, customer=cast.requester, started_at=now - timedelta(hours=3))
    ChatMessage.objects.create(chat=open_chat, author=cast.requester, body=f"Hello\nsecond line {AWKWARD}")
    ChatMessage.objects.create(chat=open_chat, author=unnamed_agent, body="Hi")
    ended_chat = Chat.objects.create(
        ticket=cast.ticket, customer=cast.requester, state=Chat.State.ENDED, started_at=now - timedelta(days=400)
    )
    empty_chat = Chat.objects.create(ticket=cast.ticket, customer=cast.requester, started_at=now - timedelta(days=2))
    for chat in (open_chat, ended_chat, empty_chat):
        chat.lines = list(chat.messages.select_related("author").order_by("pk"))
    entries = [("reply", reply, reply.created_at) for reply in replies]
    entries += [("chat", chat, chat.started_at) for chat in (open_chat, ended_chat, empty_chat)]
    return sorted(entries, key=lambda entry: entry[2])


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_conversation_is_the_templates_markup(cast, language):
    thread = _thread(cast)
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        expected = Template(TEMPLATE_LOOP).render(Context({"thread": thread}))
        assert Template(TAG).render(Context({"thread": thread})) == expected
    for text in ("internal-note", "attachment-preview", "role-agent", "chat-block", "Hello<br>second line"):
        assert text in expected  # every branch of the loop was taken


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_empty_conversation_says_so(db, language):
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context({"thread": []}))
        assert Template(TAG).render(Context({"thread": []})) == expected
    assert "empty-state" in expected
