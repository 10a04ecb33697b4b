"""Factories for the test personas. Shared by every app's tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Organisation, OrganisationAccess, User
from tickets.models import Reply, Ticket
from workflow.models import Priority, Status

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    organisation = None
    is_staff = True


class OrganisationAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationAccess

    user = factory.SubFactory(UserFactory, is_technical_contact=True)
    organisation = factory.SelfAttribute("user.organisation")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    subject = factory.Sequence(lambda n: f"Request number {n}")
    requester = factory.SubFactory(UserFactory)
    organisation = factory.SelfAttribute("requester.organisation")
    priority = Priority.S3
    status = Status.OPEN
    created_at = factory.LazyFunction(timezone.now)
    last_activity_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def ccs(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.ccs.add(*extracted)


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SelfAttribute("ticket.requester")
    body = factory.Sequence(lambda n: f"Reply text {n}")
