"""Search over a request's subject, the replies the searcher may read, and its chat transcripts.

A query is a list of terms and every term must appear somewhere in the request. A term is a word, matched as a
word prefix, or a run of Chinese, Japanese or Korean characters, matched anywhere in the text: those languages
do not separate words with spaces. On PostgreSQL both are answered by the request's search document (migration
0012), made with `portal_search_document(…)` (migration 0011), which holds the `simple` words of a text and
two-character grams of its CJK runs; `simple` does not stem, which suits a portal that speaks six languages.
With one document per request a list walks its usual sort index and tests each request it meets, so a common
word costs no more than a plain list; a rare word starts from the documents' GIN index. On SQLite the same rule
is answered with substring matching, whose case folding is ASCII only: `información` finds `Información` but
not `INFORMACIÓN`."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchQueryField, SearchVector
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Value
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
    terms = search_terms(text)
    if connection.vendor != "postgresql":
        replies = Reply.objects.all() if include_internal else Reply.objects.filter(is_public=True)
        for term in terms:
            queryset = queryset.filter(pk__in=_tickets_containing(term, replies))
        return queryset
    condition = Q()
    for term in terms:
        condition &= _document_matches(term, include_internal=include_internal)
    return queryset.filter(condition)


def _document_matches(term: str, *, include_internal: bool) -> Q:
    """PostgreSQL: the request's document (migration 0012) holds `term`, as a word prefix or as a CJK run.

    Agents also find the words of internal notes, which live in a document of their own.
    """
    query = _tsquery(term)
    found = Q(Matches(F("document__public"), query))
    if include_internal:
        found |= Q(Matches(F("document__internal"), query))
    if CJK_RUN.fullmatch(term) and len(term) > 2:
        # All the grams may be present apart: 東京 and 京都 in `東京 と 京都` are not 東京都, nor are they when one
        # reply says 東京 and another 京都. The document finds the candidates and this keeps only the requests
        # where one text really contains the term; it runs only for the candidates.
        found &= _one_text_contains(term, include_internal=include_internal)
    return found


def _tsquery(term: str):
    if not CJK_RUN.fullmatch(term):
        return SearchQuery(f"'{term}':*", search_type="raw", config=SEARCH_CONFIG)
    if len(term) == 1:
        # Every character of a run starts a gram (the last one is a gram on its own), so a prefix finds them all.
        grams = f"'{term}':*"
    else:
        grams = " & ".join(dict.fromkeys(f"'{term[i : i + 2]}'" for i in range(len(term) - 1)))
    # The document holds the grams verbatim (array_to_tsvector), so the query is cast from text rather than
    # parsed by to_tsquery; a CJK run holds no quote or backslash to escape.
    return Cast(Value(grams), SearchQueryField())


def _one_text_contains(term: str, *, include_internal: bool) -> Q:
    replies = Reply.objects.filter(ticket=OuterRef("pk"), body__contains=term)
    if not include_internal:
        replies = replies.filter(is_public=True)
    chat_lines = ChatMessage.objects.filter(chat__ticket=OuterRef("pk"), body__contains=term)
    return Q(subject__contains=term) | Q(Exists(replies)) | Q(Exists(chat_lines))


def _tickets_containing(term: str, replies):
    """SQLite: ids of the requests whose subject, one of whose replies or one of whose chat messages contains
    `term` (chat transcripts are public like replies: whoever sees the request reads, and finds, its chats)."""
    by_subject = Ticket.objects.filter(subject__icontains=term)
    by_reply = replies.filter(body__icontains=term)
    by_chat = ChatMessage.objects.filter(body__icontains=term)
    return by_subject.values("pk").union(by_reply.values("ticket_id"), by_chat.values("chat__ticket_id"))
