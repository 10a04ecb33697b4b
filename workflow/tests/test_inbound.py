"""Email in (SPEC §10, issue #6): `workflow.inbound.receive(raw)` with whole messages as real clients send them.

Matching (reply address, then our Message-IDs, then a `[#id]` tag for someone who may post), who may post,
what is kept of a message (the new text, decoded; attachments and inline images), the reopen, and the
never-twice / never-lost rules. The pipe command and the IMAP poll, which both hand their bytes to `receive`,
have their own modules.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from accounts.models import User
from portal.tests.factories import TicketFactory
from tickets.models import Attachment, Channel, EventKind, Reply, Ticket, TicketEvent
from workflow import actions, inbound
from workflow.models import InboundEmail, OutboundEmail, Status
from workflow.notifications import thread_root
from workflow.tests._mail_support import fill, message, new_message_id

# The files inside the fixtures, by content (independent of the product's decoding).
PDF_SHA256 = "2027be740a4854dfd4f35419dda2d14a5dd81d83d723c571327c3e52e0946ca9"  # export-error.pdf, 457 bytes
PNG_SHA256 = "705566773203fe8b5967907a01afdf590b6e2411afa5afef36a1587711ba6f02"  # the Apple Mail screenshot, 72 bytes

GMAIL_TEXT = (
    "Hi,\n\nThe tiles are still empty after the upgrade. I cleared the browser cache and\n"
    "tried Chrome and Firefox, same result."
)
FOREIGN_ID = "<CAJx8Hq2p0=vT9kQ3mZ1+u7rB@mail.gmail.com>"  # somebody else's message: matches nothing of ours


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="workflow.inbound")
    return caplog


@pytest.fixture
def bounce_attempts(monkeypatch):
    """The recipients of every bounce receive() tries to send, recorded before any mail backend is involved."""
    attempts: list[list[str]] = []

    class Recording(inbound.OutgoingEmail):
        def send(self, *args, **kwargs):
            attempts.append(list(self.to))
            return super().send(*args, **kwargs)

    monkeypatch.setattr(inbound, "OutgoingEmail", Recording)
    return attempts


def solve(ticket, agent):
    actions.change_status(ticket=ticket, to=Status.SOLVED, actor=agent, reason="The tile cache was rebuilt.")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def email_replies(ticket):
    return list(Reply.objects.filter(ticket=ticket, channel=Channel.EMAIL).order_by("pk"))


def stored(message_id: str) -> InboundEmail:
    return InboundEmail.objects.get(message_id=message_id)


def sha256(attachment: Attachment) -> str:
    with attachment.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


# --- Matching ---------------------------------------------------------------------------------------------


def test_a_reply_to_the_signed_reply_address_is_posted_on_its_request(cast, log):
    message_id = new_message_id()
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id)

    received = inbound.receive(raw)

    assert (received.outcome, received.reason, received.ticket_id, received.duplicate) == (
        InboundEmail.Outcome.POSTED,
        "matched by reply address",
        cast.ticket.pk,
        False,
    )
    [posted] = email_replies(cast.ticket)
    assert (posted.author, posted.body, posted.is_public) == (cast.requester, GMAIL_TEXT, True)
    row = stored(message_id)
    assert (row.sender, row.outcome, row.ticket_id) == ("requester@northwind.example", "posted", cast.ticket.pk)
    assert row.subject == f"Re: [#{cast.ticket.pk}] Solved: Dashboard tiles fail to load"
    assert f"Email-in: {message_id} from requester@northwind.example: posted matched by reply address" in log.text


def test_the_reply_address_wins_over_thread_headers_of_another_request(cast):
    second = TicketFactory(requester=cast.requester, subject="Exports time out")
    raw = message(
        "gmail_reply.eml",
        sender=cast.requester,
        ticket=cast.ticket,
        in_reply_to=thread_root(second),
        references=thread_root(second),
    )

    received = inbound.receive(raw)

    assert (received.ticket_id, received.reason) == (cast.ticket.pk, "matched by reply address")
    assert len(email_replies(cast.ticket)) == 1
    assert email_replies(second) == []


def test_a_reply_without_the_reply_address_is_matched_by_the_thread_root_in_references(cast):
    raw = message(
        "outlook_reply.eml",
        sender=cast.colleague,
        ticket=cast.ticket,
        to="support@localhost",
        in_reply_to=FOREIGN_ID,
        references=f"{FOREIGN_ID} {thread_root(cast.ticket)}",
    )

    received = inbound.receive(raw)

    assert (received.outcome, received.ticket_id, received.reason) == (
        "posted",
        cast.ticket.pk,
        "matched by thread headers",
    )
    assert [reply.author for reply in email_replies(cast.ticket)] == [cast.colleague]


def test_a_reply_is_matched_by_the_stored_message_id_of_the_notification_it_answers(cast):
    # A notification sent before REPLY_DOMAIN changed: its Message-ID no longer has today's form, but the
    # outbox remembers which request it belonged to.
    old_id = "<7d1e0c3a9b2f4e6a8c5d1f0b3a7e9c2d.request-77@old-portal.northwind.example>"
    OutboundEmail.objects.create(ticket=cast.ticket, recipient=cast.requester, kind="solved", message_id=old_id)
    raw = message(
        "gmail_reply.eml",
        sender=cast.requester,
        ticket=cast.ticket,
        to="support@localhost",
        in_reply_to=old_id,
        references=old_id,
    )

    received = inbound.receive(raw)

    assert (received.outcome, received.ticket_id, received.reason) == (
        "posted",
        cast.ticket.pk,
        "matched by thread headers",
    )
    assert [reply.body for reply in email_replies(cast.ticket)] == [GMAIL_TEXT]


def test_thread_headers_win_over_a_subject_tag_naming_another_request(cast):
    second = TicketFactory(requester=cast.requester, subject="Exports time out")
    # The subject says [#second]; the thread headers say cast.ticket.
    raw = message(
        "gmail_reply.eml",
        sender=cast.requester,
        ticket=second,
        to="support@localhost",
        in_reply_to=thread_root(cast.ticket),
        references=thread_root(cast.ticket),
    )

    received = inbound.receive(raw)

    assert (received.ticket_id, received.reason) == (cast.ticket.pk, "matched by thread headers")
    assert email_replies(second) == []


def test_a_reply_address_with_a_wrong_token_is_not_trusted(cast):
    forged = f"reply+{cast.ticket.pk}.{'0' * 24}@localhost"
    raw = message(
        "gmail_reply.eml",
        sender=cast.requester,
        ticket=cast.ticket,
        to=forged,
        in_reply_to=FOREIGN_ID,
        references=FOREIGN_ID,
    )

    received = inbound.receive(raw)

    # Only the subject tag ties it to the request, and the requester may post there.
    assert (received.outcome, received.ticket_id, received.reason) == (
        "posted",
        cast.ticket.pk,
        "matched by subject tag",
    )


def test_a_subject_tag_alone_matches_for_someone_who_may_post(cast):
    raw = message(
        "thunderbird_reply.eml",
        sender=cast.contact,
        ticket=cast.ticket,
        to="support@localhost",
        in_reply_to=FOREIGN_ID,
        references=FOREIGN_ID,
    )

    received = inbound.receive(raw)

    assert (received.outcome, received.ticket_id, received.reason) == (
        "posted",
        cast.ticket.pk,
        "matched by subject tag",
    )
    assert [reply.author for reply in email_replies(cast.ticket)] == [cast.contact]


@pytest.mark.parametrize("stranger", ["bystander", "outsider"])
def test_a_subject_tag_from_a_stranger_never_posts_on_that_request(cast, stranger):
    solve(cast.ticket, cast.agent)
    raw = message(
        "gmail_reply.eml",
        sender=getattr(cast, stranger),
        ticket=cast.ticket,
        to="support@localhost",
        in_reply_to=FOREIGN_ID,
        references=FOREIGN_ID,
    )

    inbound.receive(raw)

    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.SOLVED
    assert email_replies(cast.ticket) == []


@pytest.mark.parametrize("stranger", ["bystander", "outsider"])
def test_a_subject_tag_from_a_stranger_is_refused_and_logged(cast, stranger, log):
    person = getattr(cast, stranger)
    message_id = new_message_id()
    requests_before = Ticket.objects.count()
    raw = message(
        "gmail_reply.eml",
        sender=person,
        ticket=cast.ticket,
        to="support@localhost",
        message_id=message_id,
        in_reply_to=FOREIGN_ID,
        references=FOREIGN_ID,
    )

    received = inbound.receive(raw)

    assert received.outcome == InboundEmail.Outcome.REFUSED
    assert stored(message_id).outcome == "refused"
    assert Ticket.objects.count() == requests_before
    assert f"Email-in: {message_id} from {person.email}: refused" in log.text


def test_a_message_to_the_support_address_from_a_customer_opens_a_request_in_their_organisation(cast, log):
    message_id = new_message_id()
    raw = message("gmail_new_request_de.eml", sender=cast.colleague, to="support@localhost", message_id=message_id)

    received = inbound.receive(raw)

    assert received.outcome == InboundEmail.Outcome.OPENED
    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert (ticket.requester, ticket.organisation, ticket.channel, ticket.status, ticket.priority) == (
        cast.colleague,
        cast.org,
        Channel.EMAIL,
        Status.OPEN,
        "S3",
    )
    assert ticket.subject == "Dashboard lädt nicht mehr"
    [first] = ticket.replies.all()
    assert (first.author, first.channel) == (cast.colleague, Channel.EMAIL)
    assert first.body == (
        "Hallo,\n\nseit dem Update heute Morgen lädt das Dashboard für alle Benutzer in Köln\n"
        "nicht mehr. Die Kacheln bleiben leer, die Größe des Fensters spielt keine\nRolle.\n\nViele Grüße\nRita"
    )
    assert stored(message_id).ticket_id == ticket.pk
    assert f"Email-in: {message_id} from colleague@northwind.example: opened new request" in log.text


def test_a_new_message_from_an_unknown_sender_is_refused_without_a_bounce(cast, log, bounce_attempts, mailoutbox):
    message_id = new_message_id()
    requests_before = Ticket.objects.count()
    raw = message(
        "gmail_new_request_de.eml",
        sender="Mallory <mallory@unknown.example>",
        to="support@localhost",
        message_id=message_id,
    )

    received = inbound.receive(raw)

    assert (received.outcome, received.reason) == ("refused", "unknown sender")
    assert Ticket.objects.count() == requests_before
    assert stored(message_id).outcome == "refused"
    assert (bounce_attempts, mailoutbox) == ([], [])
    warnings = [r.getMessage() for r in log.records if r.levelno == logging.WARNING]
    assert warnings == [f"Email-in: {message_id} from mallory@unknown.example: refused unknown sender"]


def test_a_message_that_matches_nothing_and_is_not_for_the_support_address_is_refused(cast):
    requests_before = Ticket.objects.count()
    raw = message("gmail_new_request_de.eml", sender=cast.requester, to="sales@localhost")

    received = inbound.receive(raw)

    assert (received.outcome, received.reason) == (
        "refused",
        "matches no request and was not sent to the support address",
    )
    assert Ticket.objects.count() == requests_before


def test_an_agent_cannot_open_a_request_by_email(cast):
    requests_before = Ticket.objects.count()
    raw = message("gmail_new_request_de.eml", sender=cast.agent, to="support@localhost")

    received = inbound.receive(raw)

    assert (received.outcome, received.reason) == ("refused", "only customers open requests by email")
    assert Ticket.objects.count() == requests_before


# --- Who may post -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("poster", ["requester", "colleague", "contact", "agent"])
def test_the_requester_a_cc_an_organisation_viewer_and_an_agent_may_post(cast, poster):
    person = getattr(cast, poster)

    received = inbound.receive(message("gmail_reply.eml", sender=person, ticket=cast.ticket))

    assert received.outcome == InboundEmail.Outcome.POSTED
    [posted] = email_replies(cast.ticket)
    assert (posted.author, posted.body) == (person, GMAIL_TEXT)


def _revoked_contact(cast):
    cast.grant.revoked_at = timezone.now()
    cast.grant.save()
    return cast.contact


def _deactivated_requester(cast):
    User.objects.filter(pk=cast.requester.pk).update(is_active=False)
    return cast.requester


NOT_ALLOWED = "sender may not post on request #{id} (matched by reply address)"
STRANGERS = {
    # persona: (who sends, the refusal's reason)
    "bystander": (lambda cast: cast.bystander, NOT_ALLOWED),
    "outsider": (lambda cast: cast.outsider, NOT_ALLOWED),
    "revoked_contact": (_revoked_contact, NOT_ALLOWED),
    "unknown": (lambda cast: "Mallory <mallory@unknown.example>", "unknown sender"),
    "deactivated_requester": (_deactivated_requester, "unknown sender"),
}


@pytest.mark.parametrize("stranger", list(STRANGERS))
def test_a_stranger_on_a_valid_reply_address_is_refused_logged_and_changes_nothing(cast, stranger, log):
    who, reason = STRANGERS[stranger]
    solve(cast.ticket, cast.agent)
    sender = who(cast)
    address = sender.email if isinstance(sender, User) else "mallory@unknown.example"
    message_id = new_message_id()
    raw = message(
        "gmail_reply.eml",
        sender=sender,
        ticket=cast.ticket,
        message_id=message_id,
        headers={"Cc": "Bea Bystander <bystander@northwind.example>, Otto Outsider <outsider@globex.example>"},
    )
    version = Ticket.objects.get(pk=cast.ticket.pk).version
    requests_before = Ticket.objects.count()

    received = inbound.receive(raw)

    expected_reason = reason.format(id=cast.ticket.pk)
    assert (received.outcome, received.reason) == (InboundEmail.Outcome.REFUSED, expected_reason)
    row = stored(message_id)
    assert (row.outcome, row.reason, row.sender) == ("refused", expected_reason, address)
    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert (ticket.status, ticket.version) == (Status.SOLVED, version)
    assert email_replies(ticket) == []
    assert list(ticket.ccs.all()) == [cast.colleague]
    assert Ticket.objects.count() == requests_before
    assert f"Email-in: {message_id} from {address}: refused {expected_reason}" in [
        r.getMessage() for r in log.records if r.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("stranger", ["unknown", "deactivated_requester"])
def test_a_refusal_is_never_bounced_to_an_unknown_or_deactivated_sender(cast, stranger, bounce_attempts, mailoutbox):
    who, _ = STRANGERS[stranger]

    received = inbound.receive(message("gmail_reply.eml", sender=who(cast), ticket=cast.ticket))

    assert received.outcome == InboundEmail.Outcome.REFUSED
    assert (bounce_attempts, mailoutbox) == ([], [])


REFUSALS_TO_KNOWN_SENDERS = [
    "bystander_on_reply_address",
    "outsider_on_reply_address",
    "revoked_contact",
    "not_to_the_support_address",
]


def _refused_message(cast, refusal):
    if refusal == "not_to_the_support_address":
        return cast.requester, message("gmail_new_request_de.eml", sender=cast.requester, to="sales@localhost")
    sender = _revoked_contact(cast) if refusal == "revoked_contact" else getattr(cast, refusal.split("_")[0])
    return sender, message("gmail_reply.eml", sender=sender, ticket=cast.ticket)


@pytest.mark.parametrize("refusal", REFUSALS_TO_KNOWN_SENDERS)
def test_a_refusal_to_a_known_sender_asks_for_a_bounce_to_that_sender_only(cast, refusal, bounce_attempts):
    sender, raw = _refused_message(cast, refusal)

    assert inbound.receive(raw).outcome == InboundEmail.Outcome.REFUSED

    assert bounce_attempts == [[sender.email]]


@pytest.mark.parametrize("refusal", REFUSALS_TO_KNOWN_SENDERS)
def test_a_refusal_is_bounced_to_a_known_sender_once(cast, refusal, mailoutbox):
    sender, raw = _refused_message(cast, refusal)

    assert inbound.receive(raw).outcome == InboundEmail.Outcome.REFUSED

    assert [mail.to for mail in mailoutbox] == [[sender.email]]


def test_a_thread_header_match_does_not_let_a_stranger_post(cast):
    solve(cast.ticket, cast.agent)
    raw = message("outlook_reply.eml", sender=cast.outsider, ticket=cast.ticket, to="support@localhost")

    received = inbound.receive(raw)

    assert (received.outcome, received.reason) == (
        "refused",
        f"sender may not post on request #{cast.ticket.pk} (matched by thread headers)",
    )
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED


def test_a_reply_to_the_address_of_another_organisations_request_is_refused(cast):
    actions.change_status(ticket=cast.other_ticket, to=Status.SOLVED, actor=cast.agent, reason="Answered.")
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.other_ticket)

    received = inbound.receive(raw)

    assert (received.outcome, received.reason, received.ticket_id) == (
        "refused",
        f"sender may not post on request #{cast.other_ticket.pk} (matched by reply address)",
        cast.other_ticket.pk,
    )
    other = Ticket.objects.get(pk=cast.other_ticket.pk)
    assert other.status == Status.SOLVED
    assert email_replies(other) == []


def test_the_bounce_says_nothing_was_posted_and_is_marked_automatic(cast, mailoutbox):
    raw = message("gmail_reply.eml", sender=cast.outsider, ticket=cast.ticket)

    inbound.receive(raw)

    [bounce] = mailoutbox
    assert bounce.to == [cast.outsider.email]
    assert bounce.subject == f"Not delivered: Re: [#{cast.ticket.pk}] Solved: Dashboard tiles fail to load"
    assert "nothing was posted" in bounce.body
    assert bounce.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_posted_reply_adds_nobody_from_its_to_and_cc_lines(cast):
    raw = message(
        "gmail_reply.eml",
        sender=cast.requester,
        ticket=cast.ticket,
        headers={"Cc": "Bea Bystander <bystander@northwind.example>, Otto Outsider <outsider@globex.example>"},
    )

    assert inbound.receive(raw).outcome == InboundEmail.Outcome.POSTED

    assert list(Ticket.objects.get(pk=cast.ticket.pk).ccs.all()) == [cast.colleague]


# --- Content: the new text only, decoded ------------------------------------------------------------------

CONTENT = {
    # fixture: (sender, the text stored)
    "gmail_reply.eml": ("requester", GMAIL_TEXT),
    # Outlook marks no signature: the sign-off stays; the "____" rule and From:/Sent: block end the reply.
    "outlook_reply.eml": (
        "colleague",
        "Hi,\n\nThe tiles are back for me too, but the export button on the same page still does nothing. "
        "Could you have a look?\n\nKind regards,\nCole Colleague\nNorthwind Ltd.",
    ),
    # ISO-8859-1, quoted-printable; Outlook desktop's German "Von:/Gesendet:" block ends the reply.
    "outlook_reply_de.eml": (
        "requester",
        "Hallo,\n\ndie Kacheln bleiben leider weiterhin leer. Ich habe den Browser-Cache gelöscht und mich neu "
        "angemeldet, ohne Erfolg. Größe und Zoom des Fensters ändern nichts.\n\nMit freundlichen Grüßen\n"
        "Rita Requester\nNorthwind GmbH · IT-Betrieb",
    ),
    # ISO-2022-JP, 7bit; "差出人:" block.
    "outlook_reply_ja.eml": (
        "requester",
        "サポートご担当者様\n\nお世話になっております。\nダッシュボードを開こうとすると「ログインできません」と"
        "表示されます。\nパスワードを再設定しても同じです。\n\nよろしくお願いいたします。\nRita",
    ),
    # Shift_JIS, base64.
    "thunderbird_reply_shift_jis.eml": (
        "requester",
        "お世話になっております。\n\nログイン画面で「ログインできません」と表示され、先へ進めません。\n"
        "スクリーンショットは後ほどお送りします。",
    ),
    # EUC-KR, base64; "보낸 사람:" block.
    "outlook_reply_ko.eml": (
        "requester",
        "안녕하세요.\n\n대시보드에 접속하면 「로그인이 안 됩니다」 오류가 계속 나타납니다.\n"
        "확인 부탁드립니다.\n\n감사합니다.\nRita",
    ),
    # UTF-8, quoted-printable; Apple Mail quotes its own attribution line.
    "apple_mail_reply.eml": ("contact", "Confirmed on our side as well — all tiles load again since 11:05.\n\nTess"),
    # UTF-8, 8bit, format=flowed; "-- " signature.
    "thunderbird_reply.eml": (
        "contact",
        'The export button works again here, thanks.\n\nOne thing: the "Last 7 days" filter still shows an empty '
        "chart.\nShould I open a separate request for that?",
    ),
    # HTML only: converted to text, the moz-cite-prefix and the blockquote dropped.
    "thunderbird_html_only.eml": (
        "contact",
        'Hello,\n\nThe chart under Reports > Usage is empty for "Last 7 days" but fine for "Last 30 days".\n\n'
        "Browser: Firefox 136\n\nTime zone: Europe/Berlin\n\nTess",
    ),
}


@pytest.mark.parametrize("fixture", list(CONTENT))
def test_a_reply_is_stored_as_its_new_text_decoded_without_quote_or_signature(cast, fixture):
    poster, text = CONTENT[fixture]

    received = inbound.receive(message(fixture, sender=getattr(cast, poster), ticket=cast.ticket))

    assert received.outcome == InboundEmail.Outcome.POSTED
    [posted] = email_replies(cast.ticket)
    assert posted.body == text


@pytest.mark.parametrize(
    ("fixture", "subject"),
    [
        ("outlook_reply_ja.eml", "RE: [#{id}] ダッシュボードにログインできません"),
        ("thunderbird_reply_shift_jis.eml", "Re: [#{id}] ログインできません"),
        ("outlook_reply_ko.eml", "RE: [#{id}] 로그인이 안 됩니다"),
    ],
)
def test_an_encoded_subject_is_logged_decoded(cast, fixture, subject):
    message_id = new_message_id()

    inbound.receive(message(fixture, sender=cast.requester, ticket=cast.ticket, message_id=message_id))

    assert stored(message_id).subject == subject.format(id=cast.ticket.pk)


def test_a_gmail_reply_with_a_wrapped_attribution_line_keeps_only_the_new_text(cast):
    raw = message("gmail_reply_wrapped_attribution.eml", sender=cast.requester, ticket=cast.ticket)

    inbound.receive(raw)

    [posted] = email_replies(cast.ticket)
    assert posted.body == f"{GMAIL_TEXT}\n\nRita"


def test_a_thunderbird_reply_written_below_the_quote_is_posted(cast):
    solve(cast.ticket, cast.agent)

    received = inbound.receive(message("thunderbird_reply_below_quote.eml", sender=cast.contact, ticket=cast.ticket))

    assert received.outcome == InboundEmail.Outcome.POSTED
    [posted] = email_replies(cast.ticket)
    assert posted.body == "The export button works again here, thanks."


# --- Attachments and inline images ------------------------------------------------------------------------


def test_an_attached_pdf_is_kept_with_its_name_and_bytes(cast):
    inbound.receive(message("gmail_reply_pdf.eml", sender=cast.requester, ticket=cast.ticket))

    [posted] = email_replies(cast.ticket)
    assert posted.body == "Here is the export that fails, as a PDF from the browser's print dialog."
    [attachment] = posted.attachments.all()
    assert (attachment.name, attachment.size, attachment.content_type) == ("export-error.pdf", 457, "application/pdf")
    assert sha256(attachment) == PDF_SHA256


def test_an_inline_image_is_kept_with_its_name_and_bytes(cast):
    inbound.receive(message("apple_mail_inline_image.eml", sender=cast.requester, ticket=cast.ticket))

    [posted] = email_replies(cast.ticket)
    assert posted.body == "This is what the dashboard shows right after signing in.\n\nRita"
    [image] = posted.attachments.all()
    assert (image.name, image.size, image.content_type) == ("Screenshot 2026-03-03 at 10.20.11.png", 72, "image/png")
    assert sha256(image) == PNG_SHA256


def test_an_attachment_over_the_size_limit_is_left_out_and_the_reply_says_so(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 456  # the PDF is 457 bytes

    inbound.receive(message("gmail_reply_pdf.eml", sender=cast.requester, ticket=cast.ticket))

    [posted] = email_replies(cast.ticket)
    assert list(posted.attachments.all()) == []
    assert posted.body == (
        "Here is the export that fails, as a PDF from the browser's print dialog.\n\n"
        "(1 attachment(s) were over the size or count limit and were not kept.)"
    )


def test_an_attachment_at_the_size_limit_is_kept(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 457

    inbound.receive(message("gmail_reply_pdf.eml", sender=cast.requester, ticket=cast.ticket))

    [posted] = email_replies(cast.ticket)
    assert [attachment.name for attachment in posted.attachments.all()] == ["export-error.pdf"]


def test_an_attached_email_is_kept_as_one_file(cast):
    inbound.receive(message("gmail_reply_email_attached.eml", sender=cast.requester, ticket=cast.ticket))

    [posted] = email_replies(cast.ticket)
    assert posted.body == "This is the alert our monitoring sent this morning, attached."
    assert [attachment.name for attachment in posted.attachments.all()] == ["ALERT dashboard-api 500 errors.eml"]


# --- Reopen -----------------------------------------------------------------------------------------------


def test_an_email_reply_reopens_a_solved_request_through_the_workflow(cast):
    solve(cast.ticket, cast.agent)

    inbound.receive(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket))

    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert (ticket.status, ticket.solved_at) == (Status.OPEN, None)
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("pk")
    assert (event.from_value, event.to_value, event.actor, event.reason) == (
        Status.SOLVED,
        Status.OPEN,
        cast.requester,
        "Reopened by a reply.",
    )


def test_an_email_reply_on_awaiting_your_reply_sets_open_and_stops_the_reminder_cycle(cast):
    actions.change_status(ticket=cast.ticket, to=Status.AWAITING_REPLY, actor=cast.agent)
    waiting = Ticket.objects.get(pk=cast.ticket.pk)
    assert waiting.awaiting_since is not None and waiting.next_automation_at is not None

    inbound.receive(message("outlook_reply.eml", sender=cast.colleague, ticket=cast.ticket))

    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert (ticket.status, ticket.awaiting_since, ticket.next_automation_at) == (Status.OPEN, None, None)
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("pk")
    assert (event.from_value, event.to_value, event.actor) == (Status.AWAITING_REPLY, Status.OPEN, cast.colleague)


# --- Never twice, never lost ------------------------------------------------------------------------------


def test_the_same_message_delivered_twice_is_stored_once(cast, log):
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket)

    first = inbound.receive(raw)
    second = inbound.receive(raw)

    assert (first.duplicate, second.duplicate) == (False, True)
    assert len(email_replies(cast.ticket)) == 1
    assert InboundEmail.objects.count() == 1
    assert "was already received (posted); ignored." in log.text


def test_the_same_message_id_with_other_bytes_is_still_a_duplicate(cast):
    message_id = new_message_id()
    inbound.receive(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id))

    # A second delivery through another relay: an extra Received line, the same message.
    again = b"Received: from relay2.northwind.example by mx.localhost; Tue, 3 Mar 2026 11:40:00 +0100\n" + message(
        "gmail_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id
    )

    assert inbound.receive(again).duplicate is True
    assert len(email_replies(cast.ticket)) == 1


def test_a_message_without_message_id_is_stored_once_by_its_content(cast):
    raw = message("scanner_no_message_id.eml", sender=cast.requester, to="support@localhost")
    assert b"Message-ID" not in raw and b"Message-Id" not in raw
    requests_before = Ticket.objects.count()

    first = inbound.receive(raw)
    second = inbound.receive(raw)

    assert (first.outcome, first.duplicate, second.duplicate) == ("opened", False, True)
    assert Ticket.objects.count() == requests_before + 1
    row = InboundEmail.objects.get()
    assert row.message_id == f"<sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id>"
    [scan] = Ticket.objects.get(pk=first.ticket_id).replies.get().attachments.all()
    assert (scan.name, sha256(scan)) == ("scan_0303_113112.pdf", PDF_SHA256)


AUTOMATIC = {
    "gmail_vacation_auto_submitted": ("autoreply_gmail_vacation.eml", lambda raw: raw),
    "x_autoreply": ("autoreply_x_autoreply.eml", lambda raw: raw),
    "precedence_bulk": ("autoreply_precedence_bulk.eml", lambda raw: raw),
    # A read receipt or delivery report sent in the customer's own name: only its multipart/report type tells.
    "multipart_report_without_auto_submitted": (
        "bounce_mailer_daemon.eml",
        lambda raw: raw.replace(b"Auto-Submitted: auto-replied\n", b""),
    ),
}


@pytest.mark.parametrize("kind", list(AUTOMATIC))
@pytest.mark.parametrize("sender", ["requester", "outsider"])
def test_automatic_mail_never_posts_reopens_or_gets_a_bounce(cast, kind, sender, bounce_attempts, mailoutbox):
    fixture, change = AUTOMATIC[kind]
    solve(cast.ticket, cast.agent)
    message_id = new_message_id()
    raw = change(message(fixture, sender=getattr(cast, sender), ticket=cast.ticket, message_id=message_id))
    requests_before = Ticket.objects.count()

    received = inbound.receive(raw)

    assert received.outcome == InboundEmail.Outcome.AUTOMATIC
    assert stored(message_id).outcome == "automatic"
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED
    assert email_replies(cast.ticket) == []
    assert Ticket.objects.count() == requests_before
    assert (bounce_attempts, mailoutbox) == ([], [])


def test_a_mailer_daemon_bounce_to_the_support_address_is_ignored(cast, bounce_attempts, mailoutbox):
    solve(cast.ticket, cast.agent)
    raw = message(
        "bounce_mailer_daemon.eml",
        sender="Mail Delivery System <MAILER-DAEMON@mx.northwind.example>",
        ticket=cast.ticket,
        to="support@localhost",
    ).replace(b"Auto-Submitted: auto-replied\n", b"")

    received = inbound.receive(raw)

    assert received.outcome == InboundEmail.Outcome.AUTOMATIC
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED
    assert (bounce_attempts, mailoutbox) == ([], [])


def test_a_reply_with_no_body_posts_nothing(cast, bounce_attempts, mailoutbox):
    solve(cast.ticket, cast.agent)
    message_id = new_message_id()

    received = inbound.receive(
        message("empty_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id)
    )

    assert (received.outcome, received.reason) == (InboundEmail.Outcome.EMPTY, "no text and no attachment")
    assert stored(message_id).outcome == "empty"
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED
    assert email_replies(cast.ticket) == []
    assert (bounce_attempts, mailoutbox) == ([], [])


def test_a_truncated_multipart_still_posts_its_text(cast):
    received = inbound.receive(message("truncated_multipart.eml", sender=cast.requester, ticket=cast.ticket))

    assert received.outcome == InboundEmail.Outcome.POSTED
    [posted] = email_replies(cast.ticket)
    assert posted.body == "The log from this morning is attached."


def test_a_message_with_garbage_headers_and_no_sender_is_malformed(db):
    with pytest.raises(inbound.Malformed, match="no usable From address"):
        inbound.receive(fill("garbage_headers.eml"))
    assert InboundEmail.objects.count() == 0


def test_a_message_over_the_size_limit_is_malformed(db, settings):
    settings.INBOUND_MAX_BYTES = 2048
    raw = b"From: rita@northwind.example\n\n" + b"x" * 2049

    with pytest.raises(inbound.Malformed, match="over the limit of 2048"):
        inbound.receive(raw)


def test_a_database_error_while_storing_is_a_temporary_failure(cast, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(InboundEmail.objects, "filter", down)

    with pytest.raises(inbound.TemporaryFailure, match="connection refused"):
        inbound.receive(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket))


def test_the_stored_inbound_email_links_the_reply_it_posted(cast):
    message_id = new_message_id()

    inbound.receive(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id))

    [posted] = email_replies(cast.ticket)
    assert stored(message_id).reply == posted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deliveries_of_one_message_at_the_same_moment_store_it_once(on_postgres, cast, monkeypatch):
    # The pipe and the IMAP poll (or an MTA retry) deliver the same message at once: both pass the "already
    # received?" check before either has stored it. The unique Message-ID lets only one of them land.
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket)
    both_checked = threading.Barrier(2, timeout=20)
    decide = inbound._decide

    def decide_together(parsed):
        both_checked.wait()
        return decide(parsed)

    monkeypatch.setattr(inbound, "_decide", decide_together)
    results: list[inbound.Received | BaseException] = []

    def deliver():
        try:
            results.append(inbound.receive(raw))
        except BaseException as error:  # reported by the assertion below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(result.duplicate for result in results) == [False, True], results
    assert len(email_replies(cast.ticket)) == 1
    assert InboundEmail.objects.count() == 1
