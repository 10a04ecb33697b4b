"""`manage.py receive_email`: one raw message on standard input, as an MTA's pipe transport hands it over.

Exit status (sysexits.h): 0 handled, 65 unreadable or too large (the MTA bounces it), 75 the database is
unavailable (the MTA keeps the message and retries). The first tests run the command as Postfix does, in its
own process with the production settings module, against this test's database (so they need it committed:
`transaction=True`); the others run the same command in this process, which is quicker for statuses and logs.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time

import pytest
from django.db import connection

from tickets.models import Channel, EventKind, Reply, Ticket, TicketEvent
from workflow import actions, inbound
from workflow.models import InboundEmail, Status
from workflow.tests._mail_support import (
    DATABASE_DOWN_URL,
    call_pipe,
    fill,
    message,
    new_message_id,
    pipe,
    shared_database_url,
)

GMAIL_TEXT = (
    "Hi,\n\nThe tiles are still empty after the upgrade. I cleared the browser cache and\n"
    "tried Chrome and Firefox, same result."
)
# The data must be committed for the command's own process to see it; the seeded policies come back after.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="workflow.inbound")
    return caplog


def no_traceback(records) -> bool:
    return not any(record.exc_info for record in records)


def solve(ticket, agent):
    actions.change_status(ticket=ticket, to=Status.SOLVED, actor=agent, reason="The tile cache was rebuilt.")


def thirty_megabytes(sender: str) -> bytes:
    """A Gmail-like message with a 22 MB attachment: about 30 MB once base64-encoded."""
    payload = base64.encodebytes(bytes(22 * 1024 * 1024)).replace(b"\n", b"\r\n")
    return (
        (
            f"From: {sender}\r\nTo: support@localhost\r\nSubject: The full server log\r\n"
            f"Message-ID: {new_message_id()}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="000000000000a0b1c2062f8c0d11"\r\n\r\n'
            '--000000000000a0b1c2062f8c0d11\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\n'
            "The whole log of last night is attached.\r\n\r\n"
            '--000000000000a0b1c2062f8c0d11\r\nContent-Type: application/gzip; name="server.log.gz"\r\n'
            'Content-Disposition: attachment; filename="server.log.gz"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + payload
        + b"\r\n--000000000000a0b1c2062f8c0d11--\r\n"
    )


# --- In its own process, as the MTA runs it ---------------------------------------------------------------


@committed
def test_the_pipe_posts_a_gmail_reply_and_reopens_the_solved_request(cast, tmp_path):
    solve(cast.ticket, cast.agent)
    message_id = new_message_id()
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id)

    done = pipe(raw, database_url=shared_database_url(), media_root=tmp_path)

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "posted matched by reply address"
    assert "Traceback" not in done.stderr.decode()
    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert ticket.status == Status.OPEN
    [posted] = Reply.objects.filter(ticket=ticket, channel=Channel.EMAIL)
    assert (posted.author, posted.body) == (cast.requester, GMAIL_TEXT)
    reopen = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("pk")
    assert (reopen.from_value, reopen.to_value, reopen.actor) == (Status.SOLVED, Status.OPEN, cast.requester)
    assert InboundEmail.objects.get(message_id=message_id).outcome == "posted"


def logged(stderr: bytes) -> str:
    """The command's log (one JSON object a line, portal/logs.py) as `LEVEL logger message` lines."""
    lines = []
    for line in stderr.decode().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        lines.append(f"{record['level']} {record['logger']} {record['message']}")
    return "\n".join(lines)


@committed
def test_the_pipe_refuses_a_stranger_with_exit_0_and_a_log_line(cast, tmp_path):
    solve(cast.ticket, cast.agent)
    message_id = new_message_id()
    raw = message(
        "outlook_reply.eml",
        sender=cast.outsider,
        ticket=cast.ticket,
        message_id=message_id,
        headers={"Cc": "Bea Bystander <bystander@northwind.example>"},
    )

    done = pipe(raw, database_url=shared_database_url(), media_root=tmp_path)

    reason = f"sender may not post on request #{cast.ticket.pk} (matched by reply address)"
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith(f"refused {reason}")
    assert f"WARNING workflow.inbound Email-in: {message_id} from outsider@globex.example: refused {reason}" in (
        logged(done.stderr)
    )
    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    assert ticket.status == Status.SOLVED
    assert not Reply.objects.filter(ticket=ticket, channel=Channel.EMAIL).exists()
    assert list(ticket.ccs.all()) == [cast.colleague]
    row = InboundEmail.objects.get(message_id=message_id)
    assert (row.outcome, row.sender) == ("refused", "outsider@globex.example")
    [bounce] = (tmp_path / "sent-mail").iterdir()  # a known sender is told, once
    assert "To: outsider@globex.example" in bounce.read_text() and "Auto-Submitted: auto-replied" in bounce.read_text()


def test_the_pipe_exits_75_without_a_traceback_when_the_database_is_down(tmp_path):
    raw = fill(
        "gmail_new_request_de.eml",
        FROM="Rita Requester <requester@northwind.example>",
        TO="support@localhost",
        MESSAGE_ID=new_message_id(),
    )

    done = pipe(raw, database_url=DATABASE_DOWN_URL, media_root=tmp_path, timeout=30)

    stderr = logged(done.stderr)
    assert done.returncode == 75, stderr
    assert re.search(r"ERROR workflow\.inbound Email-in: the database is unavailable, the MTA will retry: ", stderr)
    assert "Traceback" not in stderr
    assert done.stdout == b""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pipe_exits_65_quickly_for_a_30_mb_message(tmp_path):
    if connection.vendor == "postgresql":
        database_url = shared_database_url()
    else:  # nothing is read from the database; a scratch file stands in for the in-memory test database
        database_url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    raw = thirty_megabytes("Rita Requester <requester@northwind.example>")
    assert len(raw) > 30 * 1024 * 1024

    started = time.monotonic()
    done = pipe(raw, database_url=database_url, media_root=tmp_path, timeout=60)
    took = time.monotonic() - started

    stderr = logged(done.stderr)
    assert done.returncode == 65, stderr
    assert re.search(
        r"WARNING workflow\.inbound Email-in: refused an unreadable message: message of \d+ bytes is over the "
        r"limit of 26214400",
        stderr,
    )
    assert "Traceback" not in stderr
    assert took < 15, f"the command took {took:.1f} s for a message it should refuse unread"
    if connection.vendor == "postgresql":
        assert InboundEmail.objects.count() == 0


