"""An agent's panel on a request page is kept in the cache (workflow.views.agent_panel): written once with a
stand-in for the CSRF token, shown with each page's own token, and written again after anything it shows changes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from portal.tests.factories import StaffFactory, TicketFactory
from tickets.models import EventKind, Ticket, TicketEvent
from workflow import actions
from workflow.models import Priority, Status
from workflow.views import _TOKEN_STAND_IN, _written_panel

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def panel(client, ticket) -> str:
    response = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<section class="agent-panel"') : html.index('<h2 id="reply-heading">')]


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


def test_a_kept_panel_is_the_panel_the_template_writes(cast, client_for):
    client = client_for(cast.agent)
    first = panel(client, cast.ticket)
    with CaptureQueriesContext(connection) as queries:
        second = panel(client, cast.ticket)
    assert not [query for query in queries if "tickets_ticketevent" in query["sql"]]  # no history read again
    assert without_tokens(second) == without_tokens(first)
    ticket = Ticket.objects.get(pk=cast.ticket.pk)
    written, _reason = _written_panel(ticket)
    assert without_tokens(written.replace(_TOKEN_STAND_IN, "x")).strip() == without_tokens(first).strip()
    assert _TOKEN_STAND_IN not in second


def test_each_page_gets_its_own_token_and_it_works(cast):
    other_agent = StaffFactory(email="second@support.example", full_name="Sam Second")
    tokens = []
    for agent in (cast.agent, other_agent, cast.agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        html = panel(client, cast.ticket)
        tokens.append(TOKEN.search(html)[1])
        version = Ticket.objects.get(pk=cast.ticket.pk).version
        status = Status.ON_HOLD if agent is other_agent else Status.OPEN
        response = client.post(
            reverse("workflow:status", args=[cast.ticket.pk]),
            {"csrfmiddlewaretoken": tokens[-1], "status": status, "version": version, "reason": ""},
        )
        assert response.status_code == 302, response.content[:300]
        assert Ticket.objects.get(pk=cast.ticket.pk).status == status
    assert len(set(tokens)) == 3


def _status(cast):
    actions.change_status(ticket=cast.ticket, to=Status.ON_HOLD, actor=cast.agent, reason="Waiting on the vendor")
    return ['<option value="on_hold" selected>', "Waiting on the vendor"]


def _priority(cast):
    actions.reclassify(ticket=cast.ticket, to=Priority.S1, actor=cast.agent, reason="Production is down")
    return ['value="S1" id="priority_priority_0" checked', "Production is down"]


def _assignee(cast):
    actions.assign(ticket=cast.ticket, assignee=cast.admin, actor=cast.agent)
    return [f'<option value="{cast.admin.pk}" selected>']


def _subject(cast):
    actions.rename(ticket=cast.ticket, subject="Tiles load, charts do not", actor=cast.agent)
    return ['value="Tiles load, charts do not"']


def _merged(cast):
    source = TicketFactory(requester=cast.requester, subject="Charts again")
    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)
    return [f"#{source.pk}"]


def _agent_renamed(cast):
    cast.admin.full_name = "Sid Renamed"
    cast.admin.save(update_fields=["full_name"])
    return [">Sid Renamed</option>"]


def _agent_added(cast):
    newcomer = StaffFactory(email="new@support.example", full_name="Nia Newcomer")
    return [f'<option value="{newcomer.pk}">Nia Newcomer</option>']


def _organisation_renamed(cast):
    cast.org.name = "Northwind Traders"
    cast.org.save()
    return ["Only requests of Northwind Traders can be merged in."]


CHANGES = [_status, _priority, _assignee, _subject, _merged, _agent_renamed, _agent_added, _organisation_renamed]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_every_change_shows_on_the_next_view(cast, client_for, change, django_capture_on_commit_callbacks):
    client = client_for(cast.agent)
    before = panel(client, cast.ticket)
    with django_capture_on_commit_callbacks(execute=True):
        expected = change(cast)
    after = panel(client, cast.ticket)
    for text in expected:
        assert text not in before
        assert text in after, text


def test_a_deactivated_agent_is_no_longer_offered(cast, client_for, django_capture_on_commit_callbacks):
    client = client_for(cast.agent)
    option = f'<option value="{cast.admin.pk}">'
    assert option in panel(client, cast.ticket)
    with django_capture_on_commit_callbacks(execute=True):
        cast.admin.is_active = False
        cast.admin.save(update_fields=["is_active"])
    assert option not in panel(client, cast.ticket)


# Each of the panel's three ways of noticing a change, on its own:


def test_a_field_changed_without_an_event_shows(cast, client_for):
    client = client_for(cast.agent)
    panel(client, cast.ticket)
    Ticket.objects.filter(pk=cast.ticket.pk).update(status=Status.ON_HOLD)  # no event, no version: the row alone
    assert '<option value="on_hold" selected>' in panel(client, cast.ticket)


def test_an_event_recorded_without_a_field_change_shows(cast, client_for):
    client = client_for(cast.agent)
    panel(client, cast.ticket)
    TicketEvent.objects.create(ticket=cast.ticket, kind=EventKind.ACCESS, to_value="granted", reason="By the book")
    assert "By the book" in panel(client, cast.ticket)


def test_a_new_agent_is_offered_at_once(cast, client_for, django_capture_on_commit_callbacks):
    client = client_for(cast.agent)
    panel(client, cast.ticket)
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = User.objects.create(email="plain@support.example", full_name="Pat Plain", is_staff=True)
    assert f'<option value="{newcomer.pk}">Pat Plain</option>' in panel(client, cast.ticket)
