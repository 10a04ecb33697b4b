"""Run one sweep of reminders and auto-solve, and deliver any waiting email: for the embedded default
(no beat running) and for cron."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from workflow import automation, outbox


class Command(BaseCommand):
    help = "Send due reminders, auto-solve requests whose wait is over, and deliver waiting emails."

    def handle(self, *args, **options) -> None:
        result = automation.sweep()
        sent = outbox.deliver_due()
        self.stdout.write(
            f"Reminded {result.reminded}, solved {result.solved}, failed {result.failed}; delivered {sent} email(s)."
        )
