"""PostgreSQL restarted while people are replying (issue #11). Customers keep posting replies to the portal
served by gunicorn; the machine's PostgreSQL is stopped ("fast": every session cut off mid-transaction) and
started again. While it is away every answer is the friendly 503 page, never a traceback or a hung request;
once it is back the same gunicorn workers answer normally again, without a restart; every reply the portal
acknowledged is in the database, and a reply sent again after the 503 page is saved once, not twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from portal.tests.factories import PASSWORD, TicketFactory
from portal.tests.outage._services import (
    Answer,
    Browser,
    require_services_we_may_stop,
    serving,
    set_password,
    start_postgres,
    stop_postgres,
    stopped,
)
from tickets.models import Reply
from workflow.tests._celery_support import wait_for

pytestmark = [pytest.mark.outage, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CUSTOMERS = 4
OUTAGE_SECONDS = 3
RECOVERY_SECONDS = 30


@dataclass
class Replier:
    """One signed-in customer writing numbered replies to their own request until told to stop. As a person
    would, they send a reply's form again when the portal answered 503, until it is acknowledged."""

    browser: Browser
    path: str
    answers: list[tuple[float, str, Answer]] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            body = f"{self.path} reply {number}"
            fields = None
            while not stop.is_set():
                try:
                    if fields is None:
                        page, fields = self.browser.form(self.path)
                        self.answers.append((time.monotonic(), "", page))
                        if fields is None:
                            time.sleep(0.1)
                            continue
                    answer = self.browser.send_form(
                        f"{self.path}reply/", {**fields, "body": body}, referer=self.browser.base_url + self.path
                    )
                except Exception as error:  # a reset or hung connection: exactly what must not happen
                    self.failures.append(error)
                    time.sleep(0.2)
                    continue
                self.answers.append((time.monotonic(), body, answer))
                if answer.status == 302:
                    break
                time.sleep(0.1)  # the 503 page says to send it again in a moment: the same form, the same token

    def sent(self) -> set[str]:
        return {body for _, body, _ in self.answers if body}

    def acknowledged(self) -> list[str]:
        return [body for _, body, answer in self.answers if answer.status == 302 and self.path in answer.location]

    def resent(self) -> set[str]:
        return {body for body in self.sent() if sum(1 for _, sent, _ in self.answers if sent == body) > 1}

    def succeeded_since(self, moment: float) -> int:
        return sum(1 for at, body, answer in self.answers if at > moment and body and answer.status == 302)


def test_a_postgresql_restart_under_load_is_a_friendly_503_then_recovers_and_loses_no_acknowledged_reply(
    cast, tmp_path
):
    require_services_we_may_stop()
    set_password(cast.requester, PASSWORD)
    paths = [f"/requests/{TicketFactory(requester=cast.requester).pk}/" for _ in range(CUSTOMERS)]
    late = f"/requests/{TicketFactory(requester=cast.requester).pk}/"

    with serving(tmp_path, workers=3) as portal:
        repliers = []
        for path in paths:
            browser = Browser(portal.url)
            assert browser.sign_in(cast.requester.email, PASSWORD).status == 302
            repliers.append(Replier(browser, path))
        # One more customer opened the reply form before the outage and sends it in the middle of it.
        straggler = Browser(portal.url)
        assert straggler.sign_in(cast.requester.email, PASSWORD).status == 302
        _, form = straggler.form(late)
        form = {**form, "body": "Sent while the database was away."}
        workers_before = portal.worker_pids()
        stop = threading.Event()
        threads = [threading.Thread(target=replier.run, args=(stop,), daemon=True) for replier in repliers]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            with stopped(stop_postgres, start_postgres):
                during = straggler.send_form(f"{late}reply/", form, referer=portal.url + late)
                time.sleep(OUTAGE_SECONDS)
            back = time.monotonic()
            # The 503 page asked to send it again in a minute: the same form, the same token.
            again = wait_for(
                lambda: (
                    (answer := straggler.send_form(f"{late}reply/", form, referer=portal.url + late)).status == 302
                    and answer
                ),
                seconds=RECOVERY_SECONDS,
                interval=0.5,
            )
            deadline = back + RECOVERY_SECONDS
            while time.monotonic() < deadline and not all(r.succeeded_since(back) >= 3 for r in repliers):
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=40)

        assert all(replier.succeeded_since(back) >= 3 for replier in repliers), (
            f"not every customer could reply again within {RECOVERY_SECONDS}s of PostgreSQL's return"
        )
        assert portal.worker_pids() == workers_before, "gunicorn's workers were replaced, not recovered"
    assert during.status == 503 and "Back in a moment" in during.text
    assert again and again.location.startswith(late), "the form sent again after the outage was not taken"
    assert Reply.objects.filter(body="Sent while the database was away.").count() == 1

    assert [replier.failures for replier in repliers] == [[]] * CUSTOMERS
    answers = [answer for replier in repliers for _, _, answer in replier.answers]
    pages = Counter(answer.status for replier in repliers for _, body, answer in replier.answers if not body)
    posts = Counter(answer.status for replier in repliers for _, body, answer in replier.answers if body)
    assert set(pages) <= {200, 503} and set(posts) <= {302, 503}, (pages, posts)
    statuses = pages + posts
    assert statuses[503] > 0, f"the outage was never felt: {statuses}"
    for answer in answers:
        if answer.status == 503:
            assert "Back in a moment" in answer.text and "send it again in a minute" in answer.text
            assert "Traceback" not in answer.text and "OperationalError" not in answer.text
        assert answer.seconds < 10, f"an answer took {answer.seconds:.1f}s"

    saved = Counter(Reply.objects.filter(ticket__requester=cast.requester).values_list("body", flat=True))
    acknowledged = [body for replier in repliers for body in replier.acknowledged()]
    resent = set().union(*(replier.resent() for replier in repliers))
    assert [body for body in acknowledged if saved[body] != 1] == [], "an acknowledged reply was lost or doubled"
    assert max(saved.values()) == 1, "a reply sent again after the 503 page was saved twice"
    # Every reply was acknowledged in the end, but for the one each customer was sending when the test stopped.
    unacknowledged = set().union(*(replier.sent() for replier in repliers)) - set(acknowledged)
    assert len(unacknowledged) <= CUSTOMERS, unacknowledged
    assert " ERROR " not in portal.log().replace("ERROR django.request", ""), portal.log()
    print(
        f"answers: {dict(statuses)}; replies acknowledged: {len(acknowledged)}, sent again after a 503: "
        f"{len(resent)}, saved: {sum(saved.values())}"
    )
