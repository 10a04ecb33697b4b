from __future__ import annotations

from django.contrib import admin

from tickets.models import Reply, Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "automation", "from_value", "to_value", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only for now: status and priority change only through the workflow actions."""

    list_display = ["id", "subject", "organisation", "requester", "status", "priority", "last_activity_at"]
    list_filter = ["status", "priority", "channel"]
    list_select_related = ["organisation", "requester"]
    search_fields = ["=id", "subject", "requester__email", "organisation__name"]
    exclude = ["ccs"]
    inlines = [TicketEventInline]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # Every field, whatever is added later: changes are made on the request's page, through the actions.
        return [field.name for field in Ticket._meta.concrete_fields]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "author", "is_public", "created_at"]
    list_select_related = ["ticket", "author"]
    raw_id_fields = ["ticket", "author"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
