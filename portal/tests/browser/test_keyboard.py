"""The first customer journey with the keyboard alone: Tab, Shift+Tab, Enter, Space and arrow keys through
page.keyboard; no clicks, no fill. Every stop of focus must be visible (an outline or a box shadow, on screen),
and the order must be sane: the skip link first, then the page in reading order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAX_TABS = 40

DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {
    element: el.outerHTML.slice(0, 120),
    ring: outlined || style.boxShadow !== 'none',
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def assert_focus_visible(page) -> None:
    focus = page.evaluate(DESCRIBE_FOCUS)
    assert focus["ring"], f"focus has no outline or box shadow: {focus['element']}"
    assert focus["onScreen"], f"focus is off screen: {focus['element']}"


def tab(page, target, *, shift: bool = False) -> None:
    """One Tab (or Shift+Tab) that must land on `target`, visibly."""
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    expect(target).to_be_focused()
    assert_focus_visible(page)


def tab_until(page, target) -> None:
    """Tab forward, checking every stop is visible, until `target` has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {target}")


def arrow_until(page, select, value: str) -> None:
    """ArrowDown on a focused <select> until it holds `value`."""
    for _ in range(len(select.locator("option").all())):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value(value)


def listed(page):
    return page.get_by_role("table", name="Your support requests").locator("tbody tr td:first-child")


def test_customer_signs_in_finds_and_reopens_a_solved_request_with_the_keyboard_alone(people, open_page):
    page = open_page()
    page.goto("/accounts/login/")
    main = page.get_by_role("main")

    tab(page, page.get_by_role("link", name="Skip to main content"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))
    expect(main).to_be_focused()

    tab(page, main.get_by_label("Email"))
    page.keyboard.type(people.requester.email)
    tab(page, main.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    tab(page, main.locator(".field").get_by_role("link", name="Forgot your password?"))
    tab(page, main.get_by_label("Remember Me"))
    sign_in_button = main.get_by_role("button", name="Sign in")
    tab(page, sign_in_button)
    tab(page, main.get_by_label("Remember Me"), shift=True)
    tab(page, sign_in_button)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/requests/$"))

    tab(page, page.get_by_role("link", name="Skip to main content"))
    banner = page.get_by_role("banner")
    tab(page, banner.get_by_role("link", name="Support"))
    tab(page, banner.get_by_label("Language"))
    tab(page, banner.get_by_role("button", name="Change"))
    profile = page.get_by_role("navigation", name="Account").locator("summary")
    tab(page, profile)
    page.keyboard.press("Space")
    menu_link = page.get_by_role("link", name="Support requests")
    expect(menu_link).to_be_visible()
    tab(page, menu_link)
    with page.expect_response(lambda response: response.url.endswith("/requests/")) as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")

    tab_until(page, page.get_by_role("textbox", name="Search"))
    page.keyboard.type("invoice")
    page.keyboard.press("Enter")
    expect(listed(page)).to_have_text(["Invoice totals rounding", "Invoice email bounces", "Invoice PDF export fails"])

    status = page.get_by_label("Status")
    tab_until(page, status)
    arrow_until(page, status, "solved")
    sort = page.get_by_label("Sort by")
    tab_until(page, sort)
    page.keyboard.press("ArrowDown")
    expect(sort).to_have_value("activity")
    tab(page, page.get_by_role("button", name="Apply"))
    page.keyboard.press("Space")
    expect(listed(page)).to_have_text(["Invoice PDF export fails", "Invoice totals rounding"])
    expect(page).to_have_url(re.compile(r"q=invoice.*status=solved.*sort=activity"))

    tab_until(page, page.get_by_role("link", name="Invoice PDF export fails"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice PDF export fails")
    expect(page.get_by_text("This request is solved. Sending a reply will reopen it.")).to_be_visible()

    tab_until(page, page.get_by_label("Your reply"))
    page.keyboard.type("Typed without a mouse: the empty PDF is back.")
    attachments = page.get_by_label("Attachments")
    tab(page, attachments)
    send = page.get_by_role("button", name="Send and reopen")
    tab(page, send)
    tab(page, attachments, shift=True)
    tab(page, send)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Your reply was added and the request was reopened.")
    details = page.get_by_role("complementary", name="Details")
    expect(details.locator("dt:text-is('Status') + dd .badge")).to_have_text("Open")
    expect(page.get_by_role("region", name="Conversation")).to_contain_text(
        "Typed without a mouse: the empty PDF is back."
    )
