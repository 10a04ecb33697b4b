"""Locust users for the load benchmark: customers who sign in through the real sign-in form, then mix My
requests (random page, sort, status filter), search, a request's page and a reply, with think time between.

`manage.py bench_load` runs this file and sets everything below through the environment; it also runs on its
own: `LOAD_USERS=alice@example.com,bob@example.com locust -f portal/loadtest/locustfile.py --host ...`.

The environment:
- `LOAD_USERS_FILE` (one email a line) or `LOAD_USERS` (comma-separated): the customers to sign in as.
- `LOAD_PASSWORD` (`bench-password-2026`): their password; every bench-seeded person has it.
- `LOAD_THINK` (`1,3`): the seconds a person waits between two actions, min,max.
- `LOAD_WEIGHTS` (`list=4,search=2,page=3,reply=1`): how often each action is picked; 0 leaves one out.
- `LOAD_MEASURE_SECONDS` (`0`): when set, the statistics start afresh once every user has signed in and the run
  ends that many seconds later, so sign-ins (PBKDF2, about half a CPU-second each) are not in the figures.
- `LOAD_SUMMARY`: where to write the sign-in phase's counts and errors as JSON (the reset clears them).
- `LOAD_DISTINCT_IPS` (`1`): each user connects from its own loopback address (127.1.x.y), as people do from
  their own machines; allauth allows 30 sign-ins a minute from one address.

Only failures are errors: a status of 400 or more, a connection error, a sign-in that does not redirect, a
page that sends a signed-in person back to the sign-in form.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.clients import LocustHttpAdapter
from locust.exception import StopUser
from urllib3 import PoolManager

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-2026")
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "0"))
SUMMARY_PATH = os.environ.get("LOAD_SUMMARY", "")
DISTINCT_IPS = os.environ.get("LOAD_DISTINCT_IPS", "1") == "1"
THINK_MIN, THINK_MAX = (float(part) for part in os.environ.get("LOAD_THINK", "1,3").split(","))
WEIGHTS = {"list": 4, "search": 2, "page": 3, "reply": 1}
WEIGHTS.update(
    (key.strip(), int(value))
    for key, value in (pair.split("=") for pair in os.environ.get("LOAD_WEIGHTS", "").split(",") if pair.strip())
)
# Measurement starts at the latest this long after the test starts, even if some users could not sign in.
WARMUP_LIMIT_SECONDS = 120
SIGN_IN_ATTEMPTS = 3
# People rarely page far: without a status filter, half the list views are the first page, the other half any
# of the first MAX_PAGE pages.
MAX_PAGE = 20
SORTS = ["-activity", "activity", "-created", "created"]
STATUSES = ["open", "awaiting_reply", "on_hold", "solved"]
# Words people type into search besides words from subjects they have seen.
SEARCH_WORDS = ["error", "login", "export", "invoice", "password", "dashboard", "slow", "report", "timeout", "api"]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_LINK = re.compile(r'<a href="/requests/(\d+)/">([^<]*)</a>')
# "1,234 requests", or "More than 10,000 requests" once a list stops counting (tickets.listing).
RESULT_COUNT = re.compile(r'class="result-count"[^>]*>[^\d<]*([\d.,\s\u00a0\u202f]+)')
WORD = re.compile(r"[^\W\d_]{4,}")


def _emails() -> list[str]:
    path = os.environ.get("LOAD_USERS_FILE", "")
    raw = Path(path).read_text(encoding="utf-8").split() if path else os.environ.get("LOAD_USERS", "").split(",")
    emails = [email.strip() for email in raw if email.strip()]
    if not emails:
        raise SystemExit("Set LOAD_USERS_FILE (one email a line) or LOAD_USERS (comma-separated) to sign in as.")
    return emails


EMAILS = _emails()
_next_user = itertools.count()


class _Run:
    """The sign-in phase, shared by every user of this process."""

    signed_in = 0
    measuring = False
    # Wall-clock times, for whoever watches the server's processes meanwhile (bench_load's CPU figures).
    measured_from = 0.0
    measured_until = 0.0
    test_started_at = 0.0
    warmup: dict = {}


@events.test_start.add_listener
def _on_test_start(environment, **kwargs) -> None:
    _Run.test_started_at = time.monotonic()
    if MEASURE_SECONDS:
        gevent.spawn_later(WARMUP_LIMIT_SECONDS, _start_measuring, environment)


@events.test_stop.add_listener
def _on_test_stop(environment, **kwargs) -> None:
    if SUMMARY_PATH:
        summary = {
            "signed_in": _Run.signed_in,
            "measured_from": _Run.measured_from,
            "measured_until": _Run.measured_until or time.time(),
            "warmup": _Run.warmup,
        }
        Path(SUMMARY_PATH).write_text(json.dumps(summary, indent=2), encoding="utf-8")


def _start_measuring(environment) -> None:
    """Keep what the sign-in phase counted, start the statistics afresh, end the run MEASURE_SECONDS later."""
    if _Run.measuring:
        return
    _Run.measuring = True
    stats = environment.stats
    sign_in = stats.get("sign in", "POST")
    _Run.warmup = {
        "seconds": round(time.monotonic() - _Run.test_started_at, 1),
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "sign_ins": sign_in.num_requests,
        "sign_in_failures": sign_in.num_failures,
        "sign_in_median_ms": sign_in.get_response_time_percentile(0.5) if sign_in.num_requests else None,
        "sign_in_max_ms": round(sign_in.max_response_time or 0),
        "errors": [
            {"method": error.method, "name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
    }
    stats.reset_all()
    _Run.measured_from = time.time()
    gevent.spawn_later(MEASURE_SECONDS, _stop, environment)


def _stop(environment) -> None:
    # Stop the users, then give locust's CSV writer (once a second) time to write the final figures, then quit.
    _Run.measured_until = time.time()
    environment.runner.stop()
    gevent.sleep(2.5)
    environment.runner.quit()


class Customer(HttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        number = next(_next_user)
        self.email = EMAILS[number % len(EMAILS)]
        if DISTINCT_IPS:
            # allauth allows 30 sign-ins a minute per IP; 50 people do not share one address.
            address = (f"127.1.{number // 250}.{1 + number % 250}", 0)
            self.client.mount("http://", LocustHttpAdapter(pool_manager=PoolManager(source_address=address)))
        self.ids: list[int] = []
        self.words: list[str] = []
        self.pages = 1
        for attempt in range(SIGN_IN_ATTEMPTS):
            if self._sign_in():
                break
            gevent.sleep(2 * (attempt + 1))
        else:
            raise StopUser()
        # Part of the warm-up too: each page once, so that the measured run meets warm workers (templates
        # compiled, catalogues loaded), as a server that has been up for a while does.
        self._list(name="my requests", params={}, learn_pages=True)
        if WEIGHTS["search"]:
            self.search()
        if self.ids:
            self._get(f"/requests/{self.ids[0]}/", name="request page")
        _Run.signed_in += 1
        runner = self.environment.runner
        if MEASURE_SECONDS and runner and _Run.signed_in >= runner.target_user_count:
            _start_measuring(self.environment)

    def _sign_in(self) -> bool:
        with self.client.get("/accounts/login/", name="sign-in form", catch_response=True) as response:
            token = _csrf(response)
            if token is None:
                return False
        with self.client.post(
            "/accounts/login/",
            data={"login": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in as {self.email} answered {response.status_code}, not a redirect")
                return False
        return True

    # --- What people do -----------------------------------------------------------------------------------

    @task(WEIGHTS["list"])
    def my_requests(self) -> None:
        params = {"sort": random.choice(SORTS)}
        if random.random() < 0.3:
            params["status"] = random.choice(STATUSES)
            page = self._list(name="my requests", params=params)
            if page and 'rel="next"' in page and random.random() < 0.3:
                self._list(name="my requests", params={**params, "page": 2})
            return
        if random.random() < 0.5:
            params["page"] = random.randint(1, min(self.pages, MAX_PAGE))
        self._list(name="my requests", params=params)

    @task(WEIGHTS["search"])
    def search(self) -> None:
        words = self.words if self.words and random.random() < 0.6 else SEARCH_WORDS
        self._list(name="search", params={"q": random.choice(words)})

    @task(WEIGHTS["page"])
    def request_page(self) -> None:
        if not self.ids:
            return self.my_requests()
        self._get(f"/requests/{random.choice(self.ids)}/", name="request page")

    @task(WEIGHTS["reply"])
    def reply(self) -> None:
        if not self.ids:
            return self.my_requests()
        pk = random.choice(self.ids)
        page = self._get(f"/requests/{pk}/", name="request page")
        if page is None:
            return
        token = _csrf_in(page)
        self.wait()  # reading and typing
        body = f"Load test reply {random.randint(1, 10**9)}: still seeing this, see the attached steps."
        fields = {"csrfmiddlewaretoken": (None, token), "body": (None, body)}
        with self.client.post(
            f"/requests/{pk}/reply/", files=fields, name="reply", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.startswith(f"/requests/{pk}/"):
                response.failure(f"reply answered {response.status_code} {location!r}, not the request's page")
                return
        self._get(location.split("#", 1)[0], name="request page")

    # --- Helpers ------------------------------------------------------------------------------------------

    def _list(self, *, name: str, params: dict, learn_pages: bool = False) -> str | None:
        page = self._get("/requests/", name=name, params=params)
        if page is None:
            return None
        links = REQUEST_LINK.findall(page)
        if links:
            self.ids = [int(pk) for pk, _subject in links]
            self.words = [word for _pk, subject in links for word in WORD.findall(html.unescape(subject))]
        if learn_pages and links:
            count = RESULT_COUNT.search(page)
            total = int(re.sub(r"\D", "", count.group(1)) or 0) if count else 0
            self.pages = max(1, -(-total // len(links)))
        return page

    def _get(self, path: str, *, name: str, params: dict | None = None) -> str | None:
        """The page's HTML, or None after recording a failure."""
        with self.client.get(path, params=params, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
                return None
            if "/accounts/login/" in response.url:
                response.failure(f"{path} sent {self.email} back to the sign-in form")
                return None
            return response.text


def _csrf(response) -> str | None:
    if response.status_code != 200:
        response.failure(f"the sign-in form answered {response.status_code}")
        return None
    token = _csrf_in(response.text)
    if token is None:
        response.failure("the sign-in form has no CSRF token")
    return token


def _csrf_in(page: str) -> str | None:
    match = CSRF.search(page)
    return match.group(1) if match else None
