"""Real-browser tests (issue #7): Debian's Chromium, driven by Playwright, against pytest-django's live server,
with axe-core injected for the accessibility checks.

Chromium is /usr/bin/chromium (never `playwright install`) and axe-core comes from `npm ci`. Where either is
missing the browser tests are skipped with a loud reason, except under REQUIRE_BROWSER=1 (CI), where every
browser test fails instead.

The data is committed (the live server answers from its own thread and, on PostgreSQL, its own connection), so
every test module marks itself `django_db(transaction=True, serialized_rollback=True)`: each test ends with a flush
of every table, and the rows the migrations seed (priority policies, the Agents group) are loaded again before the
next one, so the portal runs with its real service targets.

Playwright's sync API marks its asyncio loop as running in the test thread for as long as it is started. Django
then refuses ORM calls there as async-unsafe, and asgiref hands that thread a second set of database connections
(without the test database's serialized contents, so serialized rollback silently stops reloading). So Playwright
and Chromium are started for the first browser test and stopped right after the last one (`_Browser`); while they
run, DJANGO_ALLOW_ASYNC_UNSAFE is set and Django keeps using the thread's own connections. pytest-playwright's
`browser`/`context`/`page` fixtures are not used: they live for the whole session, and their session-scoped
`browser_name` parameter makes pytest regroup tests (test_admin_permissions.py's parameter named `page` gets it too),
which moved these flushing tests in among ordinary database tests.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from portal.tests.factories import (
    PASSWORD,
    OrganisationAccessFactory,
    OrganisationFactory,
    ReplyFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Ticket
from workflow.models import Priority, Status

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE.parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 10_000

_skipped_because: list[str] = []
_axe_log: list[tuple[str, list[dict], list[dict]]] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium against the live server (needs /usr/bin/chromium and axe-core)"
    )


def _missing_tools() -> list[str]:
    wanted = [(CHROMIUM, "install Debian's chromium package"), (AXE, "run `npm ci` at the repository root")]
    return [f"{path} is missing ({hint})" for path, hint in wanted if not path.exists()]


@pytest.fixture(scope="session", autouse=True)
def _browser_tools() -> None:
    """Skip every browser test when Chromium or axe-core is absent; under REQUIRE_BROWSER=1 fail them instead."""
    missing = _missing_tools()
    if not missing:
        return
    reason = "BROWSER TESTS NOT RUN: " + "; ".join(missing)
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}. REQUIRE_BROWSER=1 is set, so this is a failure, not a skip.", pytrace=False)
    _skipped_because.append(reason)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _skipped_because:
        terminalreporter.write_sep("!", "browser tests skipped", red=True, bold=True)
        terminalreporter.write_line(_skipped_because[0], red=True, bold=True)
        terminalreporter.write_line("Set REQUIRE_BROWSER=1 to make this a failure (CI does).", red=True)
    if _axe_log:
        terminalreporter.write_sep("-", f"axe-core {' '.join(AXE_TAGS)}: {len(_axe_log)} page(s) checked")
        for label, violations, unsure in _axe_log:
            found = ", ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])} node(s))" for v in violations)
            review = ", ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])} node(s))" for v in unsure)
            terminalreporter.write_line(
                f"{label}: {found or 'no violations'}" + (f"; needs review: {review}" if review else "")
            )


class _Browser:
    """Playwright and one Chromium, started on first use and stopped when the browser tests are done."""

    def __init__(self) -> None:
        self._playwright = None
        self._chromium = None
        self._undo: list = []

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def chromium(self):
        if not self.running:
            self._start()
        return self._chromium

    def _start(self) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections

        # The test's database work happens in this thread while Playwright's loop counts as running in it.
        unsafe_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self._undo.append(lambda: _restore_env("DJANGO_ALLOW_ASYNC_UNSAFE", unsafe_before))
        # asgiref's thread-critical Local switches to a per-context store when a loop runs in the thread; keep
        # Django on this thread's own connections (the ones holding the test database's serialized contents).
        handler = connections._connections
        object.__setattr__(handler, "_get_storage", lambda: handler._storage)
        self._undo.append(lambda: object.__delattr__(handler, "_get_storage"))
        default = connections[DEFAULT_DB_ALIAS]

        try:
            self._playwright = sync_playwright().start()
            self._chromium = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            if connections[DEFAULT_DB_ALIAS] is not default:
                raise RuntimeError("Django switched database connections once Playwright started (asgiref changed?)")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._chromium is not None:
            self._chromium.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._playwright = self._chromium = None
        while self._undo:
            self._undo.pop()()


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


_BROWSER = _Browser()


def _is_browser_test(item: pytest.Item | None) -> bool:
    return item is not None and Path(str(item.path)).is_relative_to(HERE)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last browser test's fixtures are torn down (trylast), stop Playwright: the tests after it get a
    thread with no event loop again."""
    if not _is_browser_test(nextitem):
        _BROWSER.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _BROWSER.stop()


