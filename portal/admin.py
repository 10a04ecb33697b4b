"""Admin pieces shared by the apps."""

from __future__ import annotations

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """A log the product writes and people only read: nothing is added, changed or deleted here."""

    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
