"""Lists count only up to a limit (tickets.listing.CappedPaginator): beyond it they say "more than" and page on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.tests.factories import TicketFactory

MY_REQUESTS = reverse("tickets:my_requests")
QUEUE = reverse("workflow:queue")


def listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].object_list]


@pytest.fixture
def seven(cast, settings):
    settings.REQUESTS_PER_PAGE = 2
    settings.LIST_COUNT_LIMIT = 4
    settings.SEARCH_COUNT_LIMIT = 3
    tickets = [TicketFactory(requester=cast.requester, subject=f"Printer {n}") for n in range(6)]
    return [cast.ticket, *tickets]


def test_below_the_limit_a_list_counts_exactly(cast, client_for, settings):
    settings.REQUESTS_PER_PAGE = 2
    settings.LIST_COUNT_LIMIT = 4
    TicketFactory(requester=cast.requester)
    html = client_for(cast.requester).get(MY_REQUESTS).content.decode()
    assert "2 requests" in html and "Page 1 of 1" not in html
    TicketFactory(requester=cast.requester), TicketFactory(requester=cast.requester)
    html = client_for(cast.requester).get(MY_REQUESTS).content.decode()
    assert "4 requests" in html and "Page 1 of 2" in html


def test_beyond_the_limit_it_says_more_than_and_pages_on_to_the_last_row(seven, cast, client_for):
    client = client_for(cast.requester)
    seen, number = [], 1
    while True:
        response = client.get(MY_REQUESTS, {"page": number})
        html = response.content.decode()
        assert "More than 4 requests" in html
        assert f"Page {number}</span>" in html and " of " not in html.split('aria-current="page">')[1][:30]
        seen += listed(response)
        if 'rel="next"' not in html:
            break
        assert f"page={number + 1}" in html
        number += 1
    assert number == 4  # 7 requests, 2 a page
    assert len(seen) == len(set(seen)) and set(seen) == {ticket.pk for ticket in seven}  # no row twice or missed
    assert len(listed(client.get(MY_REQUESTS, {"page": 4}))) == 1
    assert client.get(MY_REQUESTS, {"page": 5}).status_code == 404
    assert client.get(MY_REQUESTS, {"page": 0}).status_code == 404


def test_search_has_its_own_limit(seven, cast, client_for):
    client = client_for(cast.requester)
    assert "More than 3 requests" in client.get(MY_REQUESTS, {"q": "printer"}).content.decode()
    assert "1 request" in client.get(MY_REQUESTS, {"q": "dashboard"}).content.decode()


def test_the_agents_queue_is_capped_too(seven, cast, client_for):
    html = client_for(cast.agent).get(QUEUE).content.decode()
    assert "More than 4 requests" in html and 'rel="next"' in html


def test_a_capped_page_costs_the_same_queries_as_a_counted_one(seven, cast, client_for, settings):
    client = client_for(cast.requester)

    def queries(limit: int) -> int:
        settings.LIST_COUNT_LIMIT = limit
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MY_REQUESTS, {"page": 2}).status_code == 200
        return len(captured)

    assert queries(4) == queries(100)
