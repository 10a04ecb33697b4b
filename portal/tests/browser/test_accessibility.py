"""axe-core (WCAG 2.0 and 2.1, levels A and AA) on every page the browser journeys visit, in the state the journey
sees it: each page is reached the way a person reaches it (the sign-in form, links, forms), then axe runs in the
page. A serious or critical violation fails the page's test with the rule, the elements and axe's help."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _sign_in_page(page, people, sign_in) -> None:
    page.goto("/accounts/login/")


def _sign_in_with_wrong_password(page, people, sign_in) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(people.requester.email)
    page.get_by_label("Password").fill(PASSWORD + "-wrong")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("main")).to_contain_text("not correct")


def _my_requests_with_profile_menu_open(page, people, sign_in) -> None:
    sign_in(page, people.requester)
    page.get_by_role("navigation", name="Account").locator("summary").click()
    expect(page.get_by_role("link", name="Support requests")).to_be_visible()


def _my_requests_filtered(page, people, sign_in) -> None:
    sign_in(page, people.requester)
    page.goto("/requests/?q=invoice&status=solved&sort=activity")
    expect(page.get_by_role("status")).to_have_text("2 requests")


def _my_requests_matching_nothing(page, people, sign_in) -> None:
    sign_in(page, people.requester)
    page.goto("/requests/?q=kangaroo")
    expect(page.get_by_role("heading", name="No requests match")).to_be_visible()


def _filters_refused(page, people, sign_in) -> None:
    # What a contact sees on reload after the grant is revoked: the scope is no longer a choice.
    sign_in(page, people.requester)
    page.goto("/requests/?scope=organisation")
    expect(page.get_by_role("alert")).to_be_visible()


def _request_solved_customer_view(page, people, sign_in) -> None:
    sign_in(page, people.requester)
    page.get_by_role("link", name="Invoice PDF export fails").click()
    expect(page.get_by_role("button", name="Send and reopen")).to_be_visible()


def _request_reopened_customer_view(page, people, sign_in) -> None:
    _request_solved_customer_view(page, people, sign_in)
    page.get_by_label("Your reply").fill("It is **back**: see [the log](https://example.com/log).")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "export.log", "mimeType": "text/plain", "buffer": b"empty PDF written\n"}]
    )
    page.get_by_role("button", name="Send and reopen").click()
    expect(page.get_by_role("status")).to_contain_text("reopened")
    expect(page.get_by_role("list", name="Attachments").get_by_role("link")).to_have_text("export.log")


def _new_request_form(page, people, sign_in) -> None:
    sign_in(page, people.requester)
    page.get_by_role("link", name="New request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a request")


def _new_request_form_with_errors(page, people, sign_in) -> None:
    _new_request_form(page, people, sign_in)
    page.get_by_role("button", name="Open request").click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the errors below.")


def _cc_scope(page, people, sign_in) -> None:
    sign_in(page, people.colleague)
    page.get_by_label("Show").select_option("cc")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Dashboard tiles fail to load")).to_be_visible()


def _request_cc_view(page, people, sign_in) -> None:
    _cc_scope(page, people, sign_in)
    page.get_by_role("link", name="Dashboard tiles fail to load").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard tiles fail to load")


def _organisation_scope(page, people, sign_in) -> None:
    sign_in(page, people.contact)
    page.get_by_label("Show").select_option("organisation")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Printer driver for the warehouse")).to_be_visible()


def _organisation_access_page(page, people, sign_in) -> None:
    sign_in(page, people.contact)
    page.goto("/organisation-access/")
    expect(page.get_by_text("You have organisation-level access.")).to_be_visible()


def _not_found(page, people, sign_in) -> None:
    sign_in(page, people.contact)
    response = page.goto(f"/requests/{people.tickets.globex.pk}/")
    assert response.status == 404


def _agent_queue(page, people, sign_in) -> None:
    sign_in(page, people.agent)
    page.goto("/agent/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent queue")


def _request_agent_view(page, people, sign_in) -> None:
    _agent_queue(page, people, sign_in)
    page.get_by_role("link", name="Dashboard tiles fail to load").click()
    page.get_by_role("radio", name="Internal note (agents only)").check()
    page.get_by_label("Your reply").fill("Checked the logs: a cache node is down.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("internal note")
    panel = page.get_by_role("region", name="Work this request")
    for closed in ("Change priority", "Merge other requests into this one"):
        panel.locator("summary", has_text=closed).click()  # axe checks only what is rendered
    expect(panel.get_by_label("Requests to merge into this one")).to_be_visible()


PAGES = {
    "sign-in": _sign_in_page,
    "sign-in-refused": _sign_in_with_wrong_password,
    "my-requests-with-profile-menu": _my_requests_with_profile_menu_open,
    "my-requests-filtered": _my_requests_filtered,
    "my-requests-no-match": _my_requests_matching_nothing,
    "my-requests-refused-filter": _filters_refused,
    "request-customer-solved": _request_solved_customer_view,
    "request-customer-reopened": _request_reopened_customer_view,
    "new-request": _new_request_form,
    "new-request-with-errors": _new_request_form_with_errors,
    "my-requests-cc-scope": _cc_scope,
    "request-cc-view": _request_cc_view,
    "my-requests-organisation-scope": _organisation_scope,
    "organisation-access": _organisation_access_page,
    "not-found": _not_found,
    "agent-queue": _agent_queue,
    "request-agent-view": _request_agent_view,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_or_critical_wcag_a_or_aa_violation(name, people, open_page, sign_in, axe):
    page = open_page()
    PAGES[name](page, people, sign_in)

    problems = axe(page, name)

    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_agent_priority_reason_box_is_named_and_focused_by_its_own_label(people, open_page, sign_in):
    page = open_page()
    sign_in(page, people.agent)
    page.goto(f"/requests/{people.tickets.dashboard.pk}/")
    panel = page.get_by_role("region", name="Work this request")
    panel.locator("summary", has_text="Change priority").click()
    priority_form = panel.locator("form").filter(has=page.get_by_role("button", name="Change priority", exact=True))
    reason_box = priority_form.locator("textarea")
    expect(reason_box).to_be_visible()

    labels = reason_box.evaluate("box => [...box.labels].map(label => label.textContent.trim())")
    priority_form.get_by_text("Reason for the change").click()

    assert labels == ["Reason for the change:"]
    assert reason_box.evaluate("box => box === document.activeElement")
