"""Search (`tickets.search`): every word must appear in the subject or a reply the searcher may read."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Reply, Ticket
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


@pytest.mark.postgres
def test_search_uses_the_gin_indexes_on_postgresql(cast, on_postgres):
    for index in range(50):
        ticket = TicketFactory(requester=cast.requester, subject=f"Subject {index}")
        ReplyFactory(ticket=ticket, body=f"body text {index}")
    queryset = search(Ticket.objects.all(), "dashboard", include_internal=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_reply")
        # With so few rows the planner would rightly prefer a scan; forbid it to prove the indexes can serve.
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "ticket_subject_search" in plan
    assert "reply_body_search" in plan
