"""The cast every test shares (STYLE §7): one organisation with a requester, a CC'd colleague, an uninvolved
colleague and a technical contact holding organisation-level access; a customer of another organisation;
an agent and a site admin; and a request of the requester's on which the colleague is CC'd."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from portal.tests.factories import (
    OrganisationAccessFactory,
    OrganisationFactory,
    ReplyFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits count in the cache; each test starts from zero.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def cast(db):
    org = OrganisationFactory(name="Northwind")
    other_org = OrganisationFactory(name="Globex")
    requester = UserFactory(email="requester@northwind.example", full_name="Rita Requester", organisation=org)
    colleague = UserFactory(email="colleague@northwind.example", full_name="Cole Colleague", organisation=org)
    bystander = UserFactory(email="bystander@northwind.example", full_name="Bea Bystander", organisation=org)
    contact = UserFactory(
        email="contact@northwind.example", full_name="Tess Contact", organisation=org, is_technical_contact=True
    )
    grant = OrganisationAccessFactory(user=contact, organisation=org)
    outsider = UserFactory(email="outsider@globex.example", full_name="Otto Outsider", organisation=other_org)
    agent = StaffFactory(email="agent@support.example", full_name="Ann Agent")
    admin = StaffFactory(email="admin@support.example", full_name="Sid Admin", is_superuser=True)
    ticket = TicketFactory(requester=requester, subject="Dashboard tiles fail to load", ccs=[colleague])
    ReplyFactory(ticket=ticket, author=requester, body="The dashboard shows nothing since the upgrade.")
    other_ticket = TicketFactory(requester=outsider, subject="Globex invoice question")
    return SimpleNamespace(
        org=org,
        other_org=other_org,
        requester=requester,
        colleague=colleague,
        bystander=bystander,
        contact=contact,
        grant=grant,
        outsider=outsider,
        agent=agent,
        admin=admin,
        ticket=ticket,
        other_ticket=other_ticket,
    )


@pytest.fixture
def client_for(client):
    """Sign a person in on the test client: `client_for(cast.requester)`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; CI runs this with DATABASE_URL set")
