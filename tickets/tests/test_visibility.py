"""The visibility rule, walked over every URL of the portal with every persona (SPEC §2, issue #2 point 4)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tickets.models import Attachment, Reply, Ticket

PERSONAS = ["requester", "colleague", "bystander", "contact", "contact_revoked", "outsider", "agent", "anonymous"]

# Who may see the cast's request: its requester, the CC'd colleague, the technical contact while the grant
# stands, and agents. Everybody else gets exactly what a missing request gets.
SEES_TICKET = {"requester", "colleague", "contact", "agent"}


@pytest.fixture
def world(cast):
    reply = Reply.objects.filter(ticket=cast.ticket).first()
    attachment = Attachment.objects.create(
        reply=reply, file=SimpleUploadedFile("log.txt", b"trace"), name="log.txt", size=5
    )
    return cast, attachment


def _sign_in(client, cast, persona: str):
    if persona == "anonymous":
        return
    if persona == "contact_revoked":
        cast.grant.revoked_at = timezone.now()
        cast.grant.save(update_fields=["revoked_at"])
        persona = "contact"
    client.force_login(getattr(cast, persona))


def _expect(persona: str, visible_status: int) -> int:
    if persona == "anonymous":
        return 302
    return visible_status if persona in SEES_TICKET else 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_request_page(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:detail", args=[cast.ticket.pk]))
    assert response.status_code == _expect(persona, 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_reply(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    before = Reply.objects.count()
    response = client.post(reverse("tickets:reply", args=[cast.ticket.pk]), {"body": "Any news?"})
    assert response.status_code == _expect(persona, 302)
    assert Reply.objects.count() == before + (1 if persona in SEES_TICKET else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_mark_solved(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.post(reverse("tickets:solve", args=[cast.ticket.pk]))
    # Everyone who may see the request gets back to it (with a refusal unless they are its requester).
    assert response.status_code == _expect(persona, 302)
    cast.ticket.refresh_from_db()
    assert cast.ticket.is_solved == (persona == "requester")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "name", ["workflow:status", "workflow:priority", "workflow:assign", "workflow:merge", "workflow:subject"]
)
def test_agent_changes(client, world, persona, name):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.post(reverse(name, args=[cast.ticket.pk]), {"version": cast.ticket.version})
    expected = {"anonymous": 302, "agent": 302}.get(persona, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_agent_queue(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    expected = {"anonymous": 302, "agent": 200}.get(persona, 404)
    assert client.get(reverse("workflow:queue")).status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_download(client, world, persona):
    cast, attachment = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == _expect(persona, 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_requests_lists_only_visible_requests(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:my_requests"))
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    listed = {ticket.pk for ticket in response.context["page"].object_list} if response.context["page"] else set()
    assert (cast.ticket.pk in listed) == (persona in SEES_TICKET)
    assert (cast.other_ticket.pk in listed) == (persona in {"outsider", "agent"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_only_visible_requests(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:my_requests"), {"q": "dashboard"})
    if persona == "anonymous":
        assert response.status_code == 302
        return
    listed = {ticket.pk for ticket in response.context["page"].object_list} if response.context["page"] else set()
    assert listed == ({cast.ticket.pk} if persona in SEES_TICKET else set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_another_organisations_request_is_not_found(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:detail", args=[cast.other_ticket.pk]))
    expected = {"anonymous": 302, "outsider": 200, "agent": 200}.get(persona, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_request_page(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get(reverse("tickets:new"))
    expected = {"anonymous": 302, "agent": 404}.get(persona, 200)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_sends_people_to_the_right_place(client, world, persona):
    cast, _ = world
    _sign_in(client, cast, persona)
    response = client.get("/")
    expected = reverse("account_login") if persona == "anonymous" else reverse("tickets:my_requests")
    assert response.status_code == 302
    assert response["Location"] == expected


def test_a_missing_request_and_a_forbidden_one_answer_alike(client, world):
    cast, _ = world
    client.force_login(cast.bystander)
    forbidden = client.get(reverse("tickets:detail", args=[cast.ticket.pk]))
    missing = client.get(reverse("tickets:detail", args=[Ticket.objects.order_by("-pk").first().pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404
    # The pages differ only in the per-response CSRF mask.
    assert _without_csrf(forbidden.content) == _without_csrf(missing.content)


def _without_csrf(html: bytes) -> bytes:
    # The per-response CSRF mask, and the language switch's return address (the path the client asked for).
    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]+"', b"", html)


@pytest.mark.parametrize(
    "name, method",
    [
        ("tickets:reply", "get"),
        ("tickets:detail", "post"),
        ("tickets:attachment", "post"),
        ("tickets:my_requests", "post"),
    ],
)
def test_wrong_method_gets_405(client, world, name, method):
    cast, attachment = world
    client.force_login(cast.requester)
    arg = attachment.pk if name == "tickets:attachment" else cast.ticket.pk
    url = reverse(name, args=[arg]) if name != "tickets:my_requests" else reverse(name)
    assert getattr(client, method)(url).status_code == 405


@pytest.mark.parametrize("path", ["/requests/abc/", "/requests/0/", "/requests/-1/", "/requests/1.5/"])
def test_malformed_ids_are_not_found(client, world, path):
    cast, _ = world
    client.force_login(cast.requester)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("name", ["tickets:detail", "tickets:reply", "tickets:attachment"])
def test_huge_ids_are_not_found(client, world, name, number):
    cast, _ = world
    client.force_login(cast.agent)
    url = reverse(name, args=[number])
    response = client.post(url, {"body": "x"}) if name == "tickets:reply" else client.get(url)
    assert response.status_code == 404


def test_internal_note_files_are_not_downloadable_by_customers(client, world):
    cast, _ = world
    note = Reply.objects.create(ticket=cast.ticket, author=cast.agent, body="internal", is_public=False)
    secret = Attachment.objects.create(reply=note, file=SimpleUploadedFile("s.txt", b"secret"), name="s.txt", size=6)
    client.force_login(cast.requester)
    assert client.get(reverse("tickets:attachment", args=[secret.pk])).status_code == 404
    client.force_login(cast.agent)
    assert client.get(reverse("tickets:attachment", args=[secret.pk])).status_code == 200
