"""People, the organisations they belong to, their roles, and organisation-level access."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA zones a person may pick, sorted; legacy aliases ("US/Eastern", "Etc/GMT+5") are left out."""
    names = zoneinfo.available_timezones()
    return (*sorted(n for n in names if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/"))), "UTC")


def validate_timezone(name: str) -> None:
    if name and name not in timezone_names():
        raise ValidationError(_("“%(name)s” is not a time zone."), params={"name": name})


class Organisation(models.Model):
    """A customer organisation: the tenant. Customers see nothing of any other organisation."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A person needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address.

    Customers belong to exactly one organisation and may also be a technical contact or an organisation
    administrator of it. Agents and site admins are staff (site admins are also superusers) and belong to
    no customer organisation.
    """

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    is_technical_contact = models.BooleanField(
        _("is technical contact"),
        default=False,
        help_text=_("A technical contact of their organisation; may hold organisation-level access."),
    )
    is_org_admin = models.BooleanField(
        _("organisation administrator"),
        default=False,
        help_text=_("Has the Administrator role in their organisation."),
    )
    is_staff = models.BooleanField(
        _("agent"), default=False, help_text=_("Support staff: sees and works every request, may sign in to the admin.")
    )
    is_active = models.BooleanField(_("is active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set at the first sign-in from the browser's language, then changed by the person; empty only for someone
    # who never signed in and was added without one (their emails then use the site's default language).
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=settings.LANGUAGES, help_text=_("Pages and emails.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text=_("Dates and times are shown in this time zone."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # The agents, in the order forms list them (assignee choices), among 100,000 customers.
            models.Index(fields=["full_name", "email"], name="user_staff_by_name", condition=Q(is_staff=True)),
        ]
        constraints = [
            # Staff serve every organisation; a customer belongs to exactly one.
            models.CheckConstraint(
                condition=Q(is_staff=True) | Q(organisation__isnull=False),
                name="customer_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_agent(self) -> bool:
        return self.is_staff


class OrganisationAccessQuerySet(models.QuerySet["OrganisationAccess"]):
    def active(self) -> OrganisationAccessQuerySet:
        return self.filter(revoked_at__isnull=True)

    def held_by(self, user: User) -> OrganisationAccessQuerySet:
        """The grant that counts: unrevoked, for the person's own organisation."""
        return self.active().filter(user_id=user.pk, organisation_id=user.organisation_id)


class OrganisationAccess(models.Model):
    """A grant of organisation-level access: the holder sees every request of the organisation.

    Grants are never deleted; revoking one stamps `revoked_at`, so the record of who had access when stays.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organisation_grants", verbose_name=_("user"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="access_grants", verbose_name=_("organisation")
    )
    granted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
        help_text=_("The site admin."),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("revoked by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = OrganisationAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation-level access")
        verbose_name_plural = _("organisation-level access")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant_per_person_and_organisation",
            ),
        ]

    def __str__(self) -> str:
        if self.revoked_at:
            return _("%(user)s → %(organisation)s (revoked)") % {"user": self.user, "organisation": self.organisation}
        return _("%(user)s → %(organisation)s (active)") % {"user": self.user, "organisation": self.organisation}

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def holds_organisation_access(user: User) -> bool:
    """Whether the person holds an unrevoked grant for their own organisation, read fresh on every call."""
    if user.is_staff or user.organisation_id is None:
        return False
    return OrganisationAccess.objects.held_by(user).exists()


class AccessRequest(models.Model):
    """An ask for organisation-level access, and everything decided about it.

    A technical contact asks for themselves and needs no approval. An organisation administrator asks and
    names a technical contact of the same organisation, who must approve before a site admin may grant. Every
    ask is also a support request (`ticket`), so it is tracked and answered like any other.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Approval(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed (asked by a technical contact)")
        PENDING = "pending", _("Waiting for the technical contact")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("person"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("organisation")
    )
    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_request",
        verbose_name=_("ticket"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    approver = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_requests_to_approve",
        verbose_name=_("approver"),
    )
    approval = models.CharField(_("approval"), max_length=20, choices=Approval.choices, default=Approval.NOT_NEEDED)
    approval_decided_at = models.DateTimeField(_("approval decided at"), null=True, blank=True)

    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    grant = models.OneToOneField(
        OrganisationAccess,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_request",
        verbose_name=_("grant"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ask for organisation-level access")
        verbose_name_plural = _("asks for organisation-level access")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation"],
                condition=Q(state="pending"),
                name="one_pending_access_request_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.organisation} ({self.get_state_display()})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    @property
    def can_be_granted(self) -> bool:
        return self.is_pending and self.approval in {self.Approval.NOT_NEEDED, self.Approval.APPROVED}
