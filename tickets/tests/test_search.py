"""Search (`tickets.search`): every word must appear in the subject or a reply the searcher may read."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Chat, ChatMessage, Reply, Ticket
from tickets.search import search, search_terms


def found(user, text: str) -> set[int]:
    return set(
        search(Ticket.objects.visible_to(user), text, include_internal=user.is_staff).values_list("pk", flat=True)
    )


def test_terms_are_words_only():
    assert search_terms("  Dashboard: tiles' & (fail) | !x:* ") == ["dashboard", "tiles", "fail", "x"]
    assert search_terms("") == []
    assert len(search_terms("a " * 50)) == 8


def test_words_can_come_from_subject_and_replies_together(cast):
    assert found(cast.requester, "dashboard upgrade") == {cast.ticket.pk}
    assert found(cast.requester, "DASHBOARD") == {cast.ticket.pk}


def test_every_word_must_match(cast):
    assert found(cast.requester, "dashboard invoice") == set()


def test_a_word_prefix_matches(cast):
    assert found(cast.requester, "dash") == {cast.ticket.pk}


def test_query_syntax_is_treated_as_text(cast):
    for text in ["dashboard & !", "'dashboard'", "dashboard:*", "(dashboard", "dash|board", "\\", "%", "_"]:
        found(cast.requester, text)  # must not raise


def test_internal_notes_are_searched_for_agents_only(cast):
    Reply.objects.create(ticket=cast.ticket, author=cast.agent, body="zebracorn workaround", is_public=False)
    assert found(cast.requester, "zebracorn") == set()
    assert found(cast.agent, "zebracorn") == {cast.ticket.pk}


def test_search_stays_inside_what_the_person_may_see(cast):
    hidden = TicketFactory(requester=cast.bystander, subject="Dashboard for finance")
    ReplyFactory(ticket=hidden)
    assert found(cast.requester, "dashboard") == {cast.ticket.pk}
    assert found(cast.contact, "dashboard") == {cast.ticket.pk, hidden.pk}
    assert found(cast.outsider, "dashboard") == set()


SENTENCES = [
    "The dashboard shows nothing since the upgrade",
    "Die Warteschlange hängt seit dem Update",
    "Necesito más información sobre la factura",
    "Pembayaran gagal diproses oleh bank",
    "ログを確認したところ、ディスク容量が不足しているようです",
    "서버를 다시 시작해 주세요",
]


@pytest.mark.postgres
@pytest.mark.parametrize("text", ["Drucker", "停止", "東京都"])
def test_a_rare_word_is_found_through_the_documents_index_on_postgresql(cast, on_postgres, text):
    # Enough rows of text in every language that, once analysed, the planner picks the index by itself.
    tickets = Ticket.objects.bulk_create(
        Ticket(requester=cast.requester, organisation=cast.org, subject=f"{SENTENCES[n % 6]} {n}") for n in range(1000)
    )
    Reply.objects.bulk_create(
        Reply(ticket=tickets[n % 1000], author=cast.requester, body=f"{SENTENCES[n % 6]} {SENTENCES[n % 5]} {n}")
        for n in range(3000)
    )
    chats = Chat.objects.bulk_create(Chat(ticket=ticket, customer=cast.requester) for ticket in tickets[:300])
    ChatMessage.objects.bulk_create(
        ChatMessage(chat=chats[n % 300], author=cast.requester, body=f"{SENTENCES[n % 4]} {n}") for n in range(1500)
    )
    ReplyFactory(ticket=tickets[0], body="東京都のサーバーが停止しました。Der Drucker druckt nicht.")
    with connection.cursor() as cursor:
        # What autovacuum would have done by now (VACUUM cannot run inside the test's transaction): move the
        # rows from the GIN index's pending list into the index proper, and gather statistics.
        cursor.execute("SELECT gin_clean_pending_list('ticketdocument_public'::regclass)")
        cursor.execute(
            "ANALYZE tickets_ticket, tickets_ticketdocument, tickets_reply, tickets_chat, tickets_chatmessage"
        )

    queryset = search(Ticket.objects.visible_to(cast.requester), text, include_internal=False)
    plan = queryset.explain()

    assert list(queryset) == [tickets[0]]
    assert "Bitmap Index Scan on ticketdocument_public" in plan
    # The texts themselves are read only to confirm a CJK run of three characters or more, one request at a time.
    assert "Seq Scan on tickets_reply" not in plan
    assert "Seq Scan on tickets_chatmessage" not in plan
