"""A reply or new-request form sent twice acts once: a double click, or a form sent again after an error page while
the first one had in fact been saved (the database cut off at the moment of the commit). Each showing of the form
carries its own token; the second sending answers with the reply, or the request, the first one added."""

from __future__ import annotations

import re
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from tickets.models import Reply, Ticket
from workflow import actions
from workflow.models import OutboundEmail

TOKEN = re.compile(r'<input type="hidden" name="submission" value="([0-9a-f]{32})"')


def _token(client, ticket=None) -> str:
    page = reverse("tickets:detail", args=[ticket.pk]) if ticket else reverse("tickets:new")
    found = TOKEN.search(client.get(page).content.decode())
    assert found, f"the form of {page} carries no submission token"
    return found.group(1)


def test_each_showing_of_the_form_carries_its_own_token(cast, client_for):
    client = client_for(cast.requester)

    assert _token(client, cast.ticket) != _token(client, cast.ticket)


@pytest.mark.parametrize("person", ["requester", "agent"])
def test_the_same_form_sent_twice_adds_one_reply(cast, client_for, person):
    client = client_for(getattr(cast, person))
    token = _token(client, cast.ticket)
    form = {"body": "The export still fails.", "submission": token, "visibility": "public"}
    before = Reply.objects.filter(ticket=cast.ticket).count()

    first = client.post(reverse("tickets:reply", args=[cast.ticket.pk]), form)
    second = client.post(reverse("tickets:reply", args=[cast.ticket.pk]), form)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]  # both lead to the one reply
    assert Reply.objects.filter(ticket=cast.ticket).count() == before + 1
    assert Reply.objects.filter(ticket=cast.ticket, body="The export still fails.").count() == 1


def test_two_showings_of_the_form_add_two_replies(cast, client_for):
    client = client_for(cast.requester)
    url = reverse("tickets:reply", args=[cast.ticket.pk])
    for _ in range(2):
        client.post(url, {"body": "Same words, said twice on purpose.", "submission": _token(client, cast.ticket)})

    assert Reply.objects.filter(ticket=cast.ticket, body="Same words, said twice on purpose.").count() == 2


@pytest.mark.parametrize("token", ["", "not-a-token", "A" * 32, "0" * 33])
def test_a_missing_or_foreign_token_never_blocks_a_reply(cast, client_for, token):
    client = client_for(cast.requester)
    url = reverse("tickets:reply", args=[cast.ticket.pk])

    response = client.post(url, {"body": "Sent without a usable token.", "submission": token})

    assert response.status_code == 302
    assert Reply.objects.get(ticket=cast.ticket, body="Sent without a usable token.").submission == ""


def test_the_token_is_one_persons_not_a_way_to_silence_another(cast):
    token = "0123456789abcdef0123456789abcdef"
    mine = actions.reply(ticket=cast.ticket, author=cast.requester, body="Mine.", submission=token)
    theirs = actions.reply(ticket=cast.ticket, author=cast.colleague, body="Theirs.", submission=token)

    assert mine.pk != theirs.pk
    assert set(Reply.objects.filter(submission=token).values_list("body", flat=True)) == {"Mine.", "Theirs."}


def test_a_repeated_agent_reply_notifies_once_and_a_repeated_note_is_one_note(cast, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    token = "fedcba9876543210fedcba9876543210"
    with django_capture_on_commit_callbacks(execute=True):  # emails leave after the commit
        first = actions.reply(ticket=cast.ticket, author=cast.agent, body="Try again now.", submission=token)
    with django_capture_on_commit_callbacks(execute=True):
        again = actions.reply(ticket=cast.ticket, author=cast.agent, body="Try again now.", submission=token)

    assert first.pk == again.pk
    assert OutboundEmail.objects.filter(reply=first).count() == 2  # the requester and the CC'd colleague, once
    assert len(mail.outbox) == 2

    note_token = "00000000000000000000000000000001"
    note = actions.internal_note(ticket=cast.ticket, author=cast.agent, body="Checked the logs.", submission=note_token)
    assert (
        actions.internal_note(ticket=cast.ticket, author=cast.agent, body="Checked the logs.", submission=note_token).pk
        == note.pk
    )
    assert Reply.objects.filter(body="Checked the logs.").count() == 1


def test_the_database_refuses_a_second_reply_with_the_same_token(cast):
    token = "11111111111111111111111111111111"
    Reply.objects.create(ticket=cast.ticket, author=cast.requester, body="Once.", submission=token)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reply.objects.create(ticket=cast.ticket, author=cast.requester, body="Twice.", submission=token)


def _twice_at_once(send) -> list:
    """Run `send` in two threads, each with its own database connection, released together; return both results."""
    barrier = threading.Barrier(2, timeout=20)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(send())
        except BaseException as error:  # handed to the test thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_form_sent_twice_at_once_adds_one_reply(on_postgres, cast):
    token = "22222222222222222222222222222222"

    results = _twice_at_once(
        lambda: actions.reply(ticket=cast.ticket, author=cast.requester, body="Racing.", submission=token)
    )

    assert len({reply.pk for reply in results}) == 1
    assert Reply.objects.filter(ticket=cast.ticket, body="Racing.").count() == 1


def test_the_same_new_request_form_sent_twice_opens_one_request(cast, client_for):
    client = client_for(cast.requester)
    form = {"subject": "Invoices export is empty", "body": "Since Monday.", "priority": "S3"}
    token = _token(client)

    first = client.post(reverse("tickets:new"), {**form, "submission": token})
    second = client.post(reverse("tickets:new"), {**form, "submission": token})

    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    opened = Ticket.objects.filter(requester=cast.requester, subject="Invoices export is empty")
    assert opened.count() == 1 and opened.get().replies.count() == 1

    client.post(reverse("tickets:new"), {**form, "submission": _token(client)})  # shown again: a second request
    assert opened.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_new_request_form_sent_twice_at_once_opens_one_request(on_postgres, cast):
    token = "33333333333333333333333333333333"

    results = _twice_at_once(
        lambda: actions.open_request(
            requester=cast.requester, subject="Racing request", body="Twice?", priority="S2", submission=token
        )
    )

    assert len({ticket.pk for ticket in results}) == 1
    assert Ticket.objects.filter(subject="Racing request").count() == 1
    assert Reply.objects.filter(body="Twice?").count() == 1
