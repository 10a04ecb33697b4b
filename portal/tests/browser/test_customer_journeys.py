"""Customers in a real browser: finding a request and reopening it, opening one with a priority, a CC and a
file, and the CC'd colleague finding it. Every step is a click or typing; the data is only set up before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def listed(page):
    """The subjects in My requests' table, top to bottom."""
    return page.get_by_role("table", name="Your support requests").locator("tbody tr td:first-child")


def details(page):
    return page.get_by_role("complementary", name="Details")


def value_of(page, term: str):
    """The <dd> after the <dt> named `term` in a request's Details."""
    return details(page).locator(f"dt:text-is('{term}') + dd")


def test_customer_finds_a_solved_request_from_the_profile_menu_and_reopens_it_by_replying(people, open_page, sign_in):
    page = open_page()
    sign_in(page, people.requester)

    menu_link = page.get_by_role("link", name="Support requests")
    expect(menu_link).to_be_hidden()
    profile = page.get_by_role("navigation", name="Account").locator("summary")
    expect(profile).to_have_text("Profile menu for Rita Requester")
    profile.click()
    menu_link.click()
    expect(page).to_have_url(re.compile(r"/requests/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    expect(listed(page)).to_have_text(
        [
            "Dashboard tiles fail to load",
            "Invoice totals rounding",
            "Invoice email bounces",
            "Invoice PDF export fails",
        ]
    )

    page.get_by_role("textbox", name="Search").fill("invoice")
    page.get_by_role("button", name="Search").click()
    # Globex's "invoice" request is another organisation's: never listed.
    expect(listed(page)).to_have_text(["Invoice totals rounding", "Invoice email bounces", "Invoice PDF export fails"])
    expect(page.get_by_role("status")).to_have_text("3 requests")

    page.get_by_label("Status").select_option(label="Solved")
    page.get_by_role("button", name="Apply").click()
    expect(listed(page)).to_have_text(["Invoice totals rounding", "Invoice PDF export fails"])
    expect(page.get_by_role("textbox", name="Search")).to_have_value("invoice")

    page.get_by_label("Sort by").select_option(label="Last activity, oldest first")
    page.get_by_role("button", name="Apply").click()
    expect(listed(page)).to_have_text(["Invoice PDF export fails", "Invoice totals rounding"])
    expect(page.get_by_label("Status")).to_have_value("solved")

    page.get_by_role("link", name="Invoice PDF export fails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Invoice PDF export fails #\d+$"))
    expect(value_of(page, "Status").locator(".badge")).to_have_text("Solved")
    expect(page.get_by_text("This request is solved. Sending a reply will reopen it.")).to_be_visible()

    page.get_by_label("Your reply").fill("The empty PDF is back since this morning.")
    page.get_by_role("button", name="Send and reopen").click()

    expect(page.get_by_role("status")).to_have_text("Your reply was added and the request was reopened.")
    expect(value_of(page, "Status").locator(".badge")).to_have_text("Open")
    conversation = page.get_by_role("region", name="Conversation")
    expect(conversation.get_by_text("The empty PDF is back since this morning.")).to_be_visible()
    expect(page.get_by_text("This request is solved. Sending a reply will reopen it.")).to_have_count(0)
    expect(page.get_by_role("button", name="Send reply")).to_be_visible()


def test_customer_opens_a_request_with_priority_cc_and_file_and_the_cc_finds_it_under_cc_scope(
    people, open_page, sign_in, tmp_path
):
    log = tmp_path / "sync-error.log"
    log.write_text("2026-11-23 09:14 sync failed: 502 from upstream\n")

    page = open_page()
    sign_in(page, people.requester)
    page.get_by_role("link", name="New request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a request")

    page.get_by_label("Subject").fill("Nightly sync fails with 502")
    page.get_by_label("Description").fill("Since Monday the nightly sync stops halfway. Log attached.")
    priorities = page.get_by_role("group", name="Priority")
    expect(priorities.get_by_role("radio")).to_have_count(4)
    expect(priorities.get_by_role("radio", name=re.compile(r"^S3 – Tolerable"))).to_be_checked()
    # Each choice is named with its meaning, so customers pick by impact.
    high = priorities.get_by_role(
        "radio", name="S2 – High Services work but are degraded; significant business impact.", exact=True
    )
    high.check()
    page.get_by_role("group", name="CC colleagues").get_by_role("checkbox", name="Cole Colleague").check()
    page.get_by_label("Attachments").set_input_files(log)
    page.get_by_role("button", name="Open request").click()

    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    number = re.search(r"/requests/(\d+)/$", page.url).group(1)
    expect(page.get_by_role("status")).to_have_text(f"Your request #{number} was opened.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Nightly sync fails with 502 #{number}")
    expect(value_of(page, "Priority")).to_contain_text("S2 – High")
    expect(value_of(page, "CCs")).to_have_text("Cole Colleague")
    expect(page.get_by_role("list", name="Attachments").get_by_role("link")).to_have_text("sync-error.log")

    colleague = open_page()
    sign_in(colleague, people.colleague)
    colleague.get_by_label("Show").select_option("cc")
    colleague.get_by_role("button", name="Apply").click()
    expect(colleague.get_by_label("Show")).to_have_value("cc")
    # Cole's own request is not one he is CC'd on.
    expect(listed(colleague)).to_have_text(["Nightly sync fails with 502", "Dashboard tiles fail to load"])

    colleague.get_by_role("link", name="Nightly sync fails with 502").click()
    expect(value_of(colleague, "Requester")).to_have_text("Rita Requester")
    with colleague.expect_download() as download:
        colleague.get_by_role("link", name="sync-error.log").click()
    assert download.value.suggested_filename == "sync-error.log"
    assert Path(download.value.path()).read_text() == log.read_text()
