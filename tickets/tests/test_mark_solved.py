"""The requester marks their own request solved; the customer's view of status (SPEC §7)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workflow.models import Status

LABELS = {
    Status.OPEN: ("Open", "The next step is ours."),
    Status.AWAITING_REPLY: ("Awaiting your reply", "The next step is yours."),
    Status.ON_HOLD: ("On hold", "Support is still working on it."),
    Status.SOLVED: ("Solved", "reply and the request reopens"),
}


@pytest.mark.parametrize("status", list(Status))
def test_customer_sees_the_status_label_and_who_owns_the_next_step(cast, client_for, status):
    cast.ticket.status = status
    cast.ticket.save()
    html = client_for(cast.requester).get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()
    label, explanation = LABELS[status]
    assert f'<span class="badge status-{status}">{label}</span>' in html
    assert explanation in html


def test_requester_marks_request_solved(cast, client_for):
    client = client_for(cast.requester)
    page = client.get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()
    assert "Mark as solved" in page
    response = client.post(reverse("tickets:solve", args=[cast.ticket.pk]), follow=True)
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.SOLVED
    assert "Marked as solved" in response.content.decode()
    assert "Mark as solved" not in response.content.decode().split("</form>")[-1]


def test_a_cc_cannot_mark_it_solved(cast, client_for):
    client = client_for(cast.colleague)
    assert "Mark as solved" not in client.get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()
    response = client.post(reverse("tickets:solve", args=[cast.ticket.pk]), follow=True)
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.OPEN
    assert "Only the person who opened the request can mark it solved." in response.content.decode()


def test_strangers_get_404_and_get_gets_405(cast, client_for):
    assert client_for(cast.outsider).post(reverse("tickets:solve", args=[cast.ticket.pk])).status_code == 404
    assert client_for(cast.bystander).post(reverse("tickets:solve", args=[cast.ticket.pk])).status_code == 404
    assert client_for(cast.requester).get(reverse("tickets:solve", args=[cast.ticket.pk])).status_code == 405
