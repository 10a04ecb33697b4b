"""Every URL of the portal, walked with every kind of person (issue #11, the authorisation sweep).

One table names each URL with what each person gets on GET. A URL added without a row fails the first test, so
nothing new escapes the sweep. The other tests hold for every row: a GET changes nothing in the database, a
state-changing URL refuses GET and refuses a POST without the CSRF token, every form posted back carries the
token, and no view is exempt from the CSRF check. The admin (tests/test_admin_permissions.py) and allauth's
pages (accounts/tests) have sweeps of their own; filters and sorts are checked at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.actions import ask_for_access
from tickets.models import Attachment, Chat, ChatMessage, Reply

PERSONAS = ["anonymous", "requester", "bystander", "outsider", "contact", "agent"]
SIGN_IN = 302  # anonymous: sent to the sign-in page
POST_ONLY = "post-only"  # changes state: GET answers 405, whoever asks
AGENTS_POST_ONLY = "agents-post-only"  # an agent's change: GET answers agents 405, and customers 404 like any
# page that is not for them

# What each person gets on GET: a status for everyone, or a dict by persona (anonymous is always SIGN_IN unless
# given). 404 is also the answer for "exists, but not for you".
TABLE: dict[str, tuple[Callable, object]] = {
    "home": (lambda w: [], 302),
    "tickets:my_requests": (lambda w: [], 200),
    "tickets:new": (lambda w: [], {"agent": 404, "default": 200}),
    "tickets:detail": (lambda w: [w.ticket.pk], {"requester": 200, "contact": 200, "agent": 200, "default": 404}),
    "tickets:reply": (lambda w: [w.ticket.pk], POST_ONLY),
    "tickets:solve": (lambda w: [w.ticket.pk], POST_ONLY),
    "tickets:attachment": (lambda w: [w.file.pk], {"requester": 200, "contact": 200, "agent": 200, "default": 404}),
    "tickets:chat_start": (lambda w: [], POST_ONLY),
    "tickets:chat": (lambda w: [w.chat.pk], {"requester": 200, "contact": 200, "agent": 200, "default": 404}),
    "tickets:chat_poll": (lambda w: [w.chat.pk], {"requester": 200, "contact": 200, "agent": 200, "default": 404}),
    "tickets:chat_post": (lambda w: [w.chat.pk], POST_ONLY),
    "tickets:chat_end": (lambda w: [w.chat.pk], POST_ONLY),
    "tickets:chat_take": (lambda w: [w.chat.pk], AGENTS_POST_ONLY),
    "tickets:agent_chats": (lambda w: [], {"agent": 200, "default": 404}),
    "workflow:queue": (lambda w: [], {"agent": 200, "default": 404}),
    "workflow:status": (lambda w: [w.ticket.pk], AGENTS_POST_ONLY),
    "workflow:priority": (lambda w: [w.ticket.pk], AGENTS_POST_ONLY),
    "workflow:assign": (lambda w: [w.ticket.pk], AGENTS_POST_ONLY),
    "workflow:subject": (lambda w: [w.ticket.pk], AGENTS_POST_ONLY),
    "workflow:merge": (lambda w: [w.ticket.pk], AGENTS_POST_ONLY),
    "accounts:organisation_access": (lambda w: [], {"agent": 404, "default": 200}),
    "accounts:ask": (lambda w: [], POST_ONLY),
    "accounts:approve": (lambda w: [w.ask.pk], POST_ONLY),
    "accounts:decline": (lambda w: [w.ask.pk], POST_ONLY),
    "accounts:withdraw": (lambda w: [w.ask.pk], POST_ONLY),
    "preferences": (lambda w: [], 200),
    "set_language": (lambda w: [], POST_ONLY),
    "admin_sign_in": (lambda w: [], {"anonymous": 302, "default": 302}),
    "bench_floor": (lambda w: [], {"anonymous": 404, "default": 404}),  # only while a benchmark runs
    "healthz": (lambda w: [], {"anonymous": 200, "default": 200}),  # for load balancers, no sign-in
}
# Pages that always show at least one form that posts (the sign-out button in the header is one).
PAGES_WITH_FORMS = {"tickets:my_requests", "tickets:detail", "preferences"}
# Third-party URL sets with sweeps of their own, and Django's admin.
ELSEWHERE = ("admin:", "account_", "mfa_")


def _names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def _callbacks(patterns) -> list:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _callbacks(pattern.url_patterns)
        else:
            found.append(pattern)
    return found


@pytest.fixture
def world(cast):
    reply = Reply.objects.filter(ticket=cast.ticket).first()
    upload = SimpleUploadedFile("log.txt", b"trace")
    cast.file = Attachment.objects.create(reply=reply, file=upload, name="log.txt", size=5)
    cast.chat = Chat.objects.create(ticket=cast.ticket, customer=cast.requester)
    ChatMessage.objects.create(chat=cast.chat, author=cast.requester, body="Hello")
    # The bystander administers their organisation and asks for access, naming the technical contact to approve.
    cast.bystander.is_org_admin = True
    cast.bystander.save(update_fields=["is_org_admin"])
    cast.ask = ask_for_access(person=cast.bystander, approver=cast.contact)
    return cast


def _client(world, persona: str, **options) -> Client:
    client = Client(**options)
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def _expected(name: str, persona: str):
    expectation = TABLE[name][1]
    if expectation in (POST_ONLY, AGENTS_POST_ONLY) and persona == "anonymous":
        return (SIGN_IN, 405)
    if expectation == POST_ONLY:
        return 405
    if expectation == AGENTS_POST_ONLY:
        return 405 if persona == "agent" else 404
    if isinstance(expectation, dict):
        if persona in expectation:
            return expectation[persona]
        return SIGN_IN if persona == "anonymous" else expectation["default"]
    return SIGN_IN if persona == "anonymous" and name != "home" else expectation


def test_every_url_of_the_portal_is_in_the_table():
    ours = {name for name in _names(get_resolver().url_patterns) if not name.startswith(ELSEWHERE)}
    assert ours == set(TABLE), "a URL without a row in the sweep's table (or a row without a URL)"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(TABLE))
def test_a_get_answers_as_the_table_says_and_writes_nothing(world, name, persona):
    url = reverse(name, args=TABLE[name][0](world))
    client = _client(world, persona)

    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code

    expected = _expected(name, persona)
    assert status in (expected if isinstance(expected, tuple) else (expected,)), f"GET {url} as {persona}"
    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)]
    writes = [sql for sql in writes if "django_session" not in sql]  # a session may be saved on any page
    if name in ("tickets:chat", "tickets:chat_poll") and persona == "requester":
        # Presence, not a change: the chat's customer having the page open tells the agent they are still there.
        writes = [sql for sql in writes if not sql.startswith('UPDATE "tickets_chat" SET "customer_seen_at"')]
    assert writes == [], f"GET {url} as {persona} wrote to the database"


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
@pytest.mark.parametrize(
    "name", sorted(name for name, (_, kind) in TABLE.items() if kind in (POST_ONLY, AGENTS_POST_ONLY))
)
def test_a_post_without_the_csrf_token_is_refused(world, name, persona):
    client = _client(world, persona, enforce_csrf_checks=True)
    assert client.post(reverse(name, args=TABLE[name][0](world)), {"body": "x"}).status_code == 403


@pytest.mark.parametrize("persona", ["requester", "contact", "agent"])
@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name, (_, kind) in TABLE.items()
        if kind not in (POST_ONLY, AGENTS_POST_ONLY) and name not in ("home", "bench_floor", "healthz")
    ),
)
def test_every_form_that_posts_carries_the_csrf_token(world, name, persona):
    response = _client(world, persona).get(reverse(name, args=TABLE[name][0](world)))
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    forms = re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.DOTALL | re.IGNORECASE)
    posting = [form for form in forms if re.search(r'method="post"', form, re.IGNORECASE)]
    for form in posting:
        assert 'name="csrfmiddlewaretoken"' in form, f"a POST form without the token on {name}: {form[:200]}"
    assert posting or name not in PAGES_WITH_FORMS  # the scan does see forms where there are some


def test_no_view_is_exempt_from_the_csrf_check():
    exempt = [
        str(p.pattern) for p in _callbacks(get_resolver().url_patterns) if getattr(p.callback, "csrf_exempt", False)
    ]
    assert exempt == []


# --- Filters and sorts take only their own values ----------------------------------------------------------


BAD_FILTERS = [{"sort": "requester__password"}, {"sort": "-pk"}, {"status": "open' OR '1'='1"}, {"priority": "S1__in"}]
BAD_FILTERS_BY_LIST = {
    "tickets:my_requests": [*BAD_FILTERS, {"scope": "everything"}, {"page": "1;DROP"}],
    "workflow:queue": [*BAD_FILTERS, {"organisation": "1 OR 1=1"}, {"assignee": "requester"}, {"due": "past"}],
}
LISTS = [("tickets:my_requests", "requester"), ("tickets:my_requests", "contact"), ("workflow:queue", "agent")]


@pytest.mark.parametrize(
    ("name", "persona", "params"),
    [(name, persona, params) for name, persona in LISTS for params in BAD_FILTERS_BY_LIST[name]],
)
def test_a_filter_or_sort_outside_its_choices_is_refused(world, name, persona, params):
    status = _client(world, persona).get(reverse(name), params).status_code
    assert status in (400, 404)  # a bad filter is a form error; a bad page number, no such page


@pytest.mark.parametrize(("name", "persona"), [("tickets:my_requests", "requester"), ("workflow:queue", "agent")])
def test_unknown_parameters_are_ignored_not_turned_into_lookups(world, name, persona):
    client = _client(world, persona)
    plain = client.get(reverse(name))
    probing = client.get(reverse(name), {"requester__password__startswith": "pbkdf2", "id__gt": "0", "o": "password"})

    assert probing.status_code == 200
    assert [t.pk for t in probing.context["page"].object_list] == [t.pk for t in plain.context["page"].object_list]
