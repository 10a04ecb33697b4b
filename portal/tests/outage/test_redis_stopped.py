"""Redis stopped for real (issue #11): the portal, served by gunicorn on the production settings with Redis as
its cache and broker, goes on rendering pages and signing people in; an agent's reply is saved and answered at
once; its notifications wait in the outbox and go out, once each, after Redis is back and a worker runs."""

from __future__ import annotations

from collections import Counter

import pytest

from portal.tests.factories import PASSWORD
from portal.tests.outage._services import (
    Browser,
    require_services_we_may_stop,
    serving,
    set_password,
    start_redis,
    stop_redis,
    stopped,
)
from tickets.models import Reply
from workflow.models import OutboundEmail
from workflow.tests._celery_support import running_worker, wait_for

pytestmark = [pytest.mark.outage, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOLLOWERS = {"requester@northwind.example", "colleague@northwind.example"}
PROMPT_SECONDS = 5  # one broker connection timeout (2 s) and the page around it
DELIVERY_SECONDS = 30


def test_with_redis_stopped_pages_sign_in_and_replies_work_and_emails_follow_when_it_returns(cast, tmp_path):
    require_services_we_may_stop()
    for person in (cast.requester, cast.agent):
        set_password(person, PASSWORD)
    detail = f"/requests/{cast.ticket.pk}/"

    with serving(tmp_path) as portal:
        customer, agent = Browser(portal.url), Browser(portal.url)
        with stopped(stop_redis, start_redis):
            signed_in = customer.sign_in(cast.requester.email, PASSWORD)
            assert (signed_in.status, signed_in.location) == (302, "/requests/"), signed_in.text[:500]
            listing = customer.get("/requests/")
            assert listing.status == 200 and "Dashboard tiles fail to load" in listing.text
            assert customer.get(detail).status == 200

            assert agent.sign_in(cast.agent.email, PASSWORD).status == 302
            fields = {"body": "Clear the browser cache, please.", "visibility": "public"}
            answer = agent.post(f"{detail}reply/", fields, token_from=detail)
            assert answer.status == 302 and answer.location.startswith(detail), answer.text[:500]
            assert answer.seconds < PROMPT_SECONDS, f"the reply took {answer.seconds:.1f}s while Redis was down"

            reply = Reply.objects.get(ticket=cast.ticket, body="Clear the browser cache, please.")
            waiting = OutboundEmail.objects.filter(reply=reply)
            assert {row.recipient.email for row in waiting} == FOLLOWERS
            assert {row.sent_at for row in waiting} == {None}

        # Redis is back: the same sessions go on, a new sign-in works, and the beat's next outbox sweep sends.
        assert customer.get(detail).status == 200
        assert Browser(portal.url).sign_in(cast.requester.email, PASSWORD).status == 302
        (tmp_path / "worker").mkdir()
        with running_worker(tmp_path / "worker") as (worker, app):
            app.send_task("workflow.tasks.deliver_outbox")

            def delivered():
                return not waiting.filter(sent_at__isnull=True).exists() and len(worker.messages()) >= 2

            assert wait_for(delivered, seconds=DELIVERY_SECONDS), worker.log()
            sent = Counter(message["To"] for message in worker.messages())
            assert sent == dict.fromkeys(FOLLOWERS, 1)
            assert all("Clear the browser cache" in message.get_body().get_content() for message in worker.messages())

    # Redis's absence is logged as warnings (the cache's fallback, the emails left to the sweep), never an error.
    assert " ERROR " not in portal.log() and "Internal Server Error" not in portal.log(), portal.log()
