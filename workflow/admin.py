from __future__ import annotations

from django.contrib import admin

from portal.admin import RecordAdmin
from workflow.models import InboundEmail, OutboundEmail, PriorityPolicy


@admin.register(PriorityPolicy)
class PriorityPolicyAdmin(admin.ModelAdmin):
    """The service targets per priority. One row per priority, seeded by migration; edited, never added."""

    list_display = ["priority", "first_response", "reminder_every", "reminders", "auto_solve_after"]
    list_editable = ["first_response", "reminder_every", "reminders", "auto_solve_after"]
    readonly_fields = ["priority"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(RecordAdmin):
    """The outbox, for operators: what is waiting, what was sent, what failed and why. Read-only."""

    list_display = [
        "id",
        "kind",
        "ticket",
        "recipient",
        "created_at",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "given_up_at",
    ]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter), ("given_up_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket", "recipient"]
    search_fields = ["=ticket__id", "recipient__email", "message_id"]


@admin.register(InboundEmail)
class InboundEmailAdmin(RecordAdmin):
    """Every message email-in received, and what became of it. Read-only."""

    list_display = ["received_at", "sender", "subject", "outcome", "ticket", "reason"]
    list_filter = ["outcome"]
    list_select_related = ["ticket"]
    search_fields = ["sender", "message_id", "=ticket__id"]
    show_full_result_count = False
