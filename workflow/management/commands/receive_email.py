"""Read one RFC 5322 message on standard input and hand it to email-in. For an MTA's pipe transport:

    support: "|/srv/portal/.venv/bin/python /srv/portal/manage.py receive_email"

Exit status (sysexits.h), which the MTA acts on: 0 handled (posted, opened, refused, ignored, or a duplicate);
65 EX_DATAERR the message cannot be read (too large, no sender): bounce it; 75 EX_TEMPFAIL the database is
unavailable: keep the message and retry later.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from workflow import inbound

logger = logging.getLogger("workflow.inbound")

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75


class Command(BaseCommand):
    help = "Receive one email message from standard input (for the MTA's pipe transport)."

    def handle(self, *args, **options) -> None:
        raw = sys.stdin.buffer.read(settings.INBOUND_MAX_BYTES + 1)
        try:
            received = inbound.receive(raw)
        except inbound.Malformed as problem:
            logger.warning("Email-in: refused an unreadable message: %s", problem)
            sys.exit(EX_DATAERR)
        except inbound.TemporaryFailure as problem:
            logger.error("Email-in: the database is unavailable, the MTA will retry: %s", problem)
            sys.exit(EX_TEMPFAIL)
        except Exception:
            # Anything unexpected: keep the message at the MTA rather than lose it.
            logger.exception("Email-in: unexpected error; the MTA will retry")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{received.outcome}{' (duplicate)' if received.duplicate else ''} {received.reason}")
