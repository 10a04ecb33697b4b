"""PostgreSQL restarted while people are replying (issue #11). Customers keep posting replies to the portal
served by gunicorn; the machine's PostgreSQL is stopped ("fast": every session cut off mid-transaction) and
started again. While it is away every answer is the friendly 503 page, never a traceback or a hung request;
once it is back the same gunicorn workers answer normally again, without a restart; and every reply the portal
acknowledged is in the database, exactly once."""

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

pytestmark = [pytest.mark.outage, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CUSTOMERS = 4
OUTAGE_SECONDS = 3
RECOVERY_SECONDS = 30


@dataclass
class Replier:
    """One signed-in customer posting numbered replies to their own request until told to stop."""

    browser: Browser
    path: str
    answers: list[tuple[float, str, Answer]] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            body = f"{self.path} reply {number}"
            try:
                answer = self.browser.post(f"{self.path}reply/", {"body": body}, token_from=self.path)
            except Exception as error:  # a reset or hung connection: exactly what must not happen
                self.failures.append(error)
                time.sleep(0.2)
                continue
            self.answers.append((time.monotonic(), body, answer))
            time.sleep(0.05)

    def acknowledged(self) -> list[str]:
        return [body for _, body, answer in self.answers if answer.status == 302 and self.path in answer.location]

    def succeeded_since(self, moment: float) -> int:
        return sum(1 for at, _, answer in self.answers if at > moment and answer.status == 302)


def test_a_postgresql_restart_under_load_is_a_friendly_503_then_recovers_and_loses_no_acknowledged_reply(
    cast, tmp_path
):
    require_services_we_may_stop()
    set_password(cast.requester, PASSWORD)
    paths = [f"/requests/{TicketFactory(requester=cast.requester).pk}/" for _ in range(CUSTOMERS)]

    with serving(tmp_path, workers=3) as portal:
        repliers = []
        for path in paths:
            browser = Browser(portal.url)
            assert browser.sign_in(cast.requester.email, PASSWORD).status == 302
            repliers.append(Replier(browser, path))
        workers_before = portal.worker_pids()
        stop = threading.Event()
        threads = [threading.Thread(target=replier.run, args=(stop,), daemon=True) for replier in repliers]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            with stopped(stop_postgres, start_postgres):
                time.sleep(OUTAGE_SECONDS)
            back = time.monotonic()
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

    assert [replier.failures for replier in repliers] == [[]] * CUSTOMERS
    answers = [answer for replier in repliers for _, _, answer in replier.answers]
    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {200, 302, 503}, statuses  # 200: the reply form came back with an error? see below
    assert statuses[200] == 0, [answer.text[:300] for answer in answers if answer.status == 200]
    assert statuses[503] > 0, f"the outage was never felt: {statuses}"
    for answer in answers:
        if answer.status == 503:
            assert "Back in a moment" in answer.text and "send it again in a minute" in answer.text
            assert "Traceback" not in answer.text and "OperationalError" not in answer.text
        assert answer.seconds < 10, f"an answer took {answer.seconds:.1f}s"

    saved = Counter(Reply.objects.filter(ticket__requester=cast.requester).values_list("body", flat=True))
    acknowledged = [body for replier in repliers for body in replier.acknowledged()]
    assert [body for body in acknowledged if saved[body] != 1] == [], "an acknowledged reply was lost or doubled"
    assert max(saved.values()) == 1
    assert " ERROR " not in portal.log().replace("ERROR django.request", ""), portal.log()
    print(f"answers: {dict(statuses)}; acknowledged replies: {len(acknowledged)}; saved: {sum(saved.values())}")
