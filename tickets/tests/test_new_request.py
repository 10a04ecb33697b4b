"""Opening a request: subject, description, priority with meanings, CCs from the same organisation, files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.tests.factories import UserFactory
from tickets.models import Attachment, EventKind, Reply, Ticket, TicketEvent
from workflow.models import Status

URL = reverse("tickets:new")


def valid(**overrides) -> dict:
    data = {"subject": "Alerts are not sent", "body": "Since Monday no alert emails arrive.", "priority": "S2"}
    data.update(overrides)
    return data


def counts() -> tuple[int, int, int, int]:
    return Ticket.objects.count(), Reply.objects.count(), Attachment.objects.count(), TicketEvent.objects.count()


def test_form_shows_priorities_with_their_meanings_and_only_colleagues_to_cc(cast, client_for):
    html = client_for(cast.requester).get(URL).content.decode()
    assert "S1 – Urgent" in html and "The application&#x27;s function is lost entirely" in html
    assert "S4 – Question" in html and "General questions, documentation requests" in html
    assert "Cole Colleague" in html and "Bea Bystander" in html
    assert "Otto Outsider" not in html
    assert "Rita Requester" not in html.split('id="id_ccs"')[1].split("</fieldset>")[0]
    for field in ["id_subject", "id_body", "id_attachments"]:
        assert f'for="{field}"' in html


def test_customer_opens_a_request_with_priority_cc_and_attachment(cast, client_for):
    upload = SimpleUploadedFile("error.txt", b"Traceback ...", content_type="text/plain")
    response = client_for(cast.requester).post(URL, valid(ccs=[cast.colleague.pk], attachments=[upload]))
    ticket = Ticket.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.subject, ticket.priority, ticket.status, ticket.channel) == (
        "Alerts are not sent",
        "S2",
        "open",
        "web",
    )
    assert ticket.requester == cast.requester and ticket.organisation == cast.org
    assert list(ticket.ccs.all()) == [cast.colleague]
    first = ticket.replies.get()
    assert first.body == "Since Monday no alert emails arrive." and first.is_public
    assert first.attachments.get().name == "error.txt"
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED, to_value=Status.OPEN).exists()
    # the CC'd colleague sees it at once, under "Requests I'm CC'd on"
    cc_view = client_for(cast.colleague).get(reverse("tickets:my_requests"), {"scope": "cc"})
    assert ticket in cc_view.context["page"].object_list


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"subject": "x" * 151}, "Ensure this value has at most 150 characters"),
        ({"subject": "  "}, "This field is required."),
        ({"body": ""}, "This field is required."),
        ({"body": " \n "}, "This field is required."),
        ({"priority": "S0"}, "Select a valid choice"),
        ({"priority": ""}, "This field is required."),
    ],
)
def test_bad_input_gets_a_form_error_and_nothing_is_saved(cast, client_for, overrides, message):
    before = counts()
    response = client_for(cast.requester).post(URL, valid(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_cc_from_another_organisation_is_refused(cast, client_for):
    before = counts()
    response = client_for(cast.requester).post(URL, valid(ccs=[cast.colleague.pk, cast.outsider.pk]))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("cc", ["abc", "99999999999999999999999", "-1"])
def test_nonsense_cc_values_are_refused(cast, client_for, cc):
    response = client_for(cast.requester).post(URL, valid(ccs=[cc]))
    assert response.status_code == 400
    assert Ticket.objects.count() == 2


def test_smuggled_organisation_and_status_are_ignored(cast, client_for):
    client_for(cast.requester).post(
        URL, valid(organisation=cast.other_org.pk, organisation_id=cast.other_org.pk, status="solved")
    )
    ticket = Ticket.objects.latest("pk")
    assert ticket.organisation == cast.org
    assert ticket.status == Status.OPEN


def test_oversize_attachment_is_refused(cast, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    before = counts()
    upload = SimpleUploadedFile("dump.bin", b"x" * 101)
    response = client_for(cast.requester).post(URL, valid(attachments=[upload]))
    assert response.status_code == 400
    assert "dump.bin is 101\xa0bytes; each file may be at most 100\xa0bytes." in response.content.decode()
    assert counts() == before


def test_too_many_attachments_are_refused(cast, client_for, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    before = counts()
    uploads = [SimpleUploadedFile(f"f{index}.txt", b"x") for index in range(3)]
    response = client_for(cast.requester).post(URL, valid(attachments=uploads))
    assert response.status_code == 400
    assert "Attach at most 2 files." in response.content.decode()
    assert counts() == before


def test_empty_file_is_refused(cast, client_for):
    response = client_for(cast.requester).post(URL, valid(attachments=[SimpleUploadedFile("empty.txt", b"")]))
    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()


def test_agents_do_not_open_requests_here(cast, client_for):
    assert client_for(cast.agent).post(URL, valid()).status_code == 404


def test_inactive_colleague_cannot_be_copied(cast, client_for):
    gone = UserFactory(organisation=cast.org, is_active=False)
    response = client_for(cast.requester).post(URL, valid(ccs=[gone.pk]))
    assert response.status_code == 400


def test_anonymous_goes_to_sign_in(client):
    response = client.post(URL, valid())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_field_help_is_tied_to_its_input(cast, client_for):
    html = client_for(cast.requester).get(URL).content.decode()
    assert 'aria-describedby="id_body_helptext"' in html
    assert 'id="id_body_helptext"' in html
