"""Sign-in protection (issue #11): the admin signs in through the portal's rate-limited form, staff can be made to
use an authenticator app, a sign-in gets a fresh session, and a password change signs the person out everywhere."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from portal.tests.factories import PASSWORD

LOGIN = reverse("account_login")
ADMIN_LOGIN = reverse("admin:login")
ACTIVATE_TOTP = reverse("mfa_activate_totp")
REAUTHENTICATE = reverse("account_reauthenticate")


def current_code(secret: str) -> str:
    return totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))


def sign_in(client: Client, email: str, password: str = PASSWORD, next_url: str = "") -> object:
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def enrol(client: Client) -> str:
    """Adds an authenticator app for whoever is signed in on `client`, as a person would (allauth asks for the
    password once more first); returns its secret."""
    response = client.get(ACTIVATE_TOTP)
    assert response["Location"].startswith(REAUTHENTICATE)
    assert client.post(response["Location"], {"password": PASSWORD})["Location"] == ACTIVATE_TOTP
    secret = client.get(ACTIVATE_TOTP).context["form"].secret
    response = client.post(ACTIVATE_TOTP, {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


# --- The admin's sign-in is rate-limited like the portal's -------------------------------------------------


def test_failed_sign_ins_lock_an_agent_out_of_the_admin_too(cast):
    client = Client()
    for _ in range(5):
        assert sign_in(client, cast.agent.email, "wrong-password").status_code == 200

    # The admin's sign-in page sends them to the same form, which now refuses even the right password.
    form = client.get(f"{ADMIN_LOGIN}?next=/admin/")["Location"]
    response = client.post(form, {"login": cast.agent.email, "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


# --- A fresh session at sign-in; signed out everywhere after a password change --------------------------


def test_signing_in_replaces_the_session(cast):
    client = Client()
    client.get(LOGIN)
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key

    sign_in(client, cast.requester.email)

    assert client.session.session_key != before
    assert not SessionStore().exists(before)  # a session id known before sign-in is worth nothing after it


def test_a_password_change_signs_the_person_out_everywhere(cast):
    laptop, phone = Client(), Client()
    sign_in(laptop, cast.requester.email)
    sign_in(phone, cast.requester.email)
    assert phone.get(reverse("tickets:my_requests")).status_code == 200

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-passphrase-2026", "password2": "a-new-passphrase-2026"},
    )

    assert response.status_code == 302
    for client in (laptop, phone):
        assert client.get(reverse("tickets:my_requests"))["Location"].startswith(LOGIN)
    assert sign_in(Client(), cast.requester.email, "a-new-passphrase-2026").status_code == 302


# --- Two-factor sign-in for staff ------------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.mark.parametrize("page", ["tickets:my_requests", "workflow:queue", "admin:index", "preferences"])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(cast, required, page):
    client = Client()
    sign_in(client, cast.agent.email)

    assert client.get(reverse(page))["Location"] == ACTIVATE_TOTP
    assert client.post(reverse("tickets:reply", args=[cast.ticket.pk]), {"body": "x"})["Location"] == ACTIVATE_TOTP
    # What they may open: the set-up (after confirming their password), and signing out.
    assert client.get(ACTIVATE_TOTP)["Location"].startswith(REAUTHENTICATE)
    assert client.get(REAUTHENTICATE).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200


def test_customers_are_not_asked_for_a_second_factor(cast, required):
    client = Client()
    sign_in(client, cast.requester.email)
    assert client.get(reverse("tickets:my_requests")).status_code == 200


def test_the_rule_is_a_setting(cast, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client = Client()
    sign_in(client, cast.agent.email)
    assert client.get(reverse("workflow:queue")).status_code == 200


def test_once_enrolled_staff_work_and_sign_in_with_a_code(cast, required):
    client = Client()
    sign_in(client, cast.agent.email)
    secret = enrol(client)
    assert Authenticator.objects.filter(user=cast.agent, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("workflow:queue")).status_code == 200

    # Next time the password alone does not sign them in: a code from the app does.
    later = Client()
    response = sign_in(later, cast.agent.email, next_url=reverse("workflow:queue"))
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in later.session
    assert later.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert "_auth_user_id" not in later.session

    response = later.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response["Location"] == reverse("workflow:queue")
    assert later.session["_auth_user_id"] == str(cast.agent.pk)


def test_a_site_admin_removes_a_lost_authenticator_and_agents_cannot(cast, required):
    client = Client()
    sign_in(client, cast.agent.email)
    enrol(client)
    changelist = reverse("admin:accounts_user_changelist")
    action = {"action": "remove_second_factor", "_selected_action": [cast.agent.pk], "index": 0}

    assert "remove_second_factor" not in client.get(changelist).content.decode()
    client.post(changelist, action)
    assert Authenticator.objects.filter(user=cast.agent).exists()

    admin = Client()
    admin.force_login(cast.admin)
    Authenticator.objects.create(user=cast.admin, type=Authenticator.Type.TOTP, data={})
    response = admin.post(changelist, action, follow=True)

    assert "Removed 2 authenticators." in response.content.decode()  # the app and its recovery codes
    assert not Authenticator.objects.filter(user=cast.agent).exists()
    assert client.get(reverse("workflow:queue"))["Location"] == ACTIVATE_TOTP  # set up a new one first


def test_nobody_can_be_given_rights_over_authenticators(cast):
    admin = Client()
    admin.force_login(cast.admin)
    for url, field in [
        (reverse("admin:accounts_user_change", args=[cast.agent.pk]), "user_permissions"),
        (reverse("admin:auth_group_add"), "permissions"),
    ]:
        offered = admin.get(url).context["adminform"].form.fields[field].queryset
        assert offered.exists() and not offered.filter(content_type__app_label="mfa").exists()
    assert admin.get("/admin/mfa/authenticator/").status_code == 404
