"""The agent workspace: the queue, and the changes agents make on a request's page.

Staff only; anyone else gets 404, as for a request they may not see. Every change goes through
`workflow.actions`; a refusal (status machine, stale version, merge rules) comes back as a message on the
request page, and nothing is changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.access import get_ticket_for
from tickets.listing import render_listing
from tickets.models import EventKind, Ticket
from tickets.thread import kept, page_key
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


def agent_panel(request: HttpRequest, ticket: Ticket) -> dict:
    """What an agent's request page adds: the panel (the forms for each change and the request's history) and the
    reason of the latest reclassification, for the details beside it.

    The panel is the same for every agent, but for the forms' CSRF token: it is written once with a stand-in for
    the token and kept (tickets.thread.kept), under everything of the request it shows (its fields, and its
    thread_version, which every event draws anew) and the people-version (the assignees to choose); each page
    then puts its own token in."""
    fields = (ticket.version, ticket.status, ticket.priority, ticket.assignee_id, ticket.merged_into_id)
    named = hashlib.sha256(f"{ticket.subject}\0{ticket.organisation.name}".encode()).hexdigest()[:16]
    key = page_key("agent-panel", ticket, *fields, named, code=PANEL_CODE)
    html, priority_reason = kept(key, lambda: _written_panel(ticket))
    token = get_token(request)
    return {"agent_panel": SafeString(html.replace(_TOKEN_STAND_IN, token)), "priority_reason": priority_reason}


# Where a page's CSRF token goes in a kept panel: no token looks like it (tokens are letters and digits only).
_TOKEN_STAND_IN = "-csrf-token-of-this-page-"
# The files whose code writes the panel, from the project's root.
PANEL_CODE = (
    "workflow/views.py",
    "workflow/forms.py",
    "tickets/forms.py",
    "templates/workflow/_agent_panel.html",
    "templates/includes/_field.html",
    "templates/tickets/widgets/_priority_select.html",
    "portal/templatetags/fields.py",
    "portal/forms_renderer.py",
    "portal/widgets.py",
    "tickets/templatetags/portal.py",
    "tickets/dates.py",
)


def _written_panel(ticket: Ticket) -> tuple[str, str]:
    version = {"version": ticket.version}
    events = list(ticket.events.select_related("actor"))
    reclassifications = [event for event in events if event.kind == EventKind.PRIORITY]
    context = {
        "ticket": ticket,
        "csrf_token": _TOKEN_STAND_IN,
        # Several forms on one page: each gets its own ids, so every label names its own field.
        "status_form": StatusForm(initial={**version, "status": ticket.status}, auto_id="status_%s"),
        "priority_form": PriorityForm(initial={**version, "priority": ticket.priority}, auto_id="priority_%s"),
        "assign_form": AssignForm(initial={**version, "assignee": ticket.assignee_id}, auto_id="assign_%s"),
        "merge_form": MergeForm(auto_id="merge_%s"),
        "subject_form": SubjectForm(initial={**version, "subject": ticket.subject}, auto_id="subject_%s"),
        "events": events,
    }
    html = render_to_string("workflow/_agent_panel.html", context)
    return str(html), reclassifications[-1].reason if reclassifications else ""
