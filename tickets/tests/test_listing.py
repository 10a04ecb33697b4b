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
    assert client.get(MY_REQUESTS, {"page": 10**30}).status_code == 404  # past any list, not a database error
    assert client_for(cast.agent).get(QUEUE, {"page": 10**30}).status_code == 404


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


@pytest.mark.parametrize("cap", [3, 6, 7, 100])
@pytest.mark.parametrize("how", ["read_whole", "counted_apart", "counted_in_order"])
def test_a_page_that_counts_as_it_reads_answers_as_a_count_first_would(seven, cap, how):
    from django.core.paginator import InvalidPage

    from tickets.listing import CappedPaginator
    from tickets.models import Ticket

    rows = Ticket.objects.order_by("-created_at", "-pk")
    options = {"read_whole": how == "read_whole", "count_in_order": how == "counted_in_order"}

    def answer(paginator, number):
        try:
            page = paginator.page(number)
        except InvalidPage as refusal:
            return type(refusal)
        return (
            [ticket.pk for ticket in page.object_list],
            paginator.count,
            paginator.is_capped,
            page.has_next(),
            page.start_index(),
            page.end_index(),
            None if paginator.is_capped else paginator.num_pages,
        )

    for number in [1, 2, 3, 4, 5, 0, -1, "x", "2", 10**30]:
        counted_first = CappedPaginator(rows, 2, cap=cap, count_with_rows=False, **options)
        counted_with_rows = CappedPaginator(rows, 2, cap=cap, **options)
        with CaptureQueriesContext(connection) as queries:
            answered = answer(counted_with_rows, number)
        assert answered == answer(counted_first, number), number
        if isinstance(answered, tuple):
            assert len(queries) == 1  # the page and its count


def test_a_list_reads_its_page_and_count_in_one_query(seven, cast, client_for):
    for person, counted_by in [(cast.requester, "OVER ()"), (cast.contact, "SELECT COUNT(*) FROM (")]:
        client = client_for(person)
        client.get(MY_REQUESTS)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(MY_REQUESTS, {"page": 2}).content.decode()
        lists = [query["sql"] for query in queries if 'FROM "tickets_ticket"' in query["sql"]]
        assert len(lists) == 1 and counted_by in lists[0], lists
        assert "More than 4 requests" in html and 'rel="next"' in html


def test_an_empty_list_still_says_so(cast, client_for):
    response = client_for(cast.bystander).get(MY_REQUESTS)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert client_for(cast.bystander).get(MY_REQUESTS, {"page": 2}).status_code == 404
