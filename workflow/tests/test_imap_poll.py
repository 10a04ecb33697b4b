"""The IMAP poll (`workflow.mailbox.poll`) against a real IMAP server process: pymap, started by these tests on
a free 127.0.0.1 port with its in-memory backend. Messages are put in with APPEND, as a mail server delivers
them; after a poll they are read back from the server to see which ones are marked \\Seen.

A message is marked \\Seen once it was dealt with (posted, opened, refused, ignored, unreadable); while the
database is unavailable it stays unread and the poll stops, so the next poll tries it again.
"""

from __future__ import annotations

import imaplib
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tickets.models import Channel, Reply, Ticket
from workflow import actions, inbound, mailbox
from workflow.models import InboundEmail, Status
from workflow.tests._mail_support import fill, imap_server, message, new_message_id

USER = "support"
# Special characters on purpose: the URL carries them percent-encoded (docs/operations.md).
PASSWORD = "p@ss:w/rd%&x"

GMAIL_TEXT = (
    "Hi,\n\nThe tiles are still empty after the upgrade. I cleared the browser cache and\n"
    "tried Chrome and Firefox, same result."
)
OUTLOOK_TEXT = (
    "Hi,\n\nThe tiles are back for me too, but the export button on the same page still does nothing. "
    "Could you have a look?\n\nKind regards,\nCole Colleague\nNorthwind Ltd."
)
SHIFT_JIS_TEXT = (
    "お世話になっております。\n\nログイン画面で「ログインできません」と表示され、先へ進めません。\n"
    "スクリーンショットは後ほどお送りします。"
)


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory):
    with imap_server(USER, PASSWORD, tmp_path_factory.mktemp("pymap") / "pymap.log") as port:
        yield port


@dataclass
class Folder:
    port: int
    name: str

    @property
    def url(self) -> str:
        return f"imap://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{self.name}"

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, *messages: bytes) -> list[bytes]:
        """Deliver the messages, unread; their UIDs in order."""
        client = self._client()
        try:
            for raw in messages:
                status, _ = client.append(self.name, None, None, raw)
                assert status == "OK"
            client.select(self.name, readonly=True)
            _, found = client.uid("SEARCH", None, "ALL")
            return found[0].split()
        finally:
            client.logout()

    def search(self, criterion: str) -> list[bytes]:
        client = self._client()
        try:
            client.select(self.name, readonly=True)
            _, found = client.uid("SEARCH", None, criterion)
            return found[0].split()
        finally:
            client.logout()


@pytest.fixture
def folder(imap_port):
    """An empty folder of its own for each test, on the one server."""
    name = f"Support-{uuid.uuid4().hex[:8]}"
    client = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
    try:
        client.login(USER, PASSWORD)
        assert client.create(name)[0] == "OK"
    finally:
        client.logout()
    return Folder(imap_port, name)


def email_replies(ticket):
    return list(Reply.objects.filter(ticket=ticket, channel=Channel.EMAIL).order_by("pk"))


def test_the_poll_hands_each_message_to_email_in_and_marks_it_seen(cast, folder):
    actions.change_status(ticket=cast.ticket, to=Status.SOLVED, actor=cast.agent, reason="Cache rebuilt.")
    stranger_id, auto_id = new_message_id(), new_message_id()
    uids = folder.append(
        message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket),
        message("outlook_reply.eml", sender=cast.colleague, ticket=cast.ticket),
        message("gmail_reply.eml", sender=cast.outsider, ticket=cast.ticket, message_id=stranger_id),
        fill("garbage_headers.eml"),
        message("autoreply_gmail_vacation.eml", sender=cast.requester, ticket=cast.ticket, message_id=auto_id),
        message("thunderbird_reply_shift_jis.eml", sender=cast.requester, ticket=cast.ticket),
    )
    assert len(uids) == 6 and folder.search("UNSEEN") == uids

    result = mailbox.poll(folder.url)

    assert (result.handled, result.left_unread) == (6, 0)
    assert folder.search("UNSEEN") == []
    assert folder.search("SEEN") == uids
    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert ticket.status == Status.OPEN
    assert [(reply.author, reply.body) for reply in email_replies(ticket)] == [
        (cast.requester, GMAIL_TEXT),
        (cast.colleague, OUTLOOK_TEXT),
        (cast.requester, SHIFT_JIS_TEXT),
    ]
    assert InboundEmail.objects.get(message_id=stranger_id).outcome == "refused"
    assert InboundEmail.objects.get(message_id=auto_id).outcome == "automatic"
    assert sorted(InboundEmail.objects.values_list("outcome", flat=True)) == [
        "automatic",
        "posted",
        "posted",
        "posted",
        "refused",
    ]


