"""Chat pages (SPEC §9). The page polls for new messages every second (static/js/chat.js) and posts with
fetch; the server keeps no per-process state, so any web process behind a load balancer can answer any poll.
Every chat is reached through the visibility gate (`tickets.access.get_chat_for`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tickets.access import get_chat_for, get_ticket_for, parse_id
from tickets.models import Chat, Ticket
from workflow import chat as chats
from workflow.actions import ActionRefused
from workflow.views import staff_required


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start a chat from My requests (a new request) or from a request's page (?about=<id>)."""
    about = request.POST.get("about")
    ticket = get_ticket_for(request.user, about) if about else None
    try:
        chat = chats.start_chat(customer=request.user, first_message=request.POST.get("message", ""), ticket=ticket)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("tickets:detail", pk=ticket.pk) if ticket else redirect("tickets:my_requests")
    return redirect("tickets:chat", pk=chat.pk)


@login_required
@require_GET
def page(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request.user, pk)
    if request.user.pk == chat.customer_id:
        chats.seen_by_customer(chat)
    transcript = chat.messages.select_related("author")
    return render(request, "tickets/chat.html", {"chat": chat, "transcript": transcript})


@login_required
@require_GET
def poll(request: HttpRequest, pk: int) -> JsonResponse:
    """Messages after ?after=<id>, oldest first. The client asks again with the last id it has, so a dropped
    connection loses nothing and shows nothing twice."""
    chat = get_chat_for(request.user, pk)
    cursor = request.GET.get("after", "0").strip() or "0"
    after = 0 if cursor == "0" else parse_id(cursor)
    if after is None or not cursor.isdigit():
        return JsonResponse({"error": "after must be the id of the last message seen (a whole number)."}, status=400)
    if request.user.pk == chat.customer_id:
        chats.seen_by_customer(chat)
    new = chat.messages.filter(pk__gt=after).select_related("author")[:200]
    return JsonResponse(
        {
            "state": chat.state,
            "state_label": str(chat.get_state_display()),
            "agent": chat.agent.get_full_name() if chat.agent else "",
            "messages": [
                {
                    "id": message.pk,
                    "author": message.author.get_full_name() or message.author.email,
                    "mine": message.author_id == request.user.pk,
                    "body": message.body,  # plain text; the page shows it with textContent, never as HTML
                    "at": timezone.localtime(message.created_at).strftime("%H:%M"),
                }
                for message in new
            ],
        }
    )


@login_required
@require_POST
def post(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request.user, pk)
    try:
        message = chats.post(chat=chat, author=request.user, body=request.POST.get("message", ""))
    except ActionRefused as refusal:
        if _wants_json(request):
            return JsonResponse({"error": str(refusal)}, status=400)
        messages.error(request, str(refusal))
        return redirect("tickets:chat", pk=chat.pk)
    if _wants_json(request):
        return JsonResponse({"id": message.pk}, status=201)
    return redirect("tickets:chat", pk=chat.pk)


@login_required
@require_POST
def end(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request.user, pk)
    try:
        chats.end_chat(chat=chat, by=request.user)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("tickets:detail", pk=chat.ticket_id)


@staff_required
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request.user, pk)
    try:
        chats.take_chat(chat=chat, agent=request.user, take_over=request.POST.get("take_over") == "1")
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("tickets:chat", pk=chat.pk)


@staff_required
@require_GET
def agent_list(request: HttpRequest) -> HttpResponse:
    open_chats = (
        Chat.objects.filter(
            ticket__in=Ticket.objects.visible_to(request.user), state__in=[Chat.State.WAITING, Chat.State.ACTIVE]
        )
        .select_related("ticket", "customer", "agent", "ticket__organisation")
        .order_by("started_at")[:200]
    )
    return render(request, "tickets/agent_chats.html", {"chats": open_chats, "now": timezone.now()})
