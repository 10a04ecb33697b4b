from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from workflow.models import PriorityPolicy


def test_site_admin_edits_a_policy_in_the_admin(cast, client_for):
    policy = PriorityPolicy.objects.get(priority="S2")
    client = client_for(cast.admin)
    url = reverse("admin:workflow_prioritypolicy_change", args=[policy.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "first_response": "02:00:00",
            "reminder_every": "1 00:00:00",
            "reminders": "4",
            "auto_solve_after": "5 00:00:00",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_response, policy.reminders, policy.auto_solve_after) == (
        timedelta(hours=2),
        4,
        timedelta(days=5),
    )


def test_policies_are_neither_added_nor_deleted(cast, client_for):
    client = client_for(cast.admin)
    assert client.get(reverse("admin:workflow_prioritypolicy_add")).status_code == 403
    policy = PriorityPolicy.objects.first()
    assert (
        client.post(reverse("admin:workflow_prioritypolicy_delete", args=[policy.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert PriorityPolicy.objects.count() == 4


def test_the_policy_list_shows_every_priority(cast, client_for):
    html = client_for(cast.admin).get(reverse("admin:workflow_prioritypolicy_changelist")).content.decode()
    for label in ["S1 – Urgent", "S2 – High", "S3 – Tolerable", "S4 – Question"]:
        assert label in html
