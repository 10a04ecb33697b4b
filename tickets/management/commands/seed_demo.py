"""Load the demo data: two organisations, their people, an agent, a site admin and about 40 requests.

Idempotent: people and organisations are looked up by email and name, and requests are only created when
the demo organisations have none yet. It writes history (past dates, past statuses) directly, as an import
would; live changes always go through `workflow.actions`.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.actions import ask_for_access
from accounts.models import Organisation, OrganisationAccess, User
from tickets.models import Channel, EventKind, Reply, Ticket, TicketEvent
from workflow.models import Priority, PriorityPolicy, Status

DEMO_PASSWORD = "portal-demo-2026"

ORGANISATIONS = ["Northwind Traders", "Globex Corporation"]

# (email, full name, organisation index or None for staff, role flags)
PEOPLE = [
    ("alice@northwind.example", "Alice Andersen", 0, {}),
    ("carol@northwind.example", "Carol Chen", 0, {}),
    (
        "tom@northwind.example",
        "Tom Tanaka",
        0,
        {"is_technical_contact": True, "language": "ja", "time_zone": "Asia/Tokyo"},
    ),
    ("olivia@northwind.example", "Olivia Ortega", 0, {"is_org_admin": True}),
    ("gary@globex.example", "Gary Gruber", 1, {"language": "de", "time_zone": "Europe/Berlin"}),
    ("agent@support.example", "Sam Support", None, {"is_staff": True}),
    ("admin@support.example", "Ada Admin", None, {"is_staff": True, "is_superuser": True}),
]

ROLES = {
    "alice@northwind.example": "customer, Northwind Traders",
    "carol@northwind.example": "colleague CC'd on Alice's requests",
    "tom@northwind.example": "technical contact with organisation-level access (reads the portal in Japanese)",
    "olivia@northwind.example": "organisation administrator",
    "gary@globex.example": "customer, Globex Corporation (the other organisation; reads it in German)",
    "agent@support.example": "agent",
    "admin@support.example": "site admin (Django admin at /admin/)",
}

SUBJECTS = [
    "Dashboard tiles fail to load after upgrade",
    "Scheduled PDF export arrives empty",
    "SSO login loops back to the sign-in page",
    "How do I share a folder with a contractor?",
    "API returns 502 for large queries",
    "Row limit warning on explore with 5,000 rows",
    "Timezone of scheduled deliveries is off by one hour",
    "Request for documentation on embedding",
    "Slow query on the orders model",
    "Cannot delete an old user account",
    "Alert emails are not being sent",
    "Question about licence renewal",
    "Chart colours reset after refresh",
    "Data connection test fails with SSL error",
    "Webhook delivery retries forever",
    "Filters lost when opening a shared link",
    "CSV download truncates unicode characters",
    "Permission denied on a project we own",
    "Caching seems to ignore the datagroup",
    "Git integration cannot push to branch",
    # Customers write in their own languages; search finds words in each (Japanese without spaces too).
    "東京オフィスでダッシュボードが表示されません",
    "Druckerwarteschlange für geplante Berichte hängt",
    "예약된 보고서 발송이 실패합니다",
    "La exportación programada llega vacía",
    "Laporan terjadwal tidak terkirim ke email",
]

BODIES = [
    "Since this morning we see the problem on every page. Steps:\n\n"
    "1. Sign in\n2. Open the dashboard\n3. Wait\n\nNothing appears.",
    "Could you tell us whether this is expected? We did not change anything on our side.",
    "Attached are the details from our logs. It happens for about **half** of our users.",
    "This is blocking our month-end reporting, so any workaround would help.",
    "We would like to know the recommended way to do this.",
]

AGENT_REPLIES = [
    "Thanks for the report. Could you send us the exact time it last happened and the affected user?",
    "We reproduced the problem and passed it to engineering. We will update you here.",
    "This is fixed in the current release; please try again and let us know.",
    "Here is the documentation you asked for: https://example.com/docs/embedding",
]

CUSTOMER_REPLIES = [
    "It last happened at 09:14 for the user reporting@northwind.example.",
    "Thank you, that works now.",
    "We still see it after clearing the cache.",
]


class Command(BaseCommand):
    help = "Load demo organisations, people and requests (safe to run more than once)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            organisations = [Organisation.objects.get_or_create(name=name)[0] for name in ORGANISATIONS]
            people = {email: self._person(email, name, organisations, org, flags) for email, name, org, flags in PEOPLE}
            admin = people["admin@support.example"]
            tom = people["tom@northwind.example"]
            if not OrganisationAccess.objects.active().filter(user=tom, organisation=organisations[0]).exists():
                OrganisationAccess.objects.create(user=tom, organisation=organisations[0], granted_by=admin)
            people["agent@support.example"].groups.add(Group.objects.get(name="Agents"))
            if Ticket.objects.filter(organisation__in=organisations).exists():
                self.stdout.write("Demo requests already present; left as they are.")
            else:
                count = self._requests(people, organisations)
                # Olivia (an organisation administrator) has asked for organisation-level access; Tom approves.
                ask_for_access(person=people["olivia@northwind.example"], approver=tom)
                self.stdout.write(f"Created {count} demo requests and one pending ask for organisation access.")
        self._print_logins()

    def _person(self, email, name, organisations, org_index, flags) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            organisation = organisations[org_index] if org_index is not None else None
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, organisation=organisation, **flags)
        return user

    def _requests(self, people: dict[str, User], organisations: list[Organisation]) -> int:
        rng = random.Random(2026)
        now = timezone.now()
        agent = people["agent@support.example"]
        northwind = ["alice@northwind.example"] * 5 + [
            "carol@northwind.example",
            "tom@northwind.example",
            "olivia@northwind.example",
        ]
        combos = [(status, priority) for status in Status for priority in Priority]
        policies = {policy.priority: policy for policy in PriorityPolicy.objects.all()}
        created = 0
        for index in range(40):
            status, priority = combos[index % len(combos)]
            email = "gary@globex.example" if index % 7 == 3 else northwind[index % len(northwind)]
            requester = people[email]
            opened = now - timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
            ticket = Ticket.objects.create(
                subject=SUBJECTS[index % len(SUBJECTS)],
                requester=requester,
                organisation=requester.organisation,
                priority=priority,
                status=status,
                channel=rng.choice([Channel.WEB, Channel.WEB, Channel.EMAIL, Channel.CHAT]),
                created_at=opened,
                last_activity_at=opened,
            )
            TicketEvent.objects.create(
                ticket=ticket, kind=EventKind.CREATED, actor=requester, to_value=Status.OPEN, created_at=opened
            )
            if requester.organisation_id == organisations[0].pk and index % 3 == 0:
                colleague = people[
                    "carol@northwind.example" if email != "carol@northwind.example" else "alice@northwind.example"
                ]
                ticket.ccs.add(colleague)
                TicketEvent.objects.create(
                    ticket=ticket, kind=EventKind.CC, actor=requester, to_value=colleague.email, created_at=opened
                )
            moment = self._thread(ticket, requester, agent, opened, now, rng)
            ticket.last_activity_at = moment
            ticket.first_response_due_at = opened + policies[priority].first_response
            ticket.first_responded_at = (
                ticket.replies.filter(author=agent, is_public=True).values_list("created_at", flat=True).first()
            )
            if status != Status.OPEN:
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=EventKind.STATUS,
                    actor=agent,
                    from_value=Status.OPEN,
                    to_value=status,
                    reason="Solved with the customer." if status == Status.SOLVED else "",
                    created_at=moment,
                )
            if status == Status.SOLVED:
                ticket.solved_at = moment
            ticket.save(update_fields=["last_activity_at", "solved_at", "first_response_due_at", "first_responded_at"])
            created += 1
        return created

    def _thread(self, ticket: Ticket, requester: User, agent: User, opened, now, rng: random.Random):
        moment = opened
        Reply.objects.create(ticket=ticket, author=requester, body=rng.choice(BODIES), created_at=moment)
        for turn in range(rng.randint(0, 3)):
            moment = min(now, moment + timedelta(hours=rng.randint(1, 72)))
            from_agent = turn % 2 == 0
            Reply.objects.create(
                ticket=ticket,
                author=agent if from_agent else requester,
                body=rng.choice(AGENT_REPLIES if from_agent else CUSTOMER_REPLIES),
                created_at=moment,
            )
        if rng.random() < 0.3:
            Reply.objects.create(
                ticket=ticket,
                author=agent,
                body="Internal: checked the logs, this matches the known caching issue.",
                is_public=False,
                created_at=moment,
            )
        return moment

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role in ROLES.items():
            self.stdout.write(f"  {email:<28} {role}")
        self.stdout.write("")
