"""Search in the portal's six languages: English, German, Spanish and Indonesian words, and Japanese and Korean
words inside text that has no spaces between them. The same cases run on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import re

import pytest
from django.db import connection

from portal.tests.factories import ReplyFactory, TicketFactory
from tickets.models import Chat, ChatMessage, Reply, Ticket
from tickets.search import CJK_CHARACTERS, search, search_terms

JAPANESE = "東京都のサーバーが停止しました"
KOREAN = "고객지원팀에서 확인했습니다"


def found(user, text: str) -> set[int]:
    return set(
        search(Ticket.objects.visible_to(user), text, include_internal=user.is_staff).values_list("pk", flat=True)
    )


@pytest.fixture
def request_with(cast):
    """A request of the requester's whose subject, public reply or chat message is `text`."""

    def make(text: str, *, where: str = "subject") -> Ticket:
        ticket = TicketFactory(requester=cast.requester, subject=text if where == "subject" else "Ticket")
        if where == "reply":
            ReplyFactory(ticket=ticket, body=text)
        elif where == "chat":
            chat = Chat.objects.create(ticket=ticket, customer=cast.requester)
            ChatMessage.objects.create(chat=chat, author=cast.requester, body=text)
        return ticket

    return make


def test_terms_split_cjk_runs_from_words():
    assert search_terms("Windowsサーバー 停止!") == ["windows", "サーバー", "停止"]
    assert search_terms("고객지원팀에서, INFORMACIÓN") == ["고객지원팀에서", "información"]


@pytest.mark.parametrize("where", ["subject", "reply", "chat"])
@pytest.mark.parametrize("word", ["停止", "サーバー", "東京都", JAPANESE, "停", "た"])
def test_it_finds_a_japanese_word_inside_a_sentence(cast, request_with, where, word):
    ticket = request_with(f"{JAPANESE}。再起動をお願いします", where=where)
    assert found(cast.requester, word) == {ticket.pk}


@pytest.mark.parametrize("where", ["subject", "reply", "chat"])
@pytest.mark.parametrize("word", ["지원", "고객지원", "팀에서", "확인"])
def test_it_finds_a_korean_word_inside_a_compound(cast, request_with, where, word):
    ticket = request_with(KOREAN, where=where)
    assert found(cast.requester, word) == {ticket.pk}


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Die Druckerwarteschlange hängt seit dem Update", "Drucker"),
        ("Die Druckerwarteschlange hängt seit dem Update", "hängt"),
        ("Die Druckerwarteschlange hängt seit dem Update", "HÄNGT"),
        ("Necesito más información sobre la factura", "información"),
        ("Necesito más información sobre la factura", "INFORMACIÓN"),
        ("Necesito más información sobre la factura", "Informació"),
        ("Pembayaran gagal diproses oleh bank", "pembayaran GAGAL"),
        ("Windowsサーバーが再起動しない", "windowsサーバー"),
    ],
)
@pytest.mark.parametrize("where", ["subject", "reply", "chat"])
def test_it_finds_words_of_the_latin_script_languages(cast, request_with, where, text, query):
    ticket = request_with(text, where=where)
    assert found(cast.requester, query) == {ticket.pk}


@pytest.mark.parametrize(
    ("text", "query"),
    [
        (JAPANESE, "大阪"),
        (JAPANESE, "停止 大阪"),
        (JAPANESE, "サーバ停止"),
        ("東京 と 京都", "東京都"),  # every gram of 東京都 is there, but not next to each other
        (KOREAN, "지원센터"),
        ("Die Druckerwarteschlange hängt", "Scanner"),
        ("Necesito más información", "informaciones"),
    ],
)
@pytest.mark.parametrize("where", ["subject", "reply", "chat"])
def test_it_does_not_find_what_is_not_there(cast, request_with, where, text, query):
    request_with(text, where=where)
    assert found(cast.requester, query) == set()


def test_a_cjk_word_must_be_whole_in_one_text(cast, request_with):
    ticket = request_with("東京のオフィス")
    ReplyFactory(ticket=ticket, body="京都のオフィス")
    assert found(cast.requester, "東京都") == set()
    assert found(cast.requester, "東京 京都") == {ticket.pk}


def test_cjk_search_stays_inside_what_the_person_may_see(cast, request_with):
    hidden = TicketFactory(requester=cast.bystander, subject=JAPANESE)
    Reply.objects.create(ticket=cast.ticket, author=cast.agent, body=f"社内メモ: {KOREAN}", is_public=False)
    assert found(cast.requester, "停止") == set()
    assert found(cast.contact, "停止") == {hidden.pk}
    assert found(cast.outsider, "停止") == set()
    assert found(cast.requester, "지원") == set()
    assert found(cast.agent, "지원") == {cast.ticket.pk}


@pytest.mark.postgres
def test_the_document_holds_the_words_and_the_grams_of_cjk_runs(db, on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_search_document(%s)::text", ["Windowsサーバー 東京都のサーバー"])
        (document,) = cursor.fetchone()
    assert set(re.findall(r"'([^']+)'", document)) == {
        "windows",
        *["サー", "ーバ", "バー", "ー"],
        *["東京", "京都", "都の", "のサ", "サー", "ーバ", "バー", "ー"],
    }


@pytest.mark.postgres
def test_the_document_takes_grams_of_every_character_the_query_does(db, on_postgres):
    # The query side (CJK_CHARACTERS) and migration 0011's function each spell out the ranges; a character the
    # query treats as CJK but the function does not would never be found.
    ends = [chr(int(code, 16)) for code in re.findall(r"\\[uU]([0-9a-fA-F]+)", CJK_CHARACTERS)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsvector_to_array(portal_search_document(%s))", [" ".join(ends)])
        (lexemes,) = cursor.fetchone()
    assert set(lexemes) == set(ends)


@pytest.mark.postgres
def test_a_huge_cjk_body_is_still_stored(cast, on_postgres):
    # The distinct grams of 300,000 random characters would take a tsvector past its 1 MB; only the first
    # 50,000 characters are cut into grams.
    chance = random.Random(0)
    text = "".join(chr(0x4E00 + chance.randrange(20_000)) for _ in range(300_000))
    reply = ReplyFactory(ticket=cast.ticket, body=text)
    assert Reply.objects.filter(pk=reply.pk).exists()
    assert found(cast.requester, text[10:13]) == {cast.ticket.pk}


@pytest.mark.parametrize("where", ["subject", "reply", "chat"])
def test_capitals_beyond_ascii_are_folded_on_postgresql_only(cast, request_with, where):
    # PostgreSQL lower-cases with the database's locale (UTF-8 here and in production); SQLite's LIKE folds
    # ASCII letters only, so there the query's `ó` does not meet the text's `Ó`.
    ticket = request_with("INFORMACIÓN DEL PEDIDO", where=where)
    assert found(cast.requester, "información") == ({ticket.pk} if connection.vendor == "postgresql" else set())
    assert found(cast.requester, "pedido") == {ticket.pk}
