"""Search over a request's subject, the replies the searcher may read, and its chat transcripts.

A query is a list of terms and every term must appear somewhere in the request. A term is a word, matched as a
word prefix, or a run of Chinese, Japanese or Korean characters, matched anywhere in the text: those languages
do not separate words with spaces. On PostgreSQL both are answered by GIN expression indexes on
`portal_search_document(…)` (migration 0011), which holds the `simple` words of the text and two-character grams
of its CJK runs; `simple` does not stem, which suits a portal that speaks six languages. On SQLite the same
rule is answered with substring matching, whose case folding is ASCII only: `información` finds `Información`
but not `INFORMACIÓN`.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchQueryField, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value
from django.db.models.functions import Cast

from tickets.models import ChatMessage, Reply, Ticket, TicketQuerySet

MAX_TERMS = 8

# Han, kana and Hangul; the same ranges as portal_search_document in migration 0011, which must cover them all.
CJK_CHARACTERS = (
    r"\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff"
)
CJK_RUN = re.compile(f"([{CJK_CHARACTERS}]+)")

# The expressions behind the word indexes of migrations 0002 and 0008, which import them from here (0011
# replaced those indexes, and rebuilds them when reversed).
SEARCH_CONFIG = "simple"
SUBJECT_VECTOR = SearchVector("subject", config=SEARCH_CONFIG)
BODY_VECTOR = SearchVector("body", config=SEARCH_CONFIG)


class SearchDocument(Func):
    function = "portal_search_document"
    output_field = SearchVectorField()


class Matches(Func):
    """`document @@ query`: django.contrib.postgres's lookup would wrap a query that is not a `SearchQuery` in
    plainto_tsquery()."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


def search_terms(text: str) -> list[str]:
    """The terms of a query: letters and digits only, so nothing the user types is tsquery syntax, with each
    run of CJK characters a term of its own (`Windowsサーバー` is `windows` and `サーバー`)."""
    terms = []
    for word in re.findall(r"\w+", (text or "").lower()):
        terms += [piece for piece in CJK_RUN.split(word) if piece]
    return terms[:MAX_TERMS]


def search(queryset: TicketQuerySet, text: str, *, include_internal: bool) -> TicketQuerySet:
    replies = Reply.objects.all() if include_internal else Reply.objects.filter(is_public=True)
    for term in search_terms(text):
        queryset = queryset.filter(pk__in=_tickets_matching(term, replies))
    return queryset


def _tickets_matching(term: str, replies):
    """Ids of the requests whose subject, one of whose replies or one of whose chat messages contains `term`.

    A union of three id lists, so that on PostgreSQL each side is a bitmap scan of its own GIN index.
    """
    if connection.vendor == "postgresql":
        by_subject = Ticket.objects.filter(_contains("subject", term))
        by_reply = replies.filter(_contains("body", term))
        by_chat = ChatMessage.objects.filter(_contains("body", term))
    else:
        by_subject = Ticket.objects.filter(subject__icontains=term)
        by_reply = replies.filter(body__icontains=term)
        by_chat = ChatMessage.objects.filter(body__icontains=term)
    # Chat transcripts are public like replies: whoever sees the request reads (and finds) its chats.
    return by_subject.values("pk").union(by_reply.values("ticket_id"), by_chat.values("chat__ticket_id"))


def _contains(field: str, term: str) -> Q:
    """PostgreSQL: `field` has a word starting with `term`, or contains the CJK run `term`, by its GIN index."""
    document = SearchDocument(F(field))
    if not CJK_RUN.fullmatch(term):
        return Q(Matches(document, SearchQuery(f"'{term}':*", search_type="raw", config=SEARCH_CONFIG)))
    if len(term) == 1:
        # Every character of a run starts a gram (the last one is a gram on its own), so a prefix finds them all.
        grams = f"'{term}':*"
    else:
        grams = " & ".join(dict.fromkeys(f"'{term[i : i + 2]}'" for i in range(len(term) - 1)))
    # The document holds the grams verbatim (array_to_tsvector), so the query is cast from text rather than
    # parsed by to_tsquery; a CJK run holds no quote or backslash to escape.
    condition = Q(Matches(document, Cast(Value(grams), SearchQueryField())))
    if len(term) > 2:
        # All the grams may be present apart: 東京 and 京都 in `東京 と 京都` are not 東京都. The index finds the
        # candidates and this keeps only the rows that really contain the term.
        condition &= Q(**{f"{field}__contains": term})
    return condition
