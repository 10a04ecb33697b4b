"""Requests in the Django admin (issue #4, point 4): the list (columns, search, filters, a query count that does
not grow with the rows), the read-only event log, and status or priority changes made only through the
workflow fields of the request's page, never by posting a model field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from portal.tests.admin_pages import changelist_rows, flash_messages, form_data, inline_rows
from portal.tests.factories import OrganisationFactory, ReplyFactory, TicketFactory, UserFactory
from tickets.models import EventKind, Ticket, TicketEvent
from workflow import actions

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:tickets_ticket_changelist")
STALE = "This request changed since you opened it. Look at the change, then try again."


# --- Helpers ----------------------------------------------------------------------------------------------


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {ticket.pk for ticket in response.context["cl"].result_list}


def _shown(moment) -> str:
    return formats.localize(timezone.template_localtime(moment))


def _page(ticket: Ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def _opened(client, ticket: Ticket) -> dict[str, list[str]]:
    """The request's admin page as a browser would post it back unchanged."""
    return form_data(client.get(_page(ticket)), "ticket_form")


def _submit(client, ticket: Ticket, data: dict[str, list[str]], **fields):
    data = {**data, **{name: [str(value)] for name, value in fields.items()}}
    return client.post(_page(ticket), data, follow=True)


def _workflow_events(ticket: Ticket) -> list[tuple]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind__in=[EventKind.STATUS, EventKind.PRIORITY, EventKind.ASSIGNEE])
        .order_by("pk")
        .values_list("kind", "actor_id", "from_value", "to_value", "reason")
    )


@pytest.fixture
def tickets(cast):
    """Requests of several people and organisations, with subjects that share no word and hold no digit."""
    initech = OrganisationFactory(name="Initech")
    peter = UserFactory(email="peter@initech.example", full_name="Peter Gibbons", organisation=initech)
    return {
        "dashboard": cast.ticket,
        "invoice": cast.other_ticket,
        "stapler": TicketFactory(requester=peter, subject="Stapler went missing", priority="S1", status="on_hold"),
        "printer": TicketFactory(requester=cast.requester, subject="Printer offline", status="solved", priority="S2"),
        "backup": TicketFactory(requester=cast.bystander, subject="Backup quota", status="awaiting_reply"),
    }


# --- The list ---------------------------------------------------------------------------------------------


def test_it_lists_requests_with_status_priority_organisation_requester_and_last_activity(cast, client_for, tickets):
    response = client_for(cast.admin).get(REQUESTS)

    rows = {row["id"]: row for row in changelist_rows(response)}
    assert set(rows) == {str(ticket.pk) for ticket in tickets.values()}
    stapler = tickets["stapler"]
    assert rows[str(stapler.pk)] == {
        "id": str(stapler.pk),
        "subject": "Stapler went missing",
        "organisation": "Initech",
        "requester": "Peter Gibbons",
        "status": "On hold",
        "priority": "S1 – Urgent",
        "last_activity_at": _shown(stapler.last_activity_at),
    }
    assert (rows[str(cast.ticket.pk)]["status"], rows[str(cast.ticket.pk)]["requester"]) == ("Open", "Rita Requester")


def test_it_finds_a_request_by_its_id(cast, client_for, tickets):
    client = client_for(cast.admin)

    assert _listed(client.get(REQUESTS, {"q": str(tickets["stapler"].pk)})) == {tickets["stapler"].pk}
    assert _listed(client.get(REQUESTS, {"q": f"#{tickets['backup'].pk}"})) == {tickets["backup"].pk}


def test_it_finds_requests_by_words_of_their_subject(cast, client_for, tickets):
    client = client_for(cast.admin)

    assert _listed(client.get(REQUESTS, {"q": "stapler"})) == {tickets["stapler"].pk}
    assert _listed(client.get(REQUESTS, {"q": "Dashboard tiles"})) == {cast.ticket.pk}


def test_it_finds_requests_by_the_requesters_email(cast, client_for, tickets):
    response = client_for(cast.admin).get(REQUESTS, {"q": "Requester@Northwind.example"})

    assert _listed(response) == {cast.ticket.pk, tickets["printer"].pk}


def test_it_filters_requests_by_status(cast, client_for, tickets):
    client = client_for(cast.admin)

    assert _listed(client.get(REQUESTS, {"status__exact": "on_hold"})) == {tickets["stapler"].pk}
    assert _listed(client.get(REQUESTS, {"status__exact": "open"})) == {cast.ticket.pk, cast.other_ticket.pk}


def test_it_filters_requests_by_priority(cast, client_for, tickets):
    client = client_for(cast.admin)

    assert _listed(client.get(REQUESTS, {"priority__exact": "S2"})) == {tickets["printer"].pk}
    assert _listed(client.get(REQUESTS, {"priority__exact": "S1"})) == {tickets["stapler"].pk}


def test_it_lists_requests_in_a_constant_number_of_queries(cast, client_for):
    client = client_for(cast.admin)
    people = [UserFactory(organisation=OrganisationFactory(name=f"Tenant {n}")) for n in range(3)]

    def count(rows: int) -> int:
        client.get(REQUESTS)  # warm up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(REQUESTS)
        assert len(_listed(response)) == rows
        return len(queries)

    TicketFactory(requester=people[0])  # with the cast's two requests: 3 rows, in 2 organisations
    few = count(3)
    for n in range(27):
        ticket = TicketFactory(requester=people[n % 3], priority=f"S{n % 4 + 1}")
        ReplyFactory(ticket=ticket)

    assert count(30) == few


