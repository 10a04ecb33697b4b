from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import OrganisationAccess, User
from tickets.models import Reply, Ticket
from workflow.models import Priority, Status


@pytest.mark.django_db
def test_demo_data_covers_the_cast_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = (User.objects.count(), Ticket.objects.count(), Reply.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Ticket.objects.count(), Reply.objects.count()) == first

    assert 35 <= Ticket.objects.count() <= 45
    assert {(t.status, t.priority) for t in Ticket.objects.all()} == {(s, p) for s in Status for p in Priority}
    assert Ticket.objects.exclude(ccs=None).exists()
    assert Ticket.objects.values("organisation").distinct().count() == 2
    assert OrganisationAccess.objects.active().filter(user__email="tom@northwind.example").exists()
    assert "alice@northwind.example" in out.getvalue() and "password" in out.getvalue()
    assert User.objects.get(email="admin@support.example").is_superuser
    assert User.objects.get(email="agent@support.example").is_staff
