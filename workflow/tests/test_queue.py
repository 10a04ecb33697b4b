"""The agents' queue: staff only, filters, default sort by first-response due time, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import OrganisationFactory, StaffFactory, TicketFactory, UserFactory
from workflow.models import Priority, Status

URL = reverse("workflow:queue")


def listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].object_list]


@pytest.mark.parametrize("persona", ["requester", "colleague", "contact", "outsider", "bystander"])
def test_customers_get_404(cast, client_for, persona):
    assert client_for(getattr(cast, persona)).get(URL).status_code == 404


def test_anonymous_goes_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_post_gets_405(cast, client_for):
    assert client_for(cast.agent).post(URL).status_code == 405


def test_it_lists_every_organisation_sorted_by_first_response_due(cast, client_for):
    now = timezone.now()
    late = TicketFactory(requester=cast.outsider, first_response_due_at=now - timedelta(hours=2))
    soon = TicketFactory(requester=cast.requester, first_response_due_at=now + timedelta(hours=1))
    response = client_for(cast.agent).get(URL)
    assert listed(response)[:2] == [late.pk, soon.pk]
    assert set(listed(response)) == {late.pk, soon.pk, cast.ticket.pk, cast.other_ticket.pk}
    html = response.content.decode()
    assert "Breached" in html and "Globex" in html and "Northwind" in html


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "on_hold"}, {"held"}),
        ({"priority": "S1"}, {"urgent"}),
        ({"assignee": "null"}, {"held", "urgent", "breached", "answered_late"}),
        ({"due": "breached"}, {"breached", "answered_late"}),
        ({"due": "pending"}, {"breached"}),
    ],
)
def test_it_filters(cast, client_for, params, expected):
    now = timezone.now()
    cast.ticket.delete()
    cast.other_ticket.delete()
    tickets = {
        "held": TicketFactory(requester=cast.requester, status=Status.ON_HOLD),
        "urgent": TicketFactory(requester=cast.requester, priority=Priority.S1),
        "assigned": TicketFactory(requester=cast.requester, assignee=cast.agent, status=Status.SOLVED),
        "breached": TicketFactory(requester=cast.requester, first_response_due_at=now - timedelta(minutes=5)),
        "answered_late": TicketFactory(
            requester=cast.requester,
            first_response_due_at=now - timedelta(hours=5),
            first_responded_at=now - timedelta(hours=1),
        ),
    }
    response = client_for(cast.agent).get(URL, params)
    assert set(listed(response)) == {tickets[name].pk for name in expected}


def test_it_filters_by_organisation_and_assignee(cast, client_for):
    cast.ticket.assignee = cast.agent
    cast.ticket.save()
    client = client_for(cast.agent)
    assert listed(client.get(URL, {"organisation": cast.other_org.pk})) == [cast.other_ticket.pk]
    assert listed(client.get(URL, {"assignee": cast.agent.pk})) == [cast.ticket.pk]


@pytest.mark.parametrize(
    "params",
    [{"organisation": "999999"}, {"organisation": "x"}, {"assignee": str(10**30)}, {"due": "soon"}, {"sort": "pk"}],
)
def test_unknown_values_are_form_errors(cast, client_for, params):
    response = client_for(cast.agent).get(URL, params)
    assert response.status_code == 400
    assert "Some filters could not be used" in response.content.decode()


def test_customers_are_not_assignees(cast, client_for):
    response = client_for(cast.agent).get(URL, {"assignee": cast.requester.pk})
    assert response.status_code == 400


def test_the_number_of_queries_does_not_grow_with_the_page(cast, client_for):
    client = client_for(cast.agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = count()
    for _ in range(20):
        org = OrganisationFactory()
        TicketFactory(requester=UserFactory(organisation=org), assignee=StaffFactory())
    assert count() == few
