"""Full-text search over a request's subject, the replies the searcher may read, and its chat transcripts.

Every word must appear somewhere in the request: in its subject or in one of its replies. On PostgreSQL each
word is a prefix query against GIN expression indexes on `to_tsvector('simple', …)` (see migration 0002); the
"simple" configuration does not stem, which suits a portal that speaks six languages. On SQLite the same rule
is answered with case-insensitive substring matching: slower, but the same results for whole words.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.db import connection

from tickets.models import ChatMessage, Reply, Ticket, TicketQuerySet

MAX_TERMS = 8
SEARCH_CONFIG = "simple"

SUBJECT_VECTOR = SearchVector("subject", config=SEARCH_CONFIG)
BODY_VECTOR = SearchVector("body", config=SEARCH_CONFIG)


def search_terms(text: str) -> list[str]:
    """The words of a query: letters and digits only, so nothing the user types is tsquery syntax."""
    return [word.lower() for word in re.findall(r"\w+", text or "")][:MAX_TERMS]


def search(queryset: TicketQuerySet, text: str, *, include_internal: bool) -> TicketQuerySet:
    replies = Reply.objects.all() if include_internal else Reply.objects.filter(is_public=True)
    for term in search_terms(text):
        queryset = queryset.filter(pk__in=_tickets_matching(term, replies))
    return queryset


def _tickets_matching(term: str, replies):
    """Ids of the requests whose subject or one of whose replies contains a word starting with `term`.

    A union of two id lists, so that on PostgreSQL each side is a bitmap scan of its own GIN index.
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(f"'{term}':*", search_type="raw", config=SEARCH_CONFIG)
        by_subject = Ticket.objects.filter(SearchVectorExact(SUBJECT_VECTOR, query))
        by_reply = replies.filter(SearchVectorExact(BODY_VECTOR, query))
        by_chat = ChatMessage.objects.filter(SearchVectorExact(BODY_VECTOR, query))
    else:
        by_subject = Ticket.objects.filter(subject__icontains=term)
        by_reply = replies.filter(body__icontains=term)
        by_chat = ChatMessage.objects.filter(body__icontains=term)
    # Chat transcripts are public like replies: whoever sees the request reads (and finds) its chats.
    return by_subject.values("pk").union(by_reply.values("ticket_id"), by_chat.values("chat__ticket_id"))
