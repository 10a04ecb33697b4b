"""The customer portal: My requests, a request's page, replying, opening a request, downloading files.

Every view reaches requests through `Ticket.objects.visible_to()` or `tickets.access`, so a request the
viewer may not see answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import holds_organisation_access
from tickets.access import get_attachment_for, get_ticket_for
from tickets.files import DOWNLOAD, shows_inline, sniff
from tickets.filters import RequestFilter
from tickets.forms import NewRequestForm, ReplyForm
from tickets.listing import render_listing
from tickets.models import Attachment, Chat, ChatMessage, Ticket
from workflow import actions
from workflow.forms import AgentReplyForm
from workflow.models import PRIORITY_MEANINGS, STATUS_EXPLANATIONS
from workflow.views import agent_context

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
    return render_listing(request, "tickets/my_requests.html", filterset, filtered=_is_filtered(request))


def _is_filtered(request: HttpRequest) -> bool:
    return any(request.GET.get(key) for key in ("q", "status", "priority", "scope"))


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
    # Each reply says whether it has files, and the first whether the request has chats: most requests have
    # neither, and then the page asks for neither.
    replies = ticket.replies.select_related("author").annotate(
        has_files=Exists(Attachment.objects.filter(reply=OuterRef("pk"))),
        # Names this request, not the row: asked once, from the chats' index (correlated, PostgreSQL may hash
        # every chat there is instead).
        has_chats=Exists(Chat.objects.filter(ticket_id=ticket.pk)),
    )
    if not request.user.is_staff:
        replies = replies.filter(is_public=True)
    # A long thread opens on its latest replies (and the chats among them); the rest is one link away. Every
    # message costs the page the same to render, so a request with hundreds of them would otherwise be slow to
    # open for everyone, every time.
    hidden = 0
    if request.GET.get("thread") != "all":
        # The latest replies and, on each, how many there are in all: one query, not a count and then a list. The
        # count names no column of the outer rows, so PostgreSQL runs it once, from the index, before the page.
        total = replies.order_by().values("ticket").annotate(total=Count("pk")).values("total")
        latest = replies.annotate(thread_total=Subquery(total)).order_by("-created_at", "-pk")
        replies = list(latest[: settings.THREAD_LATEST])[::-1]
        hidden = replies[0].thread_total - len(replies) if replies else 0
    else:
        replies = list(replies)
    with_files = [reply for reply in replies if reply.has_files]
    if with_files:
        prefetch_related_objects(
            with_files, Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr="files")
        )
    for reply in replies:
        if not reply.has_files:
            reply.files = []  # (set after the prefetch, which skips any reply that has the attribute already)
    chats = []
    if not replies or replies[0].has_chats:
        chats = ticket.chats.all()
        if hidden:
            chats = chats.filter(started_at__gte=replies[0].created_at)
        chats = list(chats)
        _attach_lines(chats)
    # The thread, oldest first: replies and chat transcripts in the order they happened.
    thread = sorted(
        [
            *(("reply", reply, reply.created_at) for reply in replies),
            *(("chat", chat, chat.started_at) for chat in chats),
        ],
        key=lambda entry: entry[2],
    )
    context = {
        "ticket": ticket,
        "thread": thread,
        "hidden_replies": hidden,
        "form": form,
        "status_explanation": STATUS_EXPLANATIONS[ticket.status],
        "priority_meaning": PRIORITY_MEANINGS[ticket.priority],
        "merged_into_visible": _merged_into_visible(request, ticket),
        "can_mark_solved": ticket.requester_id == request.user.pk and not ticket.is_solved,
    }
    if request.user.is_staff:
        context.update(agent_context(ticket))
    return render(request, "tickets/request_detail.html", context, status=status)


def _attach_lines(chats: list[Chat]) -> None:
    """Each chat's messages, oldest first, with their authors (`chat.lines`): one query for all the chats."""
    lines = {chat.pk: [] for chat in chats}
    if lines:
        messages = ChatMessage.objects.filter(chat_id__in=lines).select_related("author")
        for message in messages.order_by("pk"):
            lines[message.chat_id].append(message)
    for chat in chats:
        chat.lines = lines[chat.pk]


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
