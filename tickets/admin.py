"""Requests in the admin: a fast list, a read-only record with its event log, and status or priority changes
made through the workflow actions (with the version the page was opened at), never by editing fields."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from portal.admin import RecordAdmin
from tickets.access import parse_id
from tickets.models import Reply, Ticket, TicketEvent
from tickets.search import search
from workflow import actions
from workflow.models import Priority, Status


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "automation", "changed_from", "changed_to", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    # Status and priority values as people read them, in the admin's language.
    @admin.display(description=_("from value"))
    def changed_from(self, event: TicketEvent) -> str:
        return event.from_label

    @admin.display(description=_("to value"))
    def changed_to(self, event: TicketEvent) -> str:
        return event.to_label

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TicketWorkflowForm(forms.ModelForm):
    """No model field is editable; these fields ask the workflow for a change."""

    new_status = forms.ChoiceField(label=_("Change status to"), choices=[("", "—"), *Status.choices], required=False)
    new_priority = forms.ChoiceField(
        label=_("Change priority to"), choices=[("", "—"), *Priority.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketWorkflowForm
    list_display = ["id", "subject", "organisation", "requester", "status", "priority", "last_activity_at"]
    list_filter = ["status", "priority", "channel"]
    list_select_related = ["organisation", "requester"]
    search_fields = ["subject"]  # the real search is get_search_results below
    search_help_text = _("A request id, words of its subject or messages, a requester's email, or an organisation.")
    ordering = ["-last_activity_at", "-id"]
    show_full_result_count = False
    exclude = ["ccs"]
    inlines = [TicketEventInline]
    fieldsets = [
        (None, {"fields": ["subject", "organisation", "requester", "status", "priority", "assignee", "channel"]}),
        (_("Dates"), {"fields": ["created_at", "last_activity_at", "first_response_due_at", "solved_at"]}),
        (_("Change through the workflow"), {"fields": ["new_status", "new_priority", "reason", "opened_version"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term: str):
        # The portal's full-text search (GIN indexes on PostgreSQL) instead of icontains over three tables.
        term = search_term.strip()
        if not term:
            return queryset, False
        by_text = search(Ticket.objects.all(), term, include_internal=True).values("pk")
        by_person = Ticket.objects.filter(requester__email=term.lower()).values("pk")
        by_organisation = Ticket.objects.filter(organisation__name__iexact=term).values("pk")
        match = Q(pk__in=by_text.union(by_person, by_organisation))
        number = parse_id(term.lstrip("#"))
        if number is not None:
            match |= Q(pk=number)
        return queryset.filter(match), False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # Every field, whatever is added later: changes go through the workflow fields below.
        return [field.name for field in Ticket._meta.concrete_fields]

    def save_model(self, request, obj: Ticket, form, change: bool) -> None:
        data = form.cleaned_data
        version = data.get("opened_version")
        try:
            if data.get("new_status"):
                actions.change_status(
                    ticket=obj,
                    to=data["new_status"],
                    actor=request.user,
                    reason=data["reason"],
                    expected_version=version,
                )
                version = obj.version
            if data.get("new_priority"):
                actions.reclassify(
                    ticket=obj,
                    to=data["new_priority"],
                    actor=request.user,
                    reason=data["reason"],
                    expected_version=version,
                )
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
            request.workflow_refused = True

    def response_change(self, request, obj: Ticket):
        if getattr(request, "workflow_refused", False):
            return HttpResponseRedirect(request.path)  # back to the form, without a "changed" message
        return super().response_change(request, obj)


@admin.register(Reply)
class ReplyAdmin(RecordAdmin):
    list_display = ["id", "ticket", "author", "is_public", "created_at"]
    list_select_related = ["ticket", "author"]
    raw_id_fields = ["ticket", "author"]
    show_full_result_count = False
