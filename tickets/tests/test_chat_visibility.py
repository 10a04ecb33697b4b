"""A chat is part of its request and follows the one visibility gate (SPEC §2 and §9, issue #8 point 6): every chat
URL walked with every persona, with the exact status each one gets.

The chat is the requester's, about the cast's request, answered by the agent. Those who may see the request
(requester, CC'd colleague, technical contact while the grant stands, agents) reach the chat; everybody else gets
exactly what a missing chat gets (404); anonymous people are sent to sign in; a GET on a POST-only URL is 405.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets.models import Chat, ChatMessage
from workflow import chat as chats

PERSONAS = ["requester", "colleague", "bystander", "contact", "contact_revoked", "outsider", "agent", "anonymous"]
SEES_TICKET = {"requester", "colleague", "contact", "agent"}
CUSTOMERS = {"requester", "colleague", "bystander", "contact", "contact_revoked", "outsider"}
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def chat(cast):
    started = chats.start_chat(customer=cast.requester, first_message="Tiles are blank again.", ticket=cast.ticket)
    return chats.take_chat(chat=started, agent=cast.agent)


def _sign_in(client, cast, persona: str) -> None:
    if persona == "anonymous":
        return
    if persona == "contact_revoked":
        cast.grant.revoked_at = timezone.now()
        cast.grant.save(update_fields=["revoked_at"])
        persona = "contact"
    client.force_login(getattr(cast, persona))


def _check(response, persona: str, expected: dict[str, int]) -> None:
    """The exact status for this persona; anonymous people are sent to the sign-in page."""
    assert response.status_code == expected[persona]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login") + "?next=")


def _table(seen: int, *, requester: int | None = None, agent: int | None = None, **others: int) -> dict[str, int]:
    """`seen` for everyone who may see the request (unless named), 404 for customers who may not, 302 for anonymous."""
    table = {persona: (seen if persona in SEES_TICKET else 404) for persona in PERSONAS}
    table["anonymous"] = 302
    table.update({k: v for k, v in {"requester": requester, "agent": agent}.items() if v is not None}, **others)
    return table


def _messages(chat: Chat) -> int:
    return ChatMessage.objects.filter(chat=chat).count()


# --- Every chat URL, every persona ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_chat_page_opens_only_for_those_who_see_the_request(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.get(reverse("tickets:chat", args=[chat.pk]))

    _check(response, persona, _table(200))
    assert ("Tiles are blank again." in response.content.decode()) == (persona in SEES_TICKET)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_poll_answers_only_those_who_see_the_request(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.get(reverse("tickets:chat_poll", args=[chat.pk]), {"after": 0}, **FETCH)

    _check(response, persona, _table(200))
    if persona in SEES_TICKET:
        assert [m["body"] for m in response.json()["messages"]] == ["Tiles are blank again."]


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_chats_customer_and_agent_post_and_who_cannot_see_gets_404(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.post(reverse("tickets:chat_post", args=[chat.pk]), {"message": "Let me in"}, **FETCH)

    # The colleague and the contact see the chat but it is not theirs: a clear refusal, not a 404.
    _check(response, persona, _table(400, requester=201, agent=201))
    assert _messages(chat) == (2 if persona in {"requester", "agent"} else 1)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_chats_customer_and_agent_end_it_and_who_cannot_see_gets_404(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.post(reverse("tickets:chat_end", args=[chat.pk]))

    _check(response, persona, _table(302))
    if persona in SEES_TICKET:
        assert response["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    ended = Chat.objects.get(pk=chat.pk).state == Chat.State.ENDED
    assert ended == (persona in {"requester", "agent"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_agents_take_a_chat_and_customers_get_404(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.post(reverse("tickets:chat_take", args=[chat.pk]), {"take_over": "1"})

    # Customers, even those who see the request, get what a missing page gets: taking is for agents.
    _check(response, persona, _table(404, agent=302))
    assert Chat.objects.get(pk=chat.pk).agent == cast.agent


@pytest.mark.parametrize("persona", PERSONAS)
def test_starting_a_chat_about_a_request_needs_sight_of_it(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.post(reverse("tickets:chat_start"), {"about": cast.ticket.pk, "message": "About this one"})

    # The requester already chats about it and agents do not start chats: both are sent back to the request.
    _check(response, persona, _table(302))
    started = Chat.objects.exclude(pk=chat.pk)
    if persona in {"colleague", "contact"}:
        assert response["Location"] == reverse("tickets:chat", args=[started.get().pk])
        assert started.get().customer == getattr(cast, persona)
    else:
        assert not started.exists()
        if persona in SEES_TICKET:
            assert response["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_agents_see_the_list_of_chats(client, cast, chat, persona):
    _sign_in(client, cast, persona)

    response = client.get(reverse("tickets:agent_chats"))

    _check(response, persona, _table(404, agent=200))


# --- Wrong methods ----------------------------------------------------------------------------------------

POST_ONLY = ["tickets:chat_post", "tickets:chat_end", "tickets:chat_take", "tickets:chat_start"]
GET_ONLY = ["tickets:chat", "tickets:chat_poll", "tickets:agent_chats"]


def _url(name: str, chat: Chat) -> str:
    return reverse(name) if name in {"tickets:chat_start", "tickets:agent_chats"} else reverse(name, args=[chat.pk])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", POST_ONLY)
def test_get_on_a_post_only_chat_url_is_405(client, cast, chat, persona, name):
    _sign_in(client, cast, persona)
    before = (_messages(chat), Chat.objects.count(), Chat.objects.get(pk=chat.pk).state)

    response = client.get(_url(name, chat), {"message": "via GET", "about": cast.ticket.pk})

    # The agents-only take answers customers 404 before it looks at the method.
    take = name == "tickets:chat_take"
    _check(response, persona, {**{p: (404 if take else 405) for p in CUSTOMERS}, "agent": 405, "anonymous": 302})
    assert (_messages(chat), Chat.objects.count(), Chat.objects.get(pk=chat.pk).state) == before


@pytest.mark.parametrize("persona", ["requester", "agent", "anonymous"])
@pytest.mark.parametrize("name", GET_ONLY)
def test_post_on_a_get_only_chat_url_is_405(client, cast, chat, persona, name):
    _sign_in(client, cast, persona)

    response = client.post(_url(name, chat), {"message": "via POST"})

    agents_only = name == "tickets:agent_chats"
    _check(response, persona, {"requester": 404 if agents_only else 405, "agent": 405, "anonymous": 302})
    assert _messages(chat) == 1


# --- Other organisations, missing chats and malformed ids ------------------------------------------------


@pytest.mark.parametrize("name", ["tickets:chat", "tickets:chat_poll", "tickets:chat_post", "tickets:chat_end"])
@pytest.mark.parametrize("persona", ["requester", "colleague", "contact"])
def test_another_organisations_chat_is_not_found(client, cast, name, persona):
    theirs = chats.start_chat(customer=cast.outsider, first_message="Globex secret", ticket=cast.other_ticket)
    _sign_in(client, cast, persona)

    url = reverse(name, args=[theirs.pk])
    response = client.get(url) if name in GET_ONLY else client.post(url, {"message": "hi"}, **FETCH)

    assert response.status_code == 404
    assert b"Globex secret" not in response.content
    assert (_messages(theirs), Chat.objects.get(pk=theirs.pk).state) == (1, Chat.State.WAITING)


def test_a_forbidden_chat_and_a_missing_one_answer_alike(client, cast, chat):
    client.force_login(cast.bystander)

    forbidden = client.get(reverse("tickets:chat", args=[chat.pk]))
    missing = client.get(reverse("tickets:chat", args=[chat.pk + 1000]))

    assert forbidden.status_code == missing.status_code == 404
    assert _without_csrf(forbidden.content) == _without_csrf(missing.content)


def _without_csrf(html: bytes) -> bytes:
    # The per-response CSRF mask, and the language switch's return address (the path the client asked for).
    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]+"', b"", html)


@pytest.mark.parametrize("path", ["abc", "0", "-1", "1.5"])
@pytest.mark.parametrize("suffix", ["", "messages/"])
def test_malformed_chat_ids_are_not_found(client, cast, chat, path, suffix):
    client.force_login(cast.agent)

    assert client.get(f"/requests/chats/{path}/{suffix}").status_code == 404


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("name", ["tickets:chat", "tickets:chat_poll", "tickets:chat_post", "tickets:chat_take"])
def test_huge_chat_ids_are_not_found(client, cast, chat, number, name):
    client.force_login(cast.agent)

    url = reverse(name, args=[number])
    response = client.get(url) if name in GET_ONLY else client.post(url, {"message": "x"})

    assert response.status_code == 404


def test_a_contact_whose_grant_is_revoked_loses_their_own_chat(client, cast):
    theirs = chats.start_chat(customer=cast.contact, first_message="From the organisation view", ticket=cast.ticket)
    client.force_login(cast.contact)
    assert client.get(reverse("tickets:chat", args=[theirs.pk])).status_code == 200

    cast.grant.revoked_at = timezone.now()
    cast.grant.save(update_fields=["revoked_at"])

    assert client.get(reverse("tickets:chat", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("tickets:chat_poll", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("tickets:chat_post", args=[theirs.pk]), {"message": "Hi"}, **FETCH).status_code == 404
    assert client.post(reverse("tickets:chat_end", args=[theirs.pk])).status_code == 404
    assert _messages(theirs) == 1
    assert Chat.objects.get(pk=theirs.pk).state == Chat.State.WAITING
