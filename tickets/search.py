"""Full-text search over a request's subject and the replies the searcher may read.

Every word must appear somewhere in the request: in its subject or in one of its replies. On PostgreSQL each
word is a prefix query against GIN expression indexes on `to_tsvector('simple', …)` (see migration 0002); the
"simple" configuration does not stem, which suits a portal that speaks six languages. On SQLite the same rule
is answered with case-insensitive substring matching: slower, but the same results for whole words.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from tickets.models import Reply, TicketQuerySet

MAX_TERMS = 8
SEARCH_CONFIG = "simple"

SUBJECT_VECTOR = SearchVector("subject", config=SEARCH_CONFIG)
BODY_VECTOR = SearchVector("body", config=SEARCH_CONFIG)


def search_terms(text: str) -> list[str]:
    """The words of a query: letters and digits only, so nothing the user types is tsquery syntax."""
    return [word.lower() for word in re.findall(r"\w+", text or "")][:MAX_TERMS]


def search(queryset: TicketQuerySet, text: str, *, include_internal: bool) -> TicketQuerySet:
    replies = Reply.objects.filter(ticket_id=OuterRef("pk"))
    if not include_internal:
        replies = replies.filter(is_public=True)
    for term in search_terms(text):
        queryset = queryset.filter(_term_matches(term, replies))
    return queryset


def _term_matches(term: str, replies) -> Q:
    if connection.vendor == "postgresql":
        query = SearchQuery(f"'{term}':*", search_type="raw", config=SEARCH_CONFIG)
        return Q(SearchVectorExact(SUBJECT_VECTOR, query)) | Q(
            Exists(replies.filter(SearchVectorExact(BODY_VECTOR, query)))
        )
    return Q(subject__icontains=term) | Q(Exists(replies.filter(body__icontains=term)))