@pytest.fixture
def open_page(live_server):
    """`open_page()`: a page in a browser context of its own (its own cookies: one person signed in), on the live
    server (page.goto("/requests/")). Every context is closed after the test. `page.csp_violations` lists what
    Chromium refused under the portal's Content-Security-Policy (its console says "Refused to execute inline script
    because it violates the following Content Security Policy directive …"); the test fails if any page has some."""
    contexts = []
    pages = []

    def open_():
        context = _BROWSER.chromium().new_context(base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.csp_violations = []
        page.on("console", lambda message: _note_csp_violation(page, message))
        pages.append(page)
        return page

    yield open_
    refused = [f"{page.url}: {violation}" for page in pages for violation in page.csp_violations]
    for context in contexts:
        context.close()
    if refused:
        pytest.fail("Refused under the Content-Security-Policy:\n" + "\n".join(refused), pytrace=False)


def _note_csp_violation(page, message) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        page.csp_violations.append(message.text)


@pytest.fixture
def sign_in():
    """`sign_in(page, user)`: the portal's sign-in form, typed and submitted; lands on My requests."""

    def sign_in_(page, user) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/requests/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("My requests")

    return sign_in_


@pytest.fixture
def axe():
    """`axe(page, label)`: run axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and return its
    serious and critical violations, described one per line. Every run is also listed in the summary."""

    def run(page, label: str) -> list[str]:
        # Evaluated by the browser's own tooling: a <script> tag would be inline, which the portal's CSP refuses.
        page.evaluate(AXE.read_text(encoding="utf-8"))
        results = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        _axe_log.append((label, results["violations"], results["incomplete"]))
        return [
            f"{violation['id']} ({violation['impact']}) on {label} at {node['target']}: {violation['help']} "
            f"[{violation['helpUrl']}] {node.get('failureSummary', '')}".replace("\n", " ")
            for violation in results["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
            for node in violation["nodes"]
        ]

    return run


@pytest.fixture
def people(transactional_db):
    """The browser cast, committed: Northwind's requester, CC'd colleague and technical contact (with an
    organisation-level grant), Globex's customer, an agent and a site admin, and their requests."""
    now = timezone.now()
    org = OrganisationFactory(name="Northwind")
    other_org = OrganisationFactory(name="Globex")
    requester = UserFactory(email="rita@northwind.example", full_name="Rita Requester", organisation=org)
    colleague = UserFactory(email="cole@northwind.example", full_name="Cole Colleague", organisation=org)
    contact = UserFactory(
        email="tess@northwind.example", full_name="Tess Contact", organisation=org, is_technical_contact=True
    )
    grant = OrganisationAccessFactory(user=contact, organisation=org)
    outsider = UserFactory(email="otto@globex.example", full_name="Otto Outsider", organisation=other_org)
    agent = StaffFactory(email="ann@support.example", full_name="Ann Agent")
    admin = StaffFactory(email="sid@support.example", full_name="Sid Admin", is_superuser=True)

    def request_of(person, subject: str, *, status=Status.OPEN, days_idle: int, ccs=(), body: str) -> Ticket:
        at = now - timedelta(days=days_idle)
        ticket = TicketFactory(
            requester=person,
            subject=subject,
            status=status,
            priority=Priority.S3,
            created_at=at - timedelta(days=10),
            last_activity_at=at,
            solved_at=at if status == Status.SOLVED else None,
            ccs=list(ccs),
        )
        ReplyFactory(ticket=ticket, author=person, body=body, created_at=at - timedelta(days=10))
        return ticket

    tickets = SimpleNamespace(
        # Three of Rita's requests mention invoices: two solved, one open; one does not.
        invoice_export=request_of(
            requester,
            "Invoice PDF export fails",
            status=Status.SOLVED,
            days_idle=3,
            body="Exporting an invoice as PDF gives an empty file.",
        ),
        invoice_rounding=request_of(
            requester,
            "Invoice totals rounding",
            status=Status.SOLVED,
            days_idle=1,
            body="Totals are off by one cent.",
        ),
        invoice_email=request_of(
            requester, "Invoice email bounces", days_idle=2, body="Customers never get the invoice email."
        ),
        dashboard=request_of(
            requester,
            "Dashboard tiles fail to load",
            days_idle=0,
            ccs=[colleague],
            body="The dashboard shows nothing since the upgrade.",
        ),
        # A colleague's own request: only organisation-level access shows it to Tess.
        printer=request_of(colleague, "Printer driver for the warehouse", days_idle=4, body="Which driver?"),
        # Another organisation's request: nobody at Northwind ever sees it.
        globex=request_of(outsider, "Globex invoice question", days_idle=1, body="Where is our invoice?"),
    )
    return SimpleNamespace(
        org=org,
        requester=requester,
        colleague=colleague,
        contact=contact,
        grant=grant,
        outsider=outsider,
        agent=agent,
        admin=admin,
        tickets=tickets,
    )
