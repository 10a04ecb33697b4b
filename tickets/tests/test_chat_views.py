"""The chat pages (`tickets.chat_views`, SPEC §9, issue #8): start, the chat page, its poll and post, end, take,
the agents' list of chats, and the chat as it shows in the request's thread and in search.

Who may reach which chat URL is walked persona by persona in test_chat_visibility.py.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import StaffFactory, TicketFactory
from tickets.models import Channel, Chat, ChatMessage, EventKind, Reply, Ticket, TicketEvent
from workflow import chat as chats
from workflow.models import Status

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
SCRIPT = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & "quoted"'
ESCAPED = (
    "&lt;script&gt;window.pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.pwned = 2&quot;&gt; "
    "&amp; &quot;quoted&quot;"
)


@pytest.fixture
def running(cast):
    """The requester's chat about the cast's request, answered by the agent."""
    chat = chats.start_chat(customer=cast.requester, first_message="Tiles are blank again.", ticket=cast.ticket)
    return chats.take_chat(chat=chat, agent=cast.agent)


@pytest.fixture
def backup(cast):
    return StaffFactory(email="backup@support.example", full_name="Bo Backup")


def url(name: str, chat: Chat) -> str:
    return reverse(f"tickets:{name}", args=[chat.pk])


def transcript(chat: Chat) -> list[tuple]:
    return list(ChatMessage.objects.filter(chat=chat).order_by("pk").values_list("author_id", "body"))


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Chat.objects.count(), ChatMessage.objects.count()


def poll(client, chat: Chat, after: str | int | None = None):
    data = {} if after is None else {"after": after}
    return client.get(url("chat_poll", chat), data, **FETCH)


# --- Starting ---------------------------------------------------------------------------------------------


def test_my_requests_offers_start_a_chat_to_customers_only(cast, client_for):
    page = client_for(cast.requester).get(reverse("tickets:my_requests")).content.decode()
    assert "Start a chat" in page
    assert f'action="{reverse("tickets:chat_start")}"' in page
    agent_page = client_for(cast.agent).get(reverse("tickets:my_requests")).content.decode()
    assert "Start a chat" not in agent_page
    assert reverse("tickets:chat_start") not in agent_page


def test_starting_from_my_requests_opens_a_chat_request_and_lands_on_its_chat_page(cast, client_for):
    client = client_for(cast.requester)

    response = client.post(reverse("tickets:chat_start"), {"message": "VPN drops every hour\nSince Monday."})

    chat = Chat.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("chat", chat)
    ticket = chat.ticket
    assert ticket.pk not in {cast.ticket.pk, cast.other_ticket.pk}
    assert (ticket.channel, ticket.status, ticket.subject, ticket.requester) == (
        Channel.CHAT,
        Status.OPEN,
        "VPN drops every hour",
        cast.requester,
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "VPN drops every hour<br>Since Monday." in page.content.decode()


def test_the_request_page_offers_a_chat_about_it_to_customers_but_not_agents(cast, client_for):
    detail = reverse("tickets:detail", args=[cast.ticket.pk])
    page = client_for(cast.colleague).get(detail).content.decode()
    assert "Chat about this request" in page
    assert f'<input type="hidden" name="about" value="{cast.ticket.pk}">' in page
    assert "Chat about this request" not in client_for(cast.agent).get(detail).content.decode()


def test_a_chat_about_a_solved_request_reopens_it_and_records_the_status_change(cast, client_for):
    solved = TicketFactory(requester=cast.requester, status=Status.SOLVED, solved_at=timezone.now())

    response = client_for(cast.requester).post(
        reverse("tickets:chat_start"), {"about": solved.pk, "message": "It is back."}
    )

    chat = Chat.objects.get()
    assert response["Location"] == url("chat", chat)
    assert chat.ticket_id == solved.pk
    solved.refresh_from_db()
    assert solved.status == Status.OPEN
    assert list(
        TicketEvent.objects.filter(ticket=solved, kind=EventKind.STATUS).values_list("actor", "from_value", "to_value")
    ) == [(cast.requester.pk, Status.SOLVED, Status.OPEN)]


@pytest.mark.parametrize("message", ["", "   ", "x" * 100_000])
def test_starting_with_an_empty_or_huge_message_goes_back_with_the_reason_and_stores_nothing(cast, client_for, message):
    client = client_for(cast.requester)
    before = counts()

    from_list = client.post(reverse("tickets:chat_start"), {"message": message})
    from_request = client.post(reverse("tickets:chat_start"), {"message": message, "about": cast.ticket.pk})

    assert from_list.status_code == from_request.status_code == 302
    assert from_list["Location"] == reverse("tickets:my_requests")
    assert from_request["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    reason = "Write a message first." if not message.strip() else "A chat message can be at most 4000 characters."
    assert flashed(from_request) == [reason, reason]  # one per refusal; no page has shown them yet
    assert counts() == before


def test_a_second_chat_while_one_runs_is_refused_with_the_reason(cast, client_for, running):
    client = client_for(cast.requester)

    response = client.post(reverse("tickets:chat_start"), {"about": cast.ticket.pk, "message": "Hello again"})

    assert response["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    assert flashed(response) == ["A chat about this request is already running."]
    assert Chat.objects.count() == 1


def test_an_agent_starting_a_chat_is_refused(cast, client_for):
    client = client_for(cast.agent)
    before = counts()

    about = client.post(reverse("tickets:chat_start"), {"about": cast.ticket.pk, "message": "Hi"})
    fresh = client.post(reverse("tickets:chat_start"), {"message": "Hi"})

    assert about["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    assert fresh["Location"] == reverse("tickets:my_requests")
    assert counts() == before


@pytest.mark.parametrize("about", ["abc", "0", "-1", "1.5", str(2**63), str(10**30)])
def test_starting_about_a_malformed_or_huge_id_is_not_found(cast, client_for, about):
    before = counts()

    response = client_for(cast.requester).post(reverse("tickets:chat_start"), {"about": about, "message": "Hi"})

    assert response.status_code == 404
    assert counts() == before


# --- The chat page and its poll -----------------------------------------------------------------------------


def test_the_chat_page_shows_the_transcript_with_authors_and_the_message_form(cast, client_for, running):
    chats.post(chat=running, author=cast.agent, body="Which browser?\nAnd which version?")

    page = client_for(cast.requester).get(url("chat", running)).content.decode()

    log = page[page.index('id="chat-log"') : page.index("</ol>", page.index('id="chat-log"'))]
    assert re.findall(r'class="chat-author">([^<]+)<', log) == ["Rita Requester", "Ann Agent"]
    assert "Tiles are blank again." in log
    assert "Which browser?<br>And which version?" in log
    last = ChatMessage.objects.filter(chat=running).order_by("pk").last()
    assert f'data-last-id="{last.pk}"' in page
    assert f'action="{url("chat_post", running)}"' in page
    assert f'action="{url("chat_end", running)}"' in page
    assert "In progress · Ann Agent" in page


def test_opening_the_chat_page_marks_its_customer_present_but_not_for_others(cast, client_for, running):
    long_ago = timezone.now() - timedelta(hours=1)
    Chat.objects.filter(pk=running.pk).update(customer_seen_at=long_ago)

    client_for(cast.agent).get(url("chat", running))
    client_for(cast.colleague).get(url("chat", running))
    assert Chat.objects.get(pk=running.pk).customer_seen_at == long_ago

    before = timezone.now()
    client_for(cast.requester).get(url("chat", running))
    assert Chat.objects.get(pk=running.pk).customer_seen_at >= before


def test_an_agent_sees_answer_on_a_waiting_chat_and_take_over_on_one_another_agent_answers(cast, client_for, backup):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)
    take = f'action="{url("chat_take", chat)}"'

    waiting = client_for(cast.agent).get(url("chat", chat)).content.decode()
    assert take in waiting
    assert "Answer this chat" in waiting
    assert 'name="take_over"' not in waiting

    chats.take_chat(chat=chat, agent=cast.agent)
    assert take not in client_for(cast.agent).get(url("chat", chat)).content.decode()
    other = client_for(backup).get(url("chat", chat)).content.decode()
    assert "Take over this chat" in other
    assert '<input type="hidden" name="take_over" value="1">' in other
    assert take not in client_for(cast.requester).get(url("chat", chat)).content.decode()


def test_an_ended_chat_page_keeps_the_transcript_and_offers_no_form(cast, client_for, running):
    chats.end_chat(chat=running, by=cast.agent)

    page = client_for(cast.requester).get(url("chat", running)).content.decode()

    assert "Tiles are blank again." in page
    assert "This chat has ended. Its transcript is kept on the request." in page
    assert 'id="chat-form"' not in page
    assert url("chat_end", running) not in page


def test_poll_returns_every_message_after_the_cursor_oldest_first_from_the_readers_side(cast, client_for, running):
    first = ChatMessage.objects.get(chat=running)
    second = chats.post(chat=running, author=cast.agent, body="Which browser?")
    third = chats.post(chat=running, author=cast.requester, body="Firefox.")

    everything = poll(client_for(cast.requester), running).json()
    assert everything["state"] == "active"
    assert everything["state_label"] == "In progress"
    assert everything["agent"] == "Ann Agent"
    assert [(m["id"], m["author"], m["mine"], m["body"]) for m in everything["messages"]] == [
        (first.pk, "Rita Requester", True, "Tiles are blank again."),
        (second.pk, "Ann Agent", False, "Which browser?"),
        (third.pk, "Rita Requester", True, "Firefox."),
    ]
    assert all(re.fullmatch(r"\d\d:\d\d", m["at"]) for m in everything["messages"])

    agent_view = poll(client_for(cast.agent), running, after=first.pk).json()
    assert [(m["id"], m["mine"]) for m in agent_view["messages"]] == [(second.pk, True), (third.pk, False)]
    assert poll(client_for(cast.agent), running, after=third.pk).json()["messages"] == []


def test_poll_past_the_last_message_returns_nothing(cast, client_for, running):
    response = poll(client_for(cast.requester), running, after=2**62)

    assert response.status_code == 200
    assert response.json()["messages"] == []


def test_polling_marks_the_customer_present_but_an_agents_poll_does_not(cast, client_for, running):
    long_ago = timezone.now() - timedelta(hours=1)
    Chat.objects.filter(pk=running.pk).update(customer_seen_at=long_ago)

    poll(client_for(cast.agent), running)
    assert Chat.objects.get(pk=running.pk).customer_seen_at == long_ago
    assert chats.disconnect_idle() == 1  # nobody but the customer keeps a chat alive

    Chat.objects.filter(pk=running.pk).update(state=Chat.State.ACTIVE, customer_seen_at=long_ago, ended_at=None)
    poll(client_for(cast.requester), running)
    assert chats.disconnect_idle() == 0
    assert Chat.objects.get(pk=running.pk).state == Chat.State.ACTIVE


def test_poll_tells_the_page_that_the_chat_ended(cast, client_for, running):
    chats.end_chat(chat=running, by=cast.agent)

    data = poll(client_for(cast.requester), running).json()

    assert (data["state"], data["state_label"]) == ("ended", "Ended")
    assert [m["body"] for m in data["messages"]] == ["Tiles are blank again."]


@pytest.mark.parametrize("after", ["abc", "1.5", "12abc"])
def test_poll_refuses_an_after_that_is_not_a_message_id_with_a_clear_error(cast, client_for, running, after):
    response = poll(client_for(cast.requester), running, after=after)

    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize("after", [str(2**63), str(10**30)])
def test_poll_refuses_an_after_too_big_to_be_a_message_id_with_a_clear_error(cast, client_for, running, after):
    response = poll(client_for(cast.requester), running, after=after)

    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize("after", ["abc", str(10**30), "-3", "", "\x00"])
def test_poll_never_fails_with_a_server_error_whatever_the_after(cast, client_for, running, after):
    response = poll(client_for(cast.requester), running, after=after)

    assert response.status_code in {200, 400}
    assert response["Content-Type"] == "application/json"


def test_the_chat_page_and_its_poll_take_a_fixed_number_of_queries(cast, client_for, running):
    client = client_for(cast.requester)

    def count(name: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(name, running), **FETCH).status_code == 200
        return len(queries)

    few_page, few_poll = count("chat"), count("chat_poll")
    for index in range(30):
        chats.post(chat=running, author=cast.agent if index % 2 else cast.requester, body=f"Message {index}")
    assert (count("chat"), count("chat_poll")) == (few_page, few_poll)
    assert few_page <= 7
    assert few_poll <= 6


# --- Posting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["requester", "agent"])
def test_a_fetch_post_answers_201_with_the_id_of_the_row_stored_at_once(cast, client_for, running, side):
    person = getattr(cast, side)

    response = client_for(person).post(url("chat_post", running), {"message": "  On it.  "}, **FETCH)

    assert response.status_code == 201
    stored = ChatMessage.objects.get(pk=response.json()["id"])
    assert (stored.chat_id, stored.author, stored.body) == (running.pk, person, "On it.")
    assert Chat.objects.get(pk=running.pk).is_open


def test_a_form_post_without_fetch_goes_back_to_the_chat_page(cast, client_for, running):
    response = client_for(cast.requester).post(url("chat_post", running), {"message": "No JavaScript here."})

    assert response.status_code == 302
    assert response["Location"] == url("chat", running)
    assert transcript(running)[-1] == (cast.requester.pk, "No JavaScript here.")


@pytest.mark.parametrize(
    "persona, message, error",
    [
        ("requester", "", "Write a message first."),
        ("requester", " \n\t ", "Write a message first."),
        ("requester", "x" * 4001, "A chat message can be at most 4000 characters."),
        ("requester", "x" * 100_000, "A chat message can be at most 4000 characters."),
        ("colleague", "I'm CC'd, let me in.", "Only the customer and the agent answering the chat can write in it."),
        ("contact", "Organisation view.", "Only the customer and the agent answering the chat can write in it."),
        ("backup", "Another agent.", "Only the customer and the agent answering the chat can write in it."),
    ],
)
def test_a_refused_fetch_post_answers_400_with_the_reason_and_stores_nothing(
    cast, client_for, running, backup, persona, message, error
):
    person = backup if persona == "backup" else getattr(cast, persona)
    before = transcript(running)

    response = client_for(person).post(url("chat_post", running), {"message": message}, **FETCH)

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert transcript(running) == before


def test_a_post_without_any_message_field_is_refused_like_an_empty_one(cast, client_for, running):
    response = client_for(cast.requester).post(url("chat_post", running), {}, **FETCH)

    assert (response.status_code, response.json()) == (400, {"error": "Write a message first."})
    assert len(transcript(running)) == 1


@pytest.mark.parametrize("state", [Chat.State.ENDED, Chat.State.DISCONNECTED])
def test_posting_to_a_chat_that_is_over_is_refused_both_ways(cast, client_for, running, state):
    Chat.objects.filter(pk=running.pk).update(state=state, ended_at=timezone.now())
    client = client_for(cast.requester)

    by_fetch = client.post(url("chat_post", running), {"message": "Hello?"}, **FETCH)
    by_form = client.post(url("chat_post", running), {"message": "Hello?"})

    assert by_fetch.status_code == 400
    assert by_fetch.json() == {"error": "This chat has ended. Start a new one to continue."}
    assert by_form["Location"] == url("chat", running)
    assert flashed(by_form) == ["This chat has ended. Start a new one to continue."]
    assert transcript(running) == [(cast.requester.pk, "Tiles are blank again.")]


@pytest.mark.parametrize("where", ["post", "start"])
def test_a_message_with_a_nul_character_is_refused_with_a_clear_error(cast, client_for, running, where):
    client = client_for(cast.requester)
    client.raise_request_exception = False
    before = counts()

    if where == "post":
        response = client.post(url("chat_post", running), {"message": "before\x00after"}, **FETCH)
        assert response.status_code == 400
        assert "error" in response.json()
    else:
        response = client.post(reverse("tickets:chat_start"), {"message": "before\x00after"})
        assert response.status_code == 302
        assert response["Location"] == reverse("tickets:my_requests")
        assert len(flashed(response)) == 1
    assert counts() == before


# --- Ending and taking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["requester", "agent"])
def test_either_side_ends_the_chat_and_lands_on_the_request_showing_the_transcript(cast, client_for, running, side):
    chats.post(chat=running, author=cast.agent, body="Reload please, it is fixed.")
    client = client_for(getattr(cast, side))

    response = client.post(url("chat_end", running), follow=True)

    assert response.redirect_chain == [(reverse("tickets:detail", args=[cast.ticket.pk]), 302)]
    assert Chat.objects.get(pk=running.pk).state == Chat.State.ENDED
    page = response.content.decode()
    block = page[page.index(f'id="chat-{running.pk}"') :]
    block = block[: block.index("</section>")]
    assert "Ended" in block
    assert "Tiles are blank again." in block
    assert "Reload please, it is fixed." in block
    assert url("chat", running) not in block  # no "Open the chat" link once it is over


def test_ending_an_ended_chat_says_so(cast, client_for, running):
    chats.end_chat(chat=running, by=cast.agent)

    response = client_for(cast.requester).post(url("chat_end", running))

    assert response["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    assert flashed(response) == ["This chat has already ended."]


def test_a_ccd_colleague_cannot_end_someone_elses_chat(cast, client_for, running):
    response = client_for(cast.colleague).post(url("chat_end", running))

    assert response["Location"] == reverse("tickets:detail", args=[cast.ticket.pk])
    assert flashed(response) == ["Only the people in the chat can end it."]
    assert Chat.objects.get(pk=running.pk).state == Chat.State.ACTIVE


def test_an_agent_takes_a_waiting_chat_from_its_page(cast, client_for):
    chat = chats.start_chat(customer=cast.requester, first_message="Hello?", ticket=cast.ticket)

    response = client_for(cast.agent).post(url("chat_take", chat))

    assert response["Location"] == url("chat", chat)
    chat.refresh_from_db()
    assert (chat.state, chat.agent) == (Chat.State.ACTIVE, cast.agent)


def test_another_agent_takes_over_only_with_take_over_and_then_the_first_agent_is_refused(
    cast, client_for, running, backup
):
    client = client_for(backup)
    refused = client.post(url("chat_take", running))
    assert flashed(refused) == ["Another agent answers this chat; take it over explicitly."]
    assert Chat.objects.get(pk=running.pk).agent == cast.agent

    taken = client.post(url("chat_take", running), {"take_over": "1"})
    assert taken["Location"] == url("chat", running)
    assert Chat.objects.get(pk=running.pk).agent == backup
    assert client.post(url("chat_post", running), {"message": "Bo here."}, **FETCH).status_code == 201

    first = client_for(cast.agent).post(url("chat_post", running), {"message": "Ann here."}, **FETCH)
    assert first.status_code == 400
    assert first.json() == {"error": "Only the customer and the agent answering the chat can write in it."}
    assert transcript(running)[1:] == [(backup.pk, "Bo here.")]


def test_taking_an_ended_chat_is_refused_with_the_reason(cast, client_for, running, backup):
    chats.end_chat(chat=running, by=cast.requester)

    response = client_for(backup).post(url("chat_take", running), {"take_over": "1"})

    assert flashed(response) == ["This chat has ended."]
    chat = Chat.objects.get(pk=running.pk)
    assert (chat.state, chat.agent) == (Chat.State.ENDED, cast.agent)


# --- The agents' list -------------------------------------------------------------------------------------


def test_the_agents_list_shows_waiting_and_active_chats_with_their_waiting_time_oldest_first(cast, client_for, running):
    Chat.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(minutes=12))
    waiting = chats.start_chat(customer=cast.outsider, first_message="Globex needs help", ticket=cast.other_ticket)
    Chat.objects.filter(pk=waiting.pk).update(started_at=timezone.now() - timedelta(minutes=7))
    ended = chats.start_chat(customer=cast.colleague, first_message="Solved it myself")
    chats.end_chat(chat=ended, by=cast.colleague)
    gone = chats.start_chat(customer=cast.bystander, first_message="Gone away")
    Chat.objects.filter(pk=gone.pk).update(state=Chat.State.DISCONNECTED)

    response = client_for(cast.agent).get(reverse("tickets:agent_chats"))

    assert response.status_code == 200
    assert [chat.pk for chat in response.context["chats"]] == [running.pk, waiting.pk]
    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode(), flags=re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    assert [re.sub(r"<[^>]+>", "", cell[0]) for cell in cells] == [
        f"#{cast.ticket.pk} Dashboard tiles fail to load",
        f"#{cast.other_ticket.pk} Globex invoice question",
    ]
    assert [cell[1:4] for cell in cells] == [
        ["Rita Requester", "Northwind", "In progress"],
        ["Otto Outsider", "Globex", "Waiting for an agent"],
    ]
    assert [cell[4] for cell in cells] == ["12\xa0minutes", "7\xa0minutes"]
    assert [cell[5] for cell in cells] == ["Ann Agent", "—"]
    assert f'href="{url("chat", waiting)}"' in rows[1]


def test_the_agents_list_says_when_no_chat_waits(cast, client_for):
    response = client_for(cast.agent).get(reverse("tickets:agent_chats"))

    assert "No chats waiting" in response.content.decode()


def test_the_agents_list_takes_a_fixed_number_of_queries(cast, client_for):
    client = client_for(cast.agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("tickets:agent_chats")).status_code == 200
        return len(queries)

    chats.take_chat(chat=chats.start_chat(customer=cast.requester, first_message="One"), agent=cast.agent)
    few = count()
    for index in range(15):
        chat = chats.start_chat(customer=cast.outsider, first_message=f"Chat {index}")
        if index % 2:
            chats.take_chat(chat=chat, agent=cast.agent)
    assert count() == few
    assert few <= 3


# --- The transcript on the request, and in search --------------------------------------------------------


def test_the_thread_shows_each_chat_as_one_block_with_its_messages_in_order(cast, client_for, running):
    chats.post(chat=running, author=cast.agent, body="Which browser?")
    chats.post(chat=running, author=cast.requester, body="Firefox 128.")
    chats.end_chat(chat=running, by=cast.requester)
    later = chats.start_chat(customer=cast.colleague, first_message="Same here for me.", ticket=cast.ticket)

    page = client_for(cast.requester).get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()

    blocks = re.findall(r'<li id="chat-(\d+)" class="reply">(.*?)</section>', page, flags=re.S)
    assert [int(pk) for pk, _ in blocks] == [running.pk, later.pk]
    lines = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()
        for line in re.findall(r"<li><strong>(.*?)</li>", blocks[0][1], flags=re.S)
    ]
    assert [re.sub(r" \d\d:\d\d:", ":", line) for line in lines] == [
        "Rita Requester: Tiles are blank again.",
        "Ann Agent: Which browser?",
        "Rita Requester: Firefox 128.",
    ]
    assert "Same here for me." in blocks[1][1]
    assert f'href="{url("chat", later)}"' in blocks[1][1]  # the running chat links to its page


def test_the_thread_stays_oldest_first_with_chat_blocks_among_the_replies(cast, client_for):
    description = cast.ticket.replies.get()
    Reply.objects.filter(pk=description.pk).update(created_at=timezone.now() - timedelta(hours=2))
    chat = chats.start_chat(customer=cast.requester, first_message="Tiles are blank again.", ticket=cast.ticket)
    Chat.objects.filter(pk=chat.pk).update(started_at=timezone.now() - timedelta(hours=1))
    later = Reply.objects.create(ticket=cast.ticket, author=cast.agent, body="Fixed after the chat.")

    page = client_for(cast.requester).get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()

    order = re.findall(r'<li id="((?:reply|chat)-\d+)"', page)
    assert order == [f"reply-{description.pk}", f"chat-{chat.pk}", f"reply-{later.pk}"]


@pytest.mark.parametrize("persona", ["requester", "colleague", "contact", "agent"])
def test_everyone_who_sees_the_request_reads_its_chat_like_a_public_reply(cast, client_for, running, persona):
    chats.post(chat=running, author=cast.agent, body="We replaced the cache node.")
    chats.end_chat(chat=running, by=cast.agent)

    response = client_for(getattr(cast, persona)).get(reverse("tickets:detail", args=[cast.ticket.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="chat-{running.pk}"' in page
    assert "We replaced the cache node." in page
    assert "Tiles are blank again." in page


@pytest.mark.parametrize("persona", ["requester", "colleague", "contact", "agent"])
def test_my_requests_search_finds_chat_text(cast, client_for, running, persona):
    chats.post(chat=running, author=cast.agent, body="The quokkaserver restarted overnight.")

    response = client_for(getattr(cast, persona)).get(reverse("tickets:my_requests"), {"q": "quokkaserver"})

    assert [ticket.pk for ticket in response.context["page"].object_list] == [cast.ticket.pk]


@pytest.mark.parametrize("persona", ["bystander", "outsider"])
def test_search_finds_no_chat_text_of_a_request_one_cannot_see(cast, client_for, running, persona):
    chats.post(chat=running, author=cast.agent, body="The quokkaserver restarted overnight.")

    response = client_for(getattr(cast, persona)).get(reverse("tickets:my_requests"), {"q": "quokkaserver"})

    page = response.context["page"]
    assert (list(page.object_list) if page else []) == []


# --- HTML and script in messages --------------------------------------------------------------------------


def test_html_in_a_message_is_stored_as_text_and_inert_on_the_chat_page_in_the_thread_and_in_the_poll(
    cast, client_for, running
):
    client = client_for(cast.requester)
    posted = client.post(url("chat_post", running), {"message": SCRIPT}, **FETCH)
    assert posted.status_code == 201
    assert ChatMessage.objects.get(pk=posted.json()["id"]).body == SCRIPT

    for page in (
        client.get(url("chat", running)).content.decode(),
        client.get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode(),
        client_for(cast.agent).get(url("chat", running)).content.decode(),
    ):
        assert ESCAPED in page
        assert "<script>window.pwned" not in page
        assert "<img src=x" not in page

    answer = poll(client, running)
    assert answer["Content-Type"] == "application/json"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert json.loads(answer.content)["messages"][-1]["body"] == SCRIPT
