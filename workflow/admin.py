from __future__ import annotations

from django.contrib import admin

from workflow.models import PriorityPolicy


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
