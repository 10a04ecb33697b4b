"""The agent workspace: the queue, and the changes agents make on a request's page.

Staff only; anyone else gets 404, as for a request they may not see. Every change goes through
`workflow.actions`; a refusal (status machine, stale version, merge rules) comes back as a message on the
request page, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.access import get_ticket_for
from tickets.listing import render_listing
from tickets.models import EventKind, Ticket
from workflow import actions
from workflow.filters import QueueFilter
from workflow.forms import AssignForm, MergeForm, PriorityForm, StatusForm, SubjectForm

QUEUE_COLUMNS = (
    "id", "subject", "status", "priority", "created_at", "last_activity_at", "first_response_due_at",
    "first_responded_at", "organisation__name", "requester__full_name", "requester__email",
    "assignee__full_name", "assignee__email",
)  # fmt: skip


def staff_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return guarded


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    tickets = (
        Ticket.objects.visible_to(request.user)
        .select_related("organisation", "requester", "assignee")
        .only(*QUEUE_COLUMNS)
    )
    return render_listing(request, "workflow/queue.html", QueueFilter(request.GET, queryset=tickets))


def _apply(request: HttpRequest, ticket: Ticket, form, change: Callable[[dict], str]) -> HttpResponse:
    """Run one agent change from a bound form and come back to the request page with what happened."""
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    else:
        try:
            messages.success(request, change(form.cleaned_data))
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)

    def change(data: dict) -> str:
        actions.change_status(
            ticket=ticket,
            to=data["status"],
            actor=request.user,
            reason=data["reason"],
            expected_version=data["version"],
        )
        return _("Status changed to %(status)s.") % {"status": ticket.get_status_display()}

    return _apply(request, ticket, StatusForm(request.POST), change)


@staff_required
@require_POST
def reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)

    def change(data: dict) -> str:
        actions.reclassify(
            ticket=ticket,
            to=data["priority"],
            actor=request.user,
            reason=data["reason"],
            expected_version=data["version"],
        )
        return _("Priority changed to %(priority)s.") % {"priority": ticket.get_priority_display()}

    return _apply(request, ticket, PriorityForm(request.POST), change)


@staff_required
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)

    def change(data: dict) -> str:
        actions.rename(ticket=ticket, subject=data["subject"], actor=request.user, expected_version=data["version"])
        return _("Subject changed.")

    return _apply(request, ticket, SubjectForm(request.POST), change)


@staff_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)

    def change(data: dict) -> str:
        actions.assign(ticket=ticket, assignee=data["assignee"], actor=request.user, expected_version=data["version"])
        if data["assignee"] is None:
            return _("The request is now assigned to nobody.")
        return _("Assigned to %(name)s.") % {"name": data["assignee"].get_full_name() or data["assignee"].email}

    return _apply(request, ticket, AssignForm(request.POST), change)


@staff_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_ticket_for(request.user, pk)

    def change(data: dict) -> str:
        sources = list(Ticket.objects.visible_to(request.user).filter(pk__in=data["sources"]))
        missing = set(data["sources"]) - {source.pk for source in sources}
        if missing:
            raise actions.ActionRefused(
                _("No request %(ids)s.") % {"ids": ", ".join(f"#{number}" for number in sorted(missing))}
            )
        actions.merge(
            sources=sources, target=target, actor=request.user, add_requesters_as_ccs=data["add_requesters_as_ccs"]
        )
        return _("Merged %(ids)s into this request.") % {"ids": ", ".join(f"#{source.pk}" for source in sources)}

    return _apply(request, target, MergeForm(request.POST), change)


def agent_context(ticket: Ticket) -> dict:
    """What an agent's request page adds: the forms for each change, and the full event timeline."""
    version = {"version": ticket.version}
    events = list(ticket.events.select_related("actor"))
    reclassifications = [event for event in events if event.kind == EventKind.PRIORITY]
    return {
        # Several forms on one page: each gets its own ids, so every label names its own field.
        "status_form": StatusForm(initial={**version, "status": ticket.status}, auto_id="status_%s"),
        "priority_form": PriorityForm(initial={**version, "priority": ticket.priority}, auto_id="priority_%s"),
        "assign_form": AssignForm(initial={**version, "assignee": ticket.assignee_id}, auto_id="assign_%s"),
        "merge_form": MergeForm(auto_id="merge_%s"),
        "subject_form": SubjectForm(initial={**version, "subject": ticket.subject}, auto_id="subject_%s"),
        "events": events,
        "priority_reason": reclassifications[-1].reason if reclassifications else "",
    }
