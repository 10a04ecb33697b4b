"""Choosing a language in Chromium: the header's switch for a visitor, the sign-in that remembers it, and the
translated pages passing the same axe-core rules as the English ones."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from portal.tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def test_a_visitor_switches_to_german_and_signing_in_keeps_it(people, open_page, axe):
    page = open_page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    banner = page.get_by_role("banner")
    banner.get_by_label("Language").select_option("de")
    banner.get_by_role("button", name="Change").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    main = page.get_by_role("main")
    main.get_by_label(_in("de", "Email")).fill(people.requester.email)
    main.get_by_label(_in("de", "Password")).fill(PASSWORD)
    main.get_by_role("button", name=_in("de", "Sign in")).click()

    expect(page).to_have_url(re.compile(r"/requests/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Anfragen")
    expect(page.get_by_role("table").get_by_text("Offen").first).to_be_visible()
    people.requester.refresh_from_db()
    assert people.requester.language == "de"
    assert not axe(page, "my-requests-de")


@pytest.mark.parametrize("language", ["ja", "ko"])
def test_pages_in_japanese_and_korean_pass_axe(people, open_page, sign_in, axe, language):
    page = open_page()
    sign_in(page, people.requester)
    page.get_by_role("banner").get_by_label("Language").select_option(language)
    page.get_by_role("banner").get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "My requests"))
    assert not axe(page, f"my-requests-{language}")
    page.goto(f"/requests/{people.tickets.invoice_export.pk}/")
    assert not axe(page, f"request-{language}")
    page.goto("/preferences/")
    expect(page.get_by_label(_in(language, "Language"), exact=True)).to_have_value(language)
    assert not axe(page, f"preferences-{language}")
