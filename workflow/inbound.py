"""Email in (SPEC §10): one function, `receive(raw)`, for the MTA pipe command and the IMAP poll alike.

A reply lands on its request as a public reply (reopening it if Solved) when it can be tied to the request
and its sender may post there: the requester, a CC, a holder of organisation-level access, or an agent.
Matching, in order: our signed reply address; our Message-IDs in In-Reply-To/References; a `[#id]` subject
tag, only for a sender who may post on that request. A message to the support address that matches nothing,
from a known customer, opens a new request. Everything else is refused and logged. A message is stored once
per Message-ID; automatic mail (auto-replies, bounces, bulk) never posts, reopens or answers.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage as OutgoingEmail
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, transaction

from accounts.models import User
from tickets.models import Channel, Ticket
from workflow import actions
from workflow.models import InboundEmail, OutboundEmail
from workflow.notifications import ticket_id_from_reply_address

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome


class TemporaryFailure(Exception):
    """The message could not be stored now (the database is unreachable); the mail system must retry."""


class Malformed(Exception):
    """The message cannot be read at all (too large, no sender); retrying will not help."""


@dataclass
class Received:
    outcome: str
    reason: str = ""
    ticket_id: int | None = None
    duplicate: bool = False
    reply_id: int | None = None


@dataclass
class Parsed:
    message_id: str
    sender: str
    subject: str
    recipients: list[str]
    thread_ids: list[str]
    automatic: bool
    body: str
    attachments: list[SimpleUploadedFile] = field(default_factory=list)
    dropped_attachments: int = 0


# --- The one entry point ----------------------------------------------------------------------------------


def receive(raw: bytes) -> Received:
    if len(raw) > settings.INBOUND_MAX_BYTES:
        raise Malformed(f"message of {len(raw)} bytes is over the limit of {settings.INBOUND_MAX_BYTES}")
    parsed = parse(raw)
    try:
        return _store(parsed)
    except (OperationalError, InterfaceError) as error:
        raise TemporaryFailure(str(error)) from error
    except DataError as error:
        raise Malformed(f"the database cannot store this message: {error}") from error


def _store(parsed: Parsed) -> Received:
    first = InboundEmail.objects.filter(message_id=parsed.message_id).first()
    if first is not None:
        logger.info("Email-in: %s was already received (%s); ignored.", parsed.message_id, first.outcome)
        return Received(first.outcome, "already received", first.ticket_id, duplicate=True)
    try:
        with transaction.atomic():
            received = _decide(parsed)
            InboundEmail.objects.create(
                message_id=parsed.message_id,
                sender=parsed.sender[:254],
                subject=parsed.subject[:255],
                outcome=received.outcome,
                reason=received.reason,
                ticket_id=received.ticket_id,
                reply_id=received.reply_id,
            )
    except IntegrityError:
        # Another delivery of the same message won the race; this one stores nothing.
        first = InboundEmail.objects.get(message_id=parsed.message_id)
        return Received(first.outcome, "already received", first.ticket_id, duplicate=True)
    log = logger.info if received.outcome in {Outcome.POSTED, Outcome.OPENED} else logger.warning
    log("Email-in: %s from %s: %s %s", parsed.message_id, parsed.sender, received.outcome, received.reason)
    if received.outcome == Outcome.REFUSED:
        _bounce(parsed, received.reason)
    return received


def _decide(parsed: Parsed) -> Received:
    if parsed.automatic:
        return Received(Outcome.AUTOMATIC, "automatic message (auto-reply, bounce or bulk)")
    person = User.objects.filter(email=parsed.sender, is_active=True).first() if parsed.sender else None
    ticket_id, how = _match(parsed, person)
    if person is None:
        return Received(Outcome.REFUSED, "unknown sender", ticket_id)
    if ticket_id is None and _TAG.search(parsed.subject):
        return Received(Outcome.REFUSED, "the subject names a request the sender may not post on")
    if ticket_id is None:
        return _open_new(parsed, person)
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or not _may_post(person, ticket):
        return Received(Outcome.REFUSED, f"sender may not post on request #{ticket_id} (matched by {how})", ticket_id)
    if not parsed.body and not parsed.attachments:
        return Received(Outcome.EMPTY, "no text and no attachment", ticket_id)
    message = actions.reply(
        ticket=ticket,
        author=person,
        body=_with_notes(parsed) or "(attachment)",
        attachments=parsed.attachments,
        via=Channel.EMAIL,
    )
    return Received(Outcome.POSTED, f"matched by {how}", ticket_id, reply_id=message.pk)


def _open_new(parsed: Parsed, person: User) -> Received:
    if settings.SUPPORT_ADDRESS.lower() not in parsed.recipients:
        return Received(Outcome.REFUSED, "matches no request and was not sent to the support address")
    if person.is_staff or person.organisation_id is None:
        return Received(Outcome.REFUSED, "only customers open requests by email")
    if not parsed.body and not parsed.attachments:
        return Received(Outcome.EMPTY, "no text and no attachment")
    ticket = actions.open_request(
        requester=person,
        subject=(parsed.subject or "(no subject)")[:150],
        body=_with_notes(parsed) or "(attachment)",
        priority="S3",
        attachments=parsed.attachments,
        via=Channel.EMAIL,
    )
    return Received(
        Outcome.OPENED, "new request", ticket.pk, reply_id=ticket.replies.values_list("pk", flat=True).first()
    )


def _may_post(person: User, ticket: Ticket) -> bool:
    # The visibility gate is the rule: requester, CC, organisation-level access, or an agent.
    return Ticket.objects.sees(person, ticket.pk)


_TAG = re.compile(r"\[#(\d{1,18})\]")


def _match(parsed: Parsed, person: User | None) -> tuple[int | None, str]:
    for address in parsed.recipients:
        number = ticket_id_from_reply_address(address)
        if number is not None:
            return number, "reply address"
    if parsed.thread_ids:
        known = OutboundEmail.objects.filter(message_id__in=parsed.thread_ids).values_list("ticket_id", flat=True)
        number = next(iter(known), None) or _thread_root_id(parsed.thread_ids)
        if number is not None:
            return number, "thread headers"
    tag = _TAG.search(parsed.subject)
    if tag and person is not None:
        number = int(tag.group(1))
        if Ticket.objects.filter(pk=number).exists() and _may_post(person, Ticket(pk=number)):
            return number, "subject tag"
    return None, ""


def _thread_root_id(ids: list[str]) -> int | None:
    domain = re.escape(settings.REPLY_DOMAIN.lower())
    for value in ids:
        found = re.fullmatch(rf"<(?:[0-9a-f]{{32}}\.)?request-(\d{{1,18}})@{domain}>", value.lower())
        if found:
            return int(found.group(1))
    return None


def _with_notes(parsed: Parsed) -> str:
    if not parsed.dropped_attachments:
        return parsed.body
    note = f"({parsed.dropped_attachments} attachment(s) were over the size or count limit and were not kept.)"
    return f"{parsed.body}\n\n{note}".strip()


def _bounce(parsed: Parsed, reason: str) -> None:
    """Tell a known sender why their message was not posted. Never to an unknown or automatic sender, which
    would be backscatter to a possibly forged address."""
    if parsed.automatic or not User.objects.filter(email=parsed.sender, is_active=True).exists():
        return
    try:
        OutgoingEmail(
            subject=f"Not delivered: {parsed.subject}"[:200],
            body=(
                "Your message could not be added to a support request, so nothing was posted.\n\n"
                "Reply from the address the request's notifications were sent to, or open the request in the "
                "portal and reply there."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[parsed.sender],
            headers={"Auto-Submitted": "auto-replied"},
        ).send()
    except Exception:
        logger.warning("Email-in: could not send the bounce for %s", parsed.message_id, exc_info=True)


# --- Parsing ----------------------------------------------------------------------------------------------


def parse(raw: bytes) -> Parsed:
    message = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    if not sender or "@" not in sender:
        raise Malformed("the message has no usable From address")
    message_id = str(message.get("Message-ID", "")).strip()[:255]
    if not message_id:
        # Without a Message-ID the content is the identity: the same bytes delivered twice are stored once.
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id>"
    recipients = [
        address.lower()
        for _, address in getaddresses(
            [
                str(value)
                for name in ("To", "Cc", "Delivered-To", "X-Original-To")
                for value in message.get_all(name, [])
            ]
        )
        if address
    ]
    thread_ids = re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    body, attachments, dropped = _content(message)
    return Parsed(
        message_id=message_id.replace("\x00", ""),
        sender=sender,
        subject=str(message.get("Subject", "")).replace("\x00", "").strip(),
        recipients=recipients,
        thread_ids=thread_ids,
        automatic=_is_automatic(message, sender),
        body=strip_quoted(body.replace("\x00", "")),
        attachments=attachments,
        dropped_attachments=dropped,
    )


def _is_automatic(message: EmailMessage, sender: str) -> bool:
    if str(message.get("Auto-Submitted", "no")).strip().lower() != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("X-Auto-Response-Suppress") == "All":
        return True
    if str(message.get("Precedence", "")).strip().lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    if sender.split("@")[0] in {"mailer-daemon", "postmaster", "noreply", "no-reply"}:
        return True
    return message.get_content_type() == "multipart/report"


def _content(message: EmailMessage) -> tuple[str, list[SimpleUploadedFile], int]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    body = ""
    if text_part is not None:
        body = _decoded(text_part)
    elif html_part is not None:
        body = html_to_text(_decoded(html_part))
    files: list[SimpleUploadedFile] = []
    dropped = 0
    for part in _leaf_parts(message):
        if part in (text_part, html_part):
            continue
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            payload = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            name = part.get_filename() or "attached-message.eml"
        else:
            name = part.get_filename()
            is_inline_image = part.get_content_maintype() == "image" and part.get("Content-ID")
            if not name and not is_inline_image:
                continue
            payload = part.get_payload(decode=True) or b""
            name = name or f"image-{len(files) + 1}.{part.get_content_subtype()}"
        if len(payload) > settings.ATTACHMENT_MAX_BYTES or len(files) >= settings.ATTACHMENT_MAX_COUNT or not payload:
            dropped += 1
            continue
        files.append(SimpleUploadedFile(name.replace("\x00", "")[:255], payload, content_type=part.get_content_type()))
    return body, files, dropped


def _leaf_parts(part: EmailMessage):
    """Every non-multipart part, without descending into attached messages (each is one attachment)."""
    if part.get_content_type() == "message/rfc822":
        yield part
    elif part.is_multipart():
        for child in part.iter_parts():
            yield from _leaf_parts(child)
    else:
        yield part


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        # An unknown or wrong charset label: keep what can be read rather than lose the message.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag in {"script", "style", "head"}:
            self.skip += 1
        elif tag == "blockquote" or "gmail_quote" in classes or "moz-cite-prefix" in classes:
            self.quote += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "head"} and self.skip:
            self.skip -= 1
        if tag == "blockquote" and self.quote:
            self.quote -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append("".join(f"> {line}" if self.quote else line for line in data.splitlines(True)))


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    text = "".join(extractor.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


# The line a mail client writes above the quoted message, in the languages of our customers.
_ATTRIBUTION = re.compile(
    r"^\s*("
    r"On .{3,200}wrote:?"  # English (Gmail, Apple Mail, Thunderbird)
    r"|Am .{3,200}schrieb .{1,200}:?"  # German
    r"|El .{3,200}escribi[óo]:?"  # Spanish
    r"|Pada .{3,200}menulis:?"  # Indonesian
    r"|.{1,200}(?:のメッセージ|が書きました)[:：]?"  # Japanese
    r"|.{0,200}<[^<>@\s]+@[^<>\s]+>\s*[:：]"  # "date, Name <address>:" as Gmail writes it in any language
    r"|.{1,200}님이 작성:?"  # Korean
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Mensaje original|元のメッセージ|원본 메시지)\s*-{2,}"
    r"|_{10,}"  # Outlook's rule above the quoted header block
    r"|(?:From|Von|De|Dari|差出人|보낸 사람):\s.+"  # Outlook's header block
    r")\s*$",
    re.IGNORECASE,
)


# Mail clients that write the reply above a header block of the quoted message (Outlook): cut there.
_HARD_CUT = re.compile(
    r"^\s*(-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Mensaje original|元のメッセージ|원본 메시지)\s*-{2,}"
    r"|_{10,}"
    r"|(?:From|Von|De|Dari|差出人|보낸 사람):\s.+)\s*$",
    re.IGNORECASE,
)
# The second half of an attribution line that the client wrapped ("… <support@…>" / "wrote:").
_WRAPPED_TAIL = re.compile(r"^\s*(?:wrote|schrieb|escribi[óo]|menulis)\b.{0,40}:\s*$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new text of a reply: without the quoted history, the client's attribution line and the signature.

    Works for replies written above the quote (Gmail, Outlook, Apple Mail), below it and in between
    (Thunderbird's default): quoted lines are dropped wherever they are, and the new text around them kept."""
    lines = _join_wrapped_attributions(text.replace("\r\n", "\n").split("\n"))
    kept: list[str] = []
    for line in lines:
        if line.rstrip() == "--":
            break  # the signature separator ("-- ")
        if _HARD_CUT.match(line) and any(previous.strip() for previous in kept):
            break
        if line.startswith(">") or _ATTRIBUTION.match(line):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _join_wrapped_attributions(lines: list[str]) -> list[str]:
    joined: list[str] = []
    for line in lines:
        if joined and _WRAPPED_TAIL.match(line) and joined[-1].strip():
            joined[-1] = f"{joined[-1].rstrip()} {line.strip()}"
        else:
            joined.append(line)
    return joined