# --- The same command in this process ---------------------------------------------------------------------


def test_the_command_prints_the_outcome_and_exits_0_for_a_posted_reply(cast, log):
    raw = message("apple_mail_reply.eml", sender=cast.contact, ticket=cast.ticket)

    status, printed = call_pipe(raw)

    assert (status, printed.strip()) == (0, "posted matched by reply address")
    assert Reply.objects.filter(ticket=cast.ticket, channel=Channel.EMAIL, author=cast.contact).count() == 1
    assert no_traceback(log.records)


def test_a_second_delivery_of_the_same_message_exits_0_as_a_duplicate(cast):
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket)

    first = call_pipe(raw)
    second = call_pipe(raw)

    assert first == (0, "posted matched by reply address\n")
    assert second == (0, "posted (duplicate) already received\n")
    assert Reply.objects.filter(ticket=cast.ticket, channel=Channel.EMAIL).count() == 1


def test_the_envelope_from_line_postfix_prepends_is_accepted(cast):
    # master.cf in docs/operations.md uses flags=F: Postfix starts the message with an mbox "From " line.
    raw = b"From requester@northwind.example  Tue Mar  3 11:31:07 2026\n" + message(
        "gmail_reply.eml", sender=cast.requester, ticket=cast.ticket
    )

    status, printed = call_pipe(raw)

    assert (status, printed.strip()) == (0, "posted matched by reply address")
    assert Reply.objects.get(ticket=cast.ticket, channel=Channel.EMAIL).body == GMAIL_TEXT


def test_garbage_without_a_sender_exits_65_with_a_log_line_and_no_traceback(db, log):
    status, printed = call_pipe(fill("garbage_headers.eml"))

    assert (status, printed) == (65, "")
    assert [(r.levelname, r.getMessage()) for r in log.records] == [
        ("WARNING", "Email-in: refused an unreadable message: the message has no usable From address")
    ]
    assert no_traceback(log.records)
    assert InboundEmail.objects.count() == 0


def test_a_truncated_multipart_exits_0_and_posts_its_text(cast, log):
    raw = message("truncated_multipart.eml", sender=cast.requester, ticket=cast.ticket)

    status, printed = call_pipe(raw)

    assert (status, printed.strip()) == (0, "posted matched by reply address")
    assert Reply.objects.get(ticket=cast.ticket, channel=Channel.EMAIL).body == "The log from this morning is attached."
    assert no_traceback(log.records)


def test_a_message_with_no_body_exits_0_as_empty_and_posts_nothing(cast, log):
    solve(cast.ticket, cast.agent)
    message_id = new_message_id()
    raw = message("empty_reply.eml", sender=cast.requester, ticket=cast.ticket, message_id=message_id)

    status, printed = call_pipe(raw)

    assert (status, printed.strip()) == (0, "empty no text and no attachment")
    assert not Reply.objects.filter(ticket=cast.ticket, channel=Channel.EMAIL).exists()
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED
    assert f"Email-in: {message_id} from requester@northwind.example: empty no text and no attachment" in log.text
    assert no_traceback(log.records)


def test_an_auto_reply_exits_0_as_automatic(cast):
    solve(cast.ticket, cast.agent)
    raw = message("autoreply_gmail_vacation.eml", sender=cast.requester, ticket=cast.ticket)

    status, printed = call_pipe(raw)

    assert (status, printed.strip()) == (0, "automatic automatic message (auto-reply, bounce or bulk)")
    assert Ticket.objects.get(pk=cast.ticket.pk).status == Status.SOLVED


def test_a_temporary_failure_exits_75_with_a_log_line(cast, log, monkeypatch):
    def unavailable(raw):
        raise inbound.TemporaryFailure("connection refused")

    monkeypatch.setattr(inbound, "receive", unavailable)

    status, printed = call_pipe(message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket))

    assert (status, printed) == (75, "")
    assert [(r.levelname, r.getMessage()) for r in log.records] == [
        ("ERROR", "Email-in: the database is unavailable, the MTA will retry: connection refused")
    ]
    assert no_traceback(log.records)


def test_a_message_over_the_size_limit_exits_65(db, log, settings):
    settings.INBOUND_MAX_BYTES = 4096

    status, _ = call_pipe(b"From: requester@northwind.example\n\n" + b"x" * 5000)

    assert status == 65
    assert "message of 4097 bytes is over the limit of 4096" in log.text


@pytest.mark.parametrize("where", ["body", "subject"])
def test_a_nul_byte_in_a_message_is_handled_without_a_traceback(cast, log, request, where):
    raw = message("gmail_reply.eml", sender=cast.requester, ticket=cast.ticket)
    raw = (
        raw.replace(b"same result.", b"same\x00result.")
        if where == "body"
        else raw.replace(b"Subject: Re:", b"Subject: \x00Re:")
    )

    status, _ = call_pipe(raw)

    assert status in (0, 65)
    assert no_traceback(log.records)
