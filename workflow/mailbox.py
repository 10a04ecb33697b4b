"""The IMAP poll: fetch unread messages from the support mailbox and hand each to `inbound.receive`.

A message is marked read only once it was dealt with (posted, opened, refused, ignored, or unreadable);
when the database is down it stays unread and the poll stops, so the next poll tries it again.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from workflow import inbound

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    handled: int = 0
    left_unread: int = 0


def poll(url: str | None = None, *, limit: int = 200) -> PollResult:
    url = url if url is not None else settings.IMAP_URL
    result = PollResult()
    if not url:
        return result
    parts = urlsplit(url)
    client_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    client = client_class(parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143), timeout=30)
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.lstrip("/")) or "INBOX")
        _, found = client.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split()[:limit]:
            number = uid.decode()
            _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), b"")
            try:
                inbound.receive(raw)
            except inbound.TemporaryFailure:
                logger.warning("IMAP poll: the database is unavailable; message %s stays unread.", number)
                result.left_unread += 1
                break
            except inbound.Malformed as problem:
                logger.warning("IMAP poll: message %s cannot be read (%s); marked read.", number, problem)
            except Exception:
                # Unexpected: keep the message (unread, retried next poll) but do not let it block the others.
                logger.exception("IMAP poll: message %s failed; it stays unread.", number)
                result.left_unread += 1
                continue
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            result.handled += 1
    finally:
        try:
            client.logout()
        except Exception:
            logger.debug("IMAP logout failed", exc_info=True)
    return result