def test_a_new_request_sent_to_the_mailbox_is_opened(cast, folder):
    folder.append(message("gmail_new_request_de.eml", sender=cast.requester, to="support@localhost"))

    result = mailbox.poll(folder.url)

    assert result.handled == 1
    opened = Ticket.objects.get(subject="Dashboard lädt nicht mehr")
    assert (opened.requester, opened.channel) == (cast.requester, Channel.EMAIL)
    assert folder.search("UNSEEN") == []


def test_the_poll_leaves_messages_unread_while_the_database_is_unavailable(cast, folder, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="workflow.mailbox")
    uids = folder.append(
        message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket),
        message("outlook_reply.eml", sender=cast.colleague, ticket=cast.ticket),
    )
    calls = []

    def unavailable(raw):
        calls.append(raw)
        raise inbound.TemporaryFailure("connection refused")

    monkeypatch.setattr(inbound, "receive", unavailable)

    result = mailbox.poll(folder.url)

    assert (result.handled, result.left_unread) == (0, 1)
    assert len(calls) == 1  # the poll stops at the first failure
    assert folder.search("UNSEEN") == uids
    assert email_replies(cast.ticket) == []
    assert [(r.name, r.levelname) for r in caplog.records] == [("workflow.mailbox", "WARNING")]

    monkeypatch.undo()  # the database is back
    result = mailbox.poll(folder.url)

    assert (result.handled, result.left_unread) == (2, 0)
    assert folder.search("UNSEEN") == []
    assert [reply.body for reply in email_replies(cast.ticket)] == [GMAIL_TEXT, OUTLOOK_TEXT]


def _unavailable(raw):
    raise inbound.TemporaryFailure("connection refused")


@pytest.mark.parametrize("problem", ["temporary_failure", "malformed"])
def test_the_poll_log_line_names_the_message_by_its_uid(cast, folder, monkeypatch, caplog, problem):
    caplog.set_level(logging.WARNING, logger="workflow.mailbox")
    if problem == "temporary_failure":
        [uid] = folder.append(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket))
        monkeypatch.setattr(inbound, "receive", _unavailable)
        expected = f"IMAP poll: the database is unavailable; message {uid.decode()} stays unread."
    else:
        [uid] = folder.append(fill("garbage_headers.eml"))
        expected = (
            f"IMAP poll: message {uid.decode()} cannot be read (the message has no usable From address); marked read."
        )

    mailbox.poll(folder.url)

    assert [r.getMessage() for r in caplog.records if r.name == "workflow.mailbox"] == [expected]


def test_a_message_delivered_twice_to_the_mailbox_is_stored_once(cast, folder):
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket)
    folder.append(raw, raw)

    result = mailbox.poll(folder.url)

    assert result.handled == 2
    assert len(email_replies(cast.ticket)) == 1
    assert InboundEmail.objects.count() == 1
    assert folder.search("UNSEEN") == []


def test_a_second_poll_finds_nothing_new(cast, folder):
    folder.append(message("apple_mail_reply.eml", sender=cast.contact, ticket=cast.ticket))
    assert mailbox.poll(folder.url).handled == 1

    again = mailbox.poll(folder.url)

    assert (again.handled, again.left_unread) == (0, 0)
    assert len(email_replies(cast.ticket)) == 1


def test_a_message_that_cannot_be_stored_does_not_block_the_mailbox(cast, folder, request):
    poison = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket).replace(
        b"same result.", b"same\x00result."
    )
    folder.append(poison, message("outlook_reply.eml", sender=cast.colleague, ticket=cast.ticket))

    mailbox.poll(folder.url)

    assert [reply.author for reply in email_replies(cast.ticket) if reply.body == OUTLOOK_TEXT] == [cast.colleague]
    assert folder.search("UNSEEN") == []
