"""German's long compound words in Chromium: the key pages, in German, with German data, at a phone's width (360 px)
and a desktop's (1280 px). Nothing may stick out of the viewport: the page never scrolls sideways, and no element's
right edge passes the viewport's (text that runs off the page is text nobody can read).

People are signed in with a session made by Django's test client (so the German sign-in form needs no English
labels), their profile language is German, and the browser asks for German too (cookie and Accept-Language).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import actions as access
from portal.tests.factories import OrganisationAccessFactory, OrganisationFactory, StaffFactory, UserFactory
from workflow import actions
from workflow.models import Priority

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUBJECT = "Rechnungsstellungsschnittstellenkonfigurationsänderungsbenachrichtigung fehlgeschlagen"
BODY = "Seit dem Update fehlen die Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen auf jeder Rechnung."
REQUESTER = "Adelheid Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung"
COLLEAGUE = "Friedrich Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
CONTACT = "Mechthild Kraftfahrzeughaftpflichtversicherungsbedingungen"
ORG_ADMIN = "Hildegard Arbeiterunfallversicherungsgesetzesnovellierung"
AGENT = "Wolfgang Bundesausbildungsförderungsgesetzesänderung"
ORGANISATION = "Kraftfahrzeughaftpflichtversicherungsgesellschaft Süddeutschland"
FILE = "Rechnungsstellungsschnittstellenkonfigurationsprotokoll.txt"

WIDTHS = [360, 1280]

# Each page: who looks at it (None: nobody signed in) and where it is.
PAGES = {
    "my requests": ("requester", lambda w: reverse("tickets:my_requests")),
    "request": ("requester", lambda w: reverse("tickets:detail", args=[w.ticket.pk])),
    "new request": ("requester", lambda w: reverse("tickets:new")),
    "agent queue": ("agent", lambda w: reverse("workflow:queue")),
    "preferences": ("requester", lambda w: reverse("preferences")),
    "organisation access": ("contact", lambda w: reverse("accounts:organisation_access")),
    "sign in": (None, lambda w: reverse("account_login")),
}

CASES = [pytest.param(name, width, id=f"{name}-{width}") for name in PAGES for width in WIDTHS]

# Every element whose right edge passes the viewport's (also inside a scrolling box: what is beyond the viewport
# is not on the page), except the ones meant to be off-screen and the ones not drawn at all.
OVERFLOWING = """
() => {
  const limit = window.innerWidth + 1;
  // Visually hidden: the class, the skip link until it has focus, or clipped to nothing by the CSS (the table
  // headings of the phone layout, which screen readers still read).
  const hidden = (element) => {
    for (let node = element; node; node = node.parentElement) {
      if (node.matches(".visually-hidden, .skip-link")) return true;
      if (getComputedStyle(node).clip === "rect(0px, 0px, 0px, 0px)") return true;
    }
    return false;
  };
  const over = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (hidden(element)) continue;
    if (!element.checkVisibility({ visibilityProperty: true })) continue;  // e.g. inside a closed <details>
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > limit) over.push([element, box]);
  }
  // Name the innermost elements that stick out: their ancestors only stick out because of them.
  const culprits = over.filter(([element]) => !over.some(([other]) => other !== element && element.contains(other)));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    lang: document.documentElement.lang,
    found: culprits.map(([element, box]) => {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.classList.length ? "." + [...element.classList].join(".") : "");
      const text = element.innerText.replace(/\\s+/g, " ").trim().slice(0, 70);
      return `${name} reaches ${Math.round(box.right)} px: ${JSON.stringify(text)}`;
    }),
  };
}
"""


@pytest.fixture
def world(transactional_db):
    """One German organisation with long names, and a request with a long subject, message and file name."""
    with translation.override("de"):  # people act in German: what the actions write is written in German
        return _german_world()


def _german_world() -> SimpleNamespace:
    org = OrganisationFactory(name=ORGANISATION)

    def person(name: str, email: str, **fields):
        return UserFactory(full_name=name, email=email, organisation=org, language="de", **fields)

    requester = person(REQUESTER, "adelheid@kfz-haftpflicht.example")
    colleague = person(COLLEAGUE, "friedrich@kfz-haftpflicht.example")
    contact = person(CONTACT, "mechthild@kfz-haftpflicht.example", is_technical_contact=True)
    OrganisationAccessFactory(user=contact, organisation=org)
    org_admin = person(ORG_ADMIN, "hildegard@kfz-haftpflicht.example", is_org_admin=True)
    agent = StaffFactory(full_name=AGENT, email="wolfgang@support.example", language="de")
    ticket = actions.open_request(
        requester=requester,
        subject=SUBJECT,
        body=BODY,
        priority=Priority.S2,
        ccs=[colleague],
        attachments=[SimpleUploadedFile(FILE, b"Protokoll", content_type="text/plain")],
    )
    actions.reply(ticket=ticket, author=agent, body=BODY)
    actions.open_request(requester=colleague, subject=SUBJECT, body=BODY, priority=Priority.S4)
    # An administrator's ask the contact is named to approve: the contact's page lists it with the asker's name.
    access.ask_for_access(person=org_admin, approver=contact)
    return SimpleNamespace(requester=requester, contact=contact, agent=agent, ticket=ticket)


def _open_in_german(open_page, live_server, person, width: int):
    page = open_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.set_extra_http_headers({"Accept-Language": "de"})
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "de", "url": live_server.url}]
    if person is not None:
        client = Client()
        client.force_login(person)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url})
    page.context.add_cookies(cookies)
    return page


@pytest.mark.parametrize(("name", "width"), CASES)
def test_long_german_words_stay_inside_the_viewport(world, open_page, live_server, name, width):
    persona, url = PAGES[name]
    page = _open_in_german(open_page, live_server, getattr(world, persona) if persona else None, width)

    response = page.goto(url(world))

    assert response is not None and response.status == 200, f"{name}: {response and response.status}"
    result = page.evaluate(OVERFLOWING)
    assert result["lang"] == "de", f"{name} is not in German: <html lang={result['lang']!r}>"
    problems = []
    if result["scrollWidth"] > result["innerWidth"]:
        problems.append(f"the page scrolls sideways: {result['scrollWidth']} px wide in {result['innerWidth']} px")
    problems += result["found"]
    assert not problems, f"{name} at {width} px:\n  " + "\n  ".join(problems)
