"""The search documents of migration 0012: the database keeps one per request, whatever writes the texts."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Chat, ChatMessage, Reply, Ticket, TicketDocument
from tickets.search import search
from workflow import actions

pytestmark = pytest.mark.postgres


def stale_documents() -> list[tuple]:
    """Documents that differ from what the texts give today, and requests without one (should both be empty)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ticket_id, public, internal FROM portal_ticket_documents(0, 9223372036854775807)
            EXCEPT SELECT ticket_id, public, internal FROM tickets_ticketdocument
            UNION ALL
            SELECT ticket_id, NULL, NULL FROM tickets_ticketdocument
            WHERE ticket_id NOT IN (SELECT id FROM tickets_ticket)
            """
        )
        return cursor.fetchall()


def words(ticket: Ticket, field: str = "public") -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unnest(tsvector_to_array({field})) FROM tickets_ticketdocument WHERE ticket_id = %s", [ticket.pk]
        )
        return {row[0] for row in cursor.fetchall()}


def found(user, text: str) -> set[int]:
    return set(
        search(Ticket.objects.visible_to(user), text, include_internal=user.is_staff).values_list("pk", flat=True)
    )


def test_a_new_request_has_the_words_of_its_subject(cast, on_postgres):
    ticket = TicketFactory(requester=cast.requester, subject="Printer offline in Köln")

    assert words(ticket) == {"printer", "offline", "in", "köln"}
    assert words(ticket, "internal") == set()


def test_replies_and_chat_messages_are_added_to_the_right_document(cast, on_postgres):
    ticket = TicketFactory(requester=cast.requester, subject="Printer")
    ReplyFactory(ticket=ticket, author=cast.requester, body="Toner empty")
    ReplyFactory(ticket=ticket, author=cast.agent, body="Ordering cartridges", is_public=False)
    chat = Chat.objects.create(ticket=ticket, customer=cast.requester)
    ChatMessage.objects.create(chat=chat, author=cast.requester, body="サーバー")

    assert words(ticket) == {"printer", "toner", "empty", "サー", "ーバ", "バー", "ー"}
    assert words(ticket, "internal") == {"ordering", "cartridges"}
    assert stale_documents() == []


def test_every_kind_of_change_keeps_the_documents_equal_to_the_texts(cast, on_postgres):
    first = TicketFactory(requester=cast.requester, subject="Dashboard empty")
    second = TicketFactory(requester=cast.requester, subject="Invoices")
    kept = ReplyFactory(ticket=first, author=cast.requester, body="since Monday")
    edited = ReplyFactory(ticket=first, author=cast.agent, body="checking logs", is_public=False)
    moved = ReplyFactory(ticket=first, author=cast.requester, body="also the invoice")
    gone = ReplyFactory(ticket=first, author=cast.requester, body="password zyxwvut")
    chat = Chat.objects.create(ticket=first, customer=cast.requester)
    line = ChatMessage.objects.create(chat=chat, author=cast.requester, body="hello there")
    ChatMessage.objects.create(chat=chat, author=cast.agent, body="東京都")

    Ticket.objects.filter(pk=first.pk).update(subject="Dashboard blank")
    Reply.objects.filter(pk=edited.pk).update(body="found the cause", is_public=True)
    Reply.objects.filter(pk=moved.pk).update(ticket=second)
    Reply.objects.filter(pk=gone.pk).delete()
    ChatMessage.objects.filter(pk=line.pk).update(body="good morning")
    assert stale_documents() == []
    assert {"blank", "found", "cause", "good", "morning", "monday"} <= words(first)
    assert not {"empty", "zyxwvut", "invoice", "hello", "checking"} & (words(first) | words(first, "internal"))
    assert "invoice" in words(second)

    Chat.objects.filter(pk=chat.pk).update(ticket=second)
    assert "東京" in words(second) and "東京" not in words(first)
    ChatMessage.objects.filter(chat=chat).delete()
    assert "東京" not in words(second)
    assert stale_documents() == []

    first.delete()
    assert not TicketDocument.objects.filter(ticket_id=first.pk).exists()
    assert kept.pk not in Reply.objects.values_list("pk", flat=True)
    assert stale_documents() == []


def test_a_note_made_public_is_found_by_the_customer_and_a_deleted_reply_no_longer(cast, on_postgres):
    ticket = TicketFactory(requester=cast.requester, subject="VPN")
    note = ReplyFactory(ticket=ticket, author=cast.agent, body="workaround kerberos", is_public=False)
    old = ReplyFactory(ticket=ticket, author=cast.requester, body="legacy passphrase")
    assert found(cast.requester, "kerberos") == set()
    assert found(cast.agent, "kerberos") == {ticket.pk}

    Reply.objects.filter(pk=note.pk).update(is_public=True)
    old.delete()

    assert found(cast.requester, "kerberos") == {ticket.pk}
    assert found(cast.agent, "passphrase") == set()


def test_actions_and_merges_keep_the_documents(cast, on_postgres):
    source = TicketFactory(requester=cast.requester, subject="Scanner jammed")
    into = TicketFactory(requester=cast.requester, subject="Office devices")
    actions.reply(ticket=source, author=cast.requester, body="paper tray broken")
    actions.internal_note(ticket=into, author=cast.agent, body="escalated to facilities")
    actions.rename(ticket=into, subject="Office printers", actor=cast.agent)
    actions.merge(sources=[source], target=into, actor=cast.agent)

    assert {"printers", "tray"} <= words(into)  # the merge note quotes the source's conversation
    assert "devices" not in words(into)
    assert "facilities" in words(into, "internal")
    assert stale_documents() == []


def test_replies_inserted_in_one_statement_all_reach_the_document(cast, on_postgres):
    ticket = TicketFactory(requester=cast.requester, subject="Bulk")
    Reply.objects.bulk_create([Reply(ticket=ticket, author=cast.requester, body=f"word{n}") for n in range(20)])

    assert {f"word{n}" for n in range(20)} <= words(ticket)


def test_a_missing_document_comes_back_whole_with_the_next_reply(cast, on_postgres):
    ticket = TicketFactory(requester=cast.requester, subject="Lost")
    ReplyFactory(ticket=ticket, author=cast.requester, body="first words")
    TicketDocument.objects.filter(ticket=ticket).delete()

    ReplyFactory(ticket=ticket, author=cast.requester, body="second words")

    assert {"lost", "first", "second", "words"} <= words(ticket)
    assert stale_documents() == []
