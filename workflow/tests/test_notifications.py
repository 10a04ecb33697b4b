"""Who gets which email, and what it carries (SPEC §10, issue #5 point 3)."""

from __future__ import annotations

import email

import pytest
from django.core import mail

from portal.tests.factories import UserFactory
from workflow import actions, outbox
from workflow.models import OutboundEmail
from workflow.notifications import reply_address, thread_root, ticket_id_from_reply_address


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run an action with its after-commit delivery, as a worker would."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_an_agent_reply_emails_requester_and_ccs(cast, deliver):
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Try **clearing** the cache."))
    assert sent_to() == ["colleague@northwind.example", "requester@northwind.example"]
    message = mail.outbox[0]
    assert message.subject == f"Re: [#{cast.ticket.pk}] Dashboard tiles fail to load"
    assert "Try **clearing** the cache." in message.body
    html = message.alternatives[0].content
    assert "<strong>clearing</strong>" in html
    assert f"/requests/{cast.ticket.pk}/" in message.body and f"/requests/{cast.ticket.pk}/" in html


def test_threading_headers_and_reply_address(cast, deliver):
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello"))
    raw = email.message_from_bytes(mail.outbox[0].message().as_bytes())
    row = OutboundEmail.objects.get(recipient=cast.requester)
    assert raw["Message-ID"] == row.message_id
    assert raw["In-Reply-To"] == thread_root(cast.ticket) == raw["References"]
    assert raw["Reply-To"] == reply_address(cast.ticket)
    assert raw.get_content_type() == "multipart/alternative"
    assert {part.get_content_type() for part in raw.get_payload()} == {"text/plain", "text/html"}
    assert OutboundEmail.objects.get(recipient=cast.colleague).message_id != row.message_id


def test_the_reply_address_is_signed_and_unguessable(cast):
    address = reply_address(cast.ticket)
    assert ticket_id_from_reply_address(address) == cast.ticket.pk
    assert ticket_id_from_reply_address(address.upper()) == cast.ticket.pk  # mail systems may fold case
    local, domain = address.split("@")
    number, token = local.removeprefix("reply+").split(".")
    assert len(token) >= 20
    forged = f"reply+{cast.other_ticket.pk}.{token}@{domain}"
    assert ticket_id_from_reply_address(forged) is None
    assert ticket_id_from_reply_address(f"reply+{number}.{'0' * len(token)}@{domain}") is None
    assert ticket_id_from_reply_address(f"reply+{number}.{token}@elsewhere.example") is None
    assert ticket_id_from_reply_address("support@localhost") is None


def test_internal_notes_and_customer_replies_email_nobody(cast, deliver):
    deliver(lambda: actions.internal_note(ticket=cast.ticket, author=cast.agent, body="secret"))
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.colleague, body="any news?"))
    assert mail.outbox == [] and OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("status, kind", [("awaiting_reply", "awaiting"), ("solved", "solved")])
def test_awaiting_and_solved_are_announced(cast, deliver, status, kind):
    deliver(lambda: actions.change_status(ticket=cast.ticket, to=status, actor=cast.agent, reason="done"))
    assert sent_to() == ["colleague@northwind.example", "requester@northwind.example"]
    assert set(OutboundEmail.objects.values_list("kind", flat=True)) == {kind}


def test_on_hold_is_not_announced(cast, deliver):
    deliver(lambda: actions.change_status(ticket=cast.ticket, to="on_hold", actor=cast.agent))
    assert mail.outbox == []


def test_the_person_who_solved_it_is_not_told_so(cast, deliver):
    deliver(lambda: actions.mark_solved(ticket=cast.ticket, requester=cast.requester))
    assert sent_to() == ["colleague@northwind.example"]


def test_people_who_cannot_see_the_request_get_nothing(cast, deliver):
    cast.colleague.organisation = cast.other_org  # still listed as CC, but moved away
    cast.colleague.save()
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello"))
    assert sent_to() == ["requester@northwind.example"]


def test_a_person_who_lost_sight_before_delivery_gets_nothing(cast):
    actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello")  # queued, not yet delivered
    cast.colleague.organisation = cast.other_org
    cast.colleague.save()
    assert outbox.deliver_due() == 1
    assert sent_to() == ["requester@northwind.example"]
    skipped = OutboundEmail.objects.get(recipient=cast.colleague)
    assert skipped.sent_at is None and skipped.given_up_at is not None and "can no longer see" in skipped.last_error


def test_a_person_without_an_email_address_is_skipped_and_the_rest_notified(cast, deliver, caplog):
    nameless = UserFactory(organisation=cast.org, email="")
    cast.ticket.ccs.add(nameless)
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello"))
    assert sent_to() == ["colleague@northwind.example", "requester@northwind.example"]
    assert "has no email address" in caplog.text


def test_inactive_people_get_nothing(cast, deliver):
    cast.colleague.is_active = False
    cast.colleague.save()
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello"))
    assert sent_to() == ["requester@northwind.example"]


def test_a_template_error_keeps_the_change_and_retries_the_email(cast, deliver, settings, monkeypatch):
    from workflow import notifications

    monkeypatch.setattr(
        notifications, "render_to_string", lambda *a, **k: (_ for _ in ()).throw(ValueError("bad template"))
    )
    deliver(lambda: actions.reply(ticket=cast.ticket, author=cast.agent, body="Hello"))
    assert cast.ticket.replies.filter(body="Hello").exists()
    row = OutboundEmail.objects.get(recipient=cast.requester)
    assert row.sent_at is None and row.attempts == 1 and "bad template" in row.last_error
    monkeypatch.undo()
    retry_at = OutboundEmail.objects.latest("next_attempt_at").next_attempt_at
    assert outbox.deliver_due(now=retry_at) == 2
    assert sent_to() == ["colleague@northwind.example", "requester@northwind.example"]
