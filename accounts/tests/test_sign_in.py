"""Signing in, out and resetting a password (django-allauth, with the portal's adapter and templates)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from portal.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-orchard-velvet-42"
TOO_MANY_ATTEMPTS = "Too many failed login attempts. Try again later."


def _signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def _sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_it_sends_anonymous_visitor_to_sign_in_with_next(client):
    my_requests = reverse("tickets:my_requests")

    response = client.get(my_requests)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={my_requests}"


class _Form(HTMLParser):
    """The inputs of a page by name (their ids) and the text of its labels by their `for`."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.input_ids: dict[str, str] = {}
        self.label_text: dict[str, str] = {}
        self._label_for: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and "name" in attrs:
            self.input_ids[attrs["name"]] = attrs.get("id")
        elif tag == "label":
            self._label_for = attrs.get("for")
            self.label_text[self._label_for] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None

    def handle_data(self, data):
        if self._label_for is not None:
            self.label_text[self._label_for] += data


def test_it_labels_the_email_and_password_fields(client):
    response = client.get(reverse("account_login"))

    form = _Form(response.content.decode())
    assert response.status_code == 200
    assert form.label_text[form.input_ids["login"]].strip() == "Email:"
    assert form.label_text[form.input_ids["password"]].strip() == "Password:"


def test_it_signs_customer_in_with_email_and_password_and_shows_my_requests(cast, client):
    response = _sign_in(client, cast.requester.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:my_requests")
    assert _signed_in_user_id(client) == str(cast.requester.pk)
    my_requests = client.get(response["Location"])
    assert my_requests.status_code == 200
    assert cast.ticket.subject in my_requests.content.decode()


def test_it_returns_to_next_after_sign_in(cast, client):
    detail = reverse("tickets:detail", args=[cast.ticket.pk])

    response = client.post(
        f"{reverse('account_login')}?next={detail}", {"login": cast.requester.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == detail


def test_it_refuses_wrong_password(cast, client):
    response = _sign_in(client, cast.requester.email, "not-the-password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_it_refuses_even_the_right_password_after_five_failures_for_one_address(cast, client):
    for _ in range(5):
        failed = _sign_in(client, cast.requester.email, "not-the-password")
        assert TOO_MANY_ATTEMPTS not in failed.content.decode()

    response = _sign_in(client, cast.requester.email, PASSWORD)

    assert response.status_code == 200
    assert TOO_MANY_ATTEMPTS in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_it_still_lets_another_address_sign_in_after_one_is_locked(cast, client):
    for _ in range(5):
        _sign_in(client, cast.requester.email, "not-the-password")

    response = _sign_in(client, cast.colleague.email, PASSWORD)

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(cast.colleague.pk)


def test_it_refuses_inactive_person(cast, client):
    cast.requester.is_active = False
    cast.requester.save(update_fields=["is_active"])

    response = _sign_in(client, cast.requester.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert _signed_in_user_id(client) is None


def test_it_shows_sign_up_closed_instead_of_a_form(client):
    response = client.get(reverse("account_signup"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "account/signup_closed.html" in [template.name for template in response.templates]
    assert "<form" not in html.split('<main id="main-content"', 1)[1]
    assert 'name="password1"' not in html


def test_it_creates_no_account_on_sign_up_post(client):
    User = get_user_model()
    before = User.objects.count()

    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert "account/signup_closed.html" in [template.name for template in response.templates]
    assert User.objects.count() == before
    assert not User.objects.filter(email="newcomer@example.com").exists()
    assert _signed_in_user_id(client) is None


def _request_reset_link(client, email: str) -> str:
    response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    [message] = mail.outbox
    assert message.to == [email]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)
    assert link, message.body
    return link.group(1)


def _set_password_from_link(client, link: str, password: str):
    # allauth moves the key out of the URL (into the session) before showing the form.
    response = client.get(link)
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert set_password_url.endswith("-set-password/")
    assert client.get(set_password_url).status_code == 200
    return client.post(set_password_url, {"password1": password, "password2": password})


def test_it_resets_password_by_email_link(cast, client):
    link = _request_reset_link(client, cast.requester.email)

    response = _set_password_from_link(client, link, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert _signed_in_user_id(client) is None
    _sign_in(client, cast.requester.email, PASSWORD)
    assert _signed_in_user_id(client) is None
    _sign_in(client, cast.requester.email, NEW_PASSWORD)
    assert _signed_in_user_id(client) == str(cast.requester.pk)


def test_it_refuses_a_reset_link_a_second_time(cast, client):
    link = _request_reset_link(client, cast.requester.email)
    _set_password_from_link(client, link, NEW_PASSWORD)

    response = client.get(link)

    assert response.status_code == 200
    assert response.context["token_fail"] is True
    assert 'name="password1"' not in response.content.decode()


def test_it_sends_no_reset_link_for_unknown_address(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    # The same answer as for a known address, so the form does not reveal who has an account.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert [message for message in mail.outbox if "/password/reset/key/" in message.body] == []


def test_it_does_not_point_unknown_address_to_the_closed_sign_up(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert [message for message in mail.outbox if reverse("account_signup") in message.body] == []


def test_it_asks_for_confirmation_on_sign_out_by_get(cast, client_for):
    client = client_for(cast.requester)

    response = client.get(reverse("account_logout"))

    assert response.status_code == 200
    assert "account/logout.html" in [template.name for template in response.templates]
    # The header's profile menu has a sign-out form too; the confirmation is the one in the page body.
    body = response.content.decode().split('<main id="main-content"', 1)[1]
    assert re.search(rf'<form method="post"\s+action="{reverse("account_logout")}">', body)
    assert _signed_in_user_id(client) == str(cast.requester.pk)


def test_it_signs_out_by_post(cast, client_for):
    client = client_for(cast.requester)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in_user_id(client) is None


def test_it_links_support_requests_from_the_profile_menu(cast, client_for):
    response = client_for(cast.requester).get(reverse("tickets:my_requests"))

    html = response.content.decode()
    menu = re.search(r'<details class="profile-menu">(.*?)</details>', html, re.DOTALL).group(1)
    assert f'<a href="{reverse("tickets:my_requests")}">Support requests</a>' in menu
