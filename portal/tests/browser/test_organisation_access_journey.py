"""Organisation-level access in a real browser: a technical contact sees the organisation's requests until a site
admin revokes the grant in the Django admin; the contact's open pages lose them on the next load."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCOPES_WITH_GRANT = ["All I can see", "My requests", "Requests I'm CC'd on", "Organisation requests"]


def listed(page):
    return page.get_by_role("table", name="Your support requests").locator("tbody tr td:first-child")


def test_contact_loses_organisation_requests_on_reload_once_an_admin_revokes_the_grant(people, open_page, sign_in):
    contact = open_page()
    sign_in(contact, people.contact)
    contact.get_by_role("navigation", name="Account").locator("summary").click()
    contact.get_by_role("link", name="Organisation access").click()
    expect(contact.get_by_role("heading", level=1)).to_have_text("Organisation-level access")
    expect(contact.get_by_text("You have organisation-level access.")).to_be_visible()
    contact.get_by_role("link", name="See your organisation's requests").click()

    show = contact.get_by_label("Show")
    expect(show.locator("option")).to_have_text(SCOPES_WITH_GRANT)
    expect(show).to_have_value("organisation")
    # Every Northwind request, newest activity first; Globex's never.
    expect(listed(contact)).to_have_text(
        [
            "Dashboard tiles fail to load",
            "Invoice totals rounding",
            "Invoice email bounces",
            "Invoice PDF export fails",
            "Printer driver for the warehouse",
        ]
    )
    with contact.context.expect_page() as opened:
        contact.get_by_role("link", name="Printer driver for the warehouse").click(modifiers=["Control"])
    colleagues_request = opened.value
    expect(colleagues_request.get_by_role("heading", level=1)).to_contain_text("Printer driver for the warehouse")

    admin = open_page()
    admin.goto("/admin/login/")
    admin.get_by_label("Email").fill(people.admin.email)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("main").get_by_role("button", name="Sign in").click()  # the admin signs in on the portal's form
    admin.get_by_role("link", name="Organisation-level access", exact=True).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Select organisation-level access to view")
    admin.get_by_role("row", name=re.compile("Tess Contact")).get_by_role("checkbox").check()
    admin.get_by_role("combobox", name="Action").select_option(label="Revoke selected organisation-level access")
    admin.get_by_role("button", name="Run").click()  # Django 6.1's name for the actions' "Go" button
    expect(admin.get_by_text("Revoked 1 grant.")).to_be_visible()

    response = contact.reload()
    assert response.status == 400  # scope=organisation is no longer a choice
    expect(show.locator("option")).to_have_text(SCOPES_WITH_GRANT[:3])
    expect(contact.get_by_role("alert")).to_have_text("Some filters could not be used. Correct them and try again.")
    expect(contact.get_by_role("link", name="Printer driver for the warehouse")).to_have_count(0)
    contact.get_by_role("main").get_by_role("link", name="Clear filters").click()
    expect(contact.get_by_role("heading", name="No requests yet")).to_be_visible()

    response = colleagues_request.reload()
    assert response.status == 404
    expect(colleagues_request.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(colleagues_request.get_by_text("Printer driver for the warehouse")).to_have_count(0)