# --- The request's page: the event log --------------------------------------------------------------------


def test_it_shows_the_event_log_read_only_on_the_request_page(cast, client_for):
    actions.change_status(ticket=cast.ticket, to="on_hold", actor=cast.agent, reason="Waiting for engineering.")
    actions.reclassify(ticket=cast.ticket, to="S2", actor=cast.admin, reason="More users affected.")
    status, priority = TicketEvent.objects.filter(ticket=cast.ticket).order_by("pk")

    response = client_for(cast.admin).get(_page(cast.ticket))

    assert inline_rows(response, "events") == [
        {
            "created_at": _shown(status.created_at),
            "kind": "Status changed",
            "actor": "Ann Agent",
            "automation": "-",
            "changed_from": "Open",
            "changed_to": "On hold",
            "reason": "Waiting for engineering.",
        },
        {
            "created_at": _shown(priority.created_at),
            "kind": "Priority changed",
            "actor": "Sid Admin",
            "automation": "-",
            "changed_from": "S3 – Tolerable",
            "changed_to": "S2 – High",
            "reason": "More users affected.",
        },
    ]
    # Nothing of the log is a form field: only the ids the inline formset needs are posted back.
    data = form_data(response, "ticket_form")
    assert sorted(name for name in data if name.startswith("events-0-")) == ["events-0-id", "events-0-ticket"]
    assert 'name="events-0-reason"' not in response.content.decode()


def test_it_offers_only_the_workflow_fields_on_the_request_page(cast, client_for):
    data = _opened(client_for(cast.admin), cast.ticket)

    fields = {name for name in data if not name.startswith("events-") and name != "csrfmiddlewaretoken"}
    assert fields == {"new_status", "new_priority", "reason", "opened_version"}
    assert data["opened_version"] == [str(cast.ticket.version)]


# --- Changing status and priority through the workflow ----------------------------------------------------


def test_it_changes_the_status_through_the_workflow_fields(cast, client_for):
    client = client_for(cast.admin)
    before = cast.ticket.version

    response = _submit(client, cast.ticket, _opened(client, cast.ticket), new_status="awaiting_reply")

    cast.ticket.refresh_from_db()
    assert response.redirect_chain == [(REQUESTS, 302)]
    assert cast.ticket.status == "awaiting_reply"
    assert cast.ticket.version == before + 1
    assert _workflow_events(cast.ticket) == [(EventKind.STATUS, cast.admin.pk, "open", "awaiting_reply", "")]


def test_it_changes_the_priority_through_the_workflow_fields(cast, client_for):
    client = client_for(cast.admin)

    _submit(client, cast.ticket, _opened(client, cast.ticket), new_priority="S1", reason="Production is down.")

    cast.ticket.refresh_from_db()
    assert (cast.ticket.priority, cast.ticket.status) == ("S1", "open")
    assert _workflow_events(cast.ticket) == [(EventKind.PRIORITY, cast.admin.pk, "S3", "S1", "Production is down.")]


def test_it_changes_status_and_priority_in_one_save(cast, client_for):
    client = client_for(cast.admin)

    _submit(client, cast.ticket, _opened(client, cast.ticket), new_status="solved", new_priority="S4", reason="Fixed.")

    cast.ticket.refresh_from_db()
    assert (cast.ticket.status, cast.ticket.priority) == ("solved", "S4")
    assert _workflow_events(cast.ticket) == [
        (EventKind.STATUS, cast.admin.pk, "open", "solved", "Fixed."),
        (EventKind.PRIORITY, cast.admin.pk, "S3", "S4", "Fixed."),
    ]


def test_it_refuses_to_solve_without_a_reason(cast, client_for):
    client = client_for(cast.admin)
    before = cast.ticket.version

    response = _submit(client, cast.ticket, _opened(client, cast.ticket), new_status="solved", reason="  ")

    cast.ticket.refresh_from_db()
    assert response.redirect_chain == [(_page(cast.ticket), 302)]
    assert flash_messages(response) == [("error", "Say why the request is Solved.")]
    assert (cast.ticket.status, cast.ticket.solved_at, cast.ticket.version) == ("open", None, before)
    assert _workflow_events(cast.ticket) == []


def test_it_refuses_a_change_made_on_a_page_opened_before_another_change(cast, client_for):
    client = client_for(cast.admin)
    opened = _opened(client, cast.ticket)
    actions.reclassify(ticket=cast.ticket, to="S2", actor=cast.agent, reason="Meanwhile, by another agent.")

    response = _submit(client, cast.ticket, opened, new_status="on_hold")

    cast.ticket.refresh_from_db()
    assert flash_messages(response) == [("error", STALE)]
    assert (cast.ticket.status, cast.ticket.priority) == ("open", "S2")
    assert _workflow_events(cast.ticket) == [
        (EventKind.PRIORITY, cast.agent.pk, "S3", "S2", "Meanwhile, by another agent.")
    ]


def test_it_changes_no_field_posted_raw(cast, client_for):
    client = client_for(cast.admin)
    before = Ticket.objects.values().get(pk=cast.ticket.pk)

    response = _submit(
        client,
        cast.ticket,
        _opened(client, cast.ticket),
        status="solved",
        priority="S1",
        assignee=cast.agent.pk,
        subject="Renamed",
        organisation=cast.other_org.pk,
        requester=cast.outsider.pk,
        version=99,
    )

    assert response.status_code == 200
    assert Ticket.objects.values().get(pk=cast.ticket.pk) == before
    assert TicketEvent.objects.filter(ticket=cast.ticket).count() == 0
