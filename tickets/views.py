"""The customer portal: My requests, a request's page, replying, opening a request, downloading files.

Every view reaches requests through `Ticket.objects.visible_to()` or `tickets.access`, so a request the
viewer may not see answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import holds_organisation_access
from tickets.access import get_attachment_for, get_ticket_for
from tickets.files import DOWNLOAD, shows_inline, sniff
from tickets.filters import RequestFilter
from tickets.forms import NewRequestForm, ReplyForm
from tickets.listing import render_listing
from tickets.models import Ticket
from tickets.thread import conversation
from workflow import actions
from workflow.forms import AgentReplyForm
from workflow.models import PRIORITY_MEANINGS, STATUS_EXPLANATIONS
from workflow.views import agent_panel

LIST_COLUMNS = ("id", "subject", "status", "priority", "created_at", "last_activity_at")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("tickets:my_requests")
    return redirect(settings.LOGIN_URL)


@login_required
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    # Read once for both: what the person sees, and whether "Organisation requests" is one of their scopes.
    access = holds_organisation_access(request.user)
    tickets = Ticket.objects.visible_to(request.user, organisation_access=access).only(*LIST_COLUMNS)
    filterset = RequestFilter(request.GET, queryset=tickets, user=request.user, organisation_access=access)
    filtered = _is_filtered(request)
    # Without organisation access, a person's requests are their own and those they are copied on, found by two
    # indexes at once and sorted afterwards: the page then counts them as it reads them.
    return render_listing(
        request,
        "tickets/my_requests.html",
        filterset,
        read_whole=not access,
        filtered=filtered,
        filters=filters_form(request.GET, organisation_access=access, filtered=filtered),
    )


def _is_filtered(request: HttpRequest) -> bool:
    return any(request.GET.get(key) for key in ("q", "status", "priority", "scope"))


def filters_form(data: QueryDict, *, organisation_access: bool, filtered: bool) -> SafeString:
    """The filters of My requests, as tickets/_filters.html writes them for these values. What it writes depends
    on nothing else (the language aside), so each is written once and kept in the process: the form cost the list
    about half a millisecond, more than any of its queries."""
    values = tuple((name, tuple(data.getlist(name))) for name in RequestFilter.base_filters)
    return _written_filters(translation.get_language(), organisation_access, filtered, values)


@lru_cache(maxsize=512)
def _written_filters(language: str | None, organisation_access: bool, filtered: bool, values: tuple) -> SafeString:
    data = QueryDict(mutable=True)
    for name, given in values:
        data.setlist(name, list(given))
    form = RequestFilter(data, queryset=Ticket.objects.none(), user=None, organisation_access=organisation_access).form
    return render_to_string("tickets/_filters.html", {"form": form, "filtered": filtered})


def _reply_form_class(user) -> type[ReplyForm]:
    return AgentReplyForm if user.is_staff else ReplyForm


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return _render_detail(request, ticket, _reply_form_class(request.user)())


@login_required
@require_POST
def request_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    form = _reply_form_class(request.user)(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, ticket, form, status=400)
    was_solved = ticket.is_solved
    fields = {"ticket": ticket, "author": request.user, **form.cleaned_data}
    if fields.pop("visibility", "") == AgentReplyForm.INTERNAL:
        reply = actions.internal_note(**fields)
        messages.success(request, _("Your internal note was added. Customers do not see it."))
    else:
        reply = actions.reply(**fields)
        if was_solved and not ticket.is_solved:
            messages.success(request, _("Your reply was added and the request was reopened."))
        else:
            messages.success(request, _("Your reply was added."))
    return redirect(f"{reverse('tickets:detail', args=[ticket.pk])}#reply-{reply.pk}")


@login_required
@require_POST
def mark_solved(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    try:
        actions.mark_solved(ticket=ticket, requester=request.user)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Marked as solved. If anything comes up again, reply and it reopens."))
    return redirect("tickets:detail", pk=ticket.pk)


def _render_detail(request: HttpRequest, ticket: Ticket, form: ReplyForm, status: int = 200) -> HttpResponse:
    thread = conversation(ticket, agents=request.user.is_staff, whole=request.GET.get("thread") == "all")
    context = {
        "ticket": ticket,
        "thread": thread.html,
        "hidden_replies": thread.hidden,
        "ccs": thread.ccs,
        "form": form,
        "status_explanation": STATUS_EXPLANATIONS[ticket.status],
        "priority_meaning": PRIORITY_MEANINGS[ticket.priority],
        "merged_into_visible": _merged_into_visible(request, ticket),
        "can_mark_solved": ticket.requester_id == request.user.pk and not ticket.is_solved,
    }
    if request.user.is_staff:
        context.update(agent_panel(request, ticket))
    return render(request, "tickets/request_detail.html", context, status=status)


def _merged_into_visible(request: HttpRequest, ticket: Ticket) -> bool:
    if ticket.merged_into_id is None:
        return False
    return Ticket.objects.sees(request.user, ticket.merged_into_id)


@login_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff or request.user.organisation_id is None:
        raise Http404("Requests are opened by customers.")
    form = NewRequestForm(request.POST or None, request.FILES or None, requester=request.user)
    if request.method == "POST":
        if form.is_valid():
            ticket = actions.open_request(
                requester=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                priority=form.cleaned_data["priority"],
                ccs=form.cleaned_data["ccs"],
                attachments=form.cleaned_data["attachments"],
                submission=form.cleaned_data["submission"],
            )
            messages.success(request, _("Your request #%(id)s was opened.") % {"id": ticket.pk})
            return redirect("tickets:detail", pk=ticket.pk)
        return render(request, "tickets/new_request.html", {"form": form}, status=400)
    return render(request, "tickets/new_request.html", {"form": form})


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file, only through the gate. Always a download of opaque bytes, except a raster image asked for with
    `?inline=1` (the request page shows those): its type is read from the stored bytes here, whatever the upload
    claimed, so a page or a script renamed `.png` is still only ever downloaded."""
    attachment = get_attachment_for(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    kind = sniff(handle.read(16))
    handle.seek(0)
    inline = request.GET.get("inline") == "1" and shows_inline(kind)
    response = FileResponse(handle, as_attachment=not inline, filename=attachment.name)
    # Whatever the file holds, the browser must not run it in our origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Type"] = kind if inline else DOWNLOAD
    return response
