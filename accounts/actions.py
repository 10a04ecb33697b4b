"""Every change to who may see a whole organisation, and to a person's organisation, is one of these actions.

Each runs in one transaction, locks the rows it decides on, refuses with `AccessRefused` (nothing changed)
when the ask is no longer in a state that allows the step, and leaves a record of who decided what and when.
Visibility is read fresh on every request (`holds_organisation_access`), so each decision takes effect on the
very next page load.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessRequest, Organisation, OrganisationAccess, User, holds_organisation_access


class AccessRefused(Exception):
    """The step cannot be taken; the message says why and nothing was changed."""


def ask_for_access(*, person: User, approver: User | None = None) -> AccessRequest:
    """A technical contact asks for themselves; an organisation administrator names the technical contact who
    must approve. The ask also opens a support request, on which the approver is copied."""
    from workflow import actions as workflow  # the workflow imports accounts; this import stays local

    if person.is_staff or person.organisation_id is None or not person.is_active:
        raise AccessRefused(_("Only a customer of an organisation can ask for organisation-level access."))
    if holds_organisation_access(person):
        raise AccessRefused(_("You already have organisation-level access."))
    if person.is_technical_contact:
        approver, approval = None, AccessRequest.Approval.NOT_NEEDED
    elif person.is_org_admin:
        _check_approver(person, approver)
        approval = AccessRequest.Approval.PENDING
    else:
        raise AccessRefused(
            _("Only technical contacts and organisation administrators can ask for organisation-level access.")
        )
    with transaction.atomic():
        if AccessRequest.objects.select_for_update().filter(person=person, state=AccessRequest.State.PENDING).exists():
            raise AccessRefused(_("You already have an ask waiting for a decision."))
        organisation = person.organisation
        if approver is None:
            body = _("I am a technical contact of %(org)s and ask for organisation-level access.") % {
                "org": organisation.name
            }
        else:
            body = _(
                "I am an administrator of %(org)s and ask for organisation-level access. "
                "%(approver)s, a technical contact of %(org)s, is asked to approve it."
            ) % {"org": organisation.name, "approver": approver.get_full_name() or approver.email}
        ticket = workflow.open_request(
            requester=person,
            subject=_("Organisation-level access for %(name)s") % {"name": person.get_full_name() or person.email},
            body=body,
            priority="S4",
            ccs=[approver] if approver else [],
        )
        return AccessRequest.objects.create(
            person=person, organisation=organisation, ticket=ticket, approver=approver, approval=approval
        )


def _check_approver(person: User, approver: User | None) -> None:
    if approver is None:
        raise AccessRefused(_("Name the technical contact of your organisation who approves this."))
    if (
        approver.pk == person.pk
        or not approver.is_active
        or not approver.is_technical_contact
        or approver.organisation_id != person.organisation_id
    ):
        raise AccessRefused(_("The approver must be another technical contact of your organisation."))


def decide_approval(*, ask: AccessRequest, approver: User, approve: bool) -> AccessRequest:
    """The named technical contact approves or declines an administrator's ask. Nobody else can."""
    with transaction.atomic():
        ask = AccessRequest.objects.select_for_update().get(pk=ask.pk)
        if ask.approver_id != approver.pk or approver.is_staff:
            raise AccessRefused(_("Only the technical contact named in the ask can approve or decline it."))
        try:
            _check_approver(ask.person, approver)
        except AccessRefused:
            raise AccessRefused(_("You are no longer a technical contact of this organisation.")) from None
        if approver.organisation_id != ask.organisation_id:
            raise AccessRefused(_("Only the technical contact named in the ask can approve or decline it."))
        if not ask.is_pending:
            raise AccessRefused(_("This ask was already decided: %(state)s.") % {"state": ask.get_state_display()})
        if ask.approval != AccessRequest.Approval.PENDING:
            raise AccessRefused(_("This ask was already decided: %(state)s.") % {"state": ask.get_approval_display()})
        now = timezone.now()
        ask.approval = AccessRequest.Approval.APPROVED if approve else AccessRequest.Approval.DECLINED
        ask.approval_decided_at = now
        fields = ["approval", "approval_decided_at"]
        if not approve:
            ask.state = AccessRequest.State.DECLINED
            ask.decided_at = now
            ask.decision_note = _("Declined by the technical contact.")
            fields += ["state", "decided_at", "decision_note"]
        ask.save(update_fields=fields)
        _note(ask, approver, _("Approved.") if approve else _("Declined."))
    return ask


def withdraw(*, ask: AccessRequest, person: User) -> AccessRequest:
    with transaction.atomic():
        ask = AccessRequest.objects.select_for_update().get(pk=ask.pk)
        if ask.person_id != person.pk:
            raise AccessRefused(_("Only the person who asked can withdraw the ask."))
        if not ask.is_pending:
            raise AccessRefused(_("This ask was already decided: %(state)s.") % {"state": ask.get_state_display()})
        ask.state = AccessRequest.State.WITHDRAWN
        ask.decided_at = timezone.now()
        ask.save(update_fields=["state", "decided_at"])
        _note(ask, person, _("Withdrawn."))
    return ask


def grant(*, ask: AccessRequest, admin: User) -> OrganisationAccess:
    """A site admin grants a pending ask. An administrator's ask needs the technical contact's approval first;
    a person who left the organisation, or lost the role they asked in, cannot be granted."""
    _require_site_admin(admin)
    with transaction.atomic():
        ask = AccessRequest.objects.select_for_update().select_related("person").get(pk=ask.pk)
        if not ask.is_pending:
            raise AccessRefused(_("This ask was already decided: %(state)s.") % {"state": ask.get_state_display()})
        if not ask.can_be_granted:
            raise AccessRefused(_("The technical contact has not approved this ask yet."))
        person = User.objects.select_for_update().get(pk=ask.person_id)
        if not person.is_active or person.organisation_id != ask.organisation_id:
            raise AccessRefused(_("%(name)s is no longer in %(org)s.") % {"name": person, "org": ask.organisation})
        if not (person.is_technical_contact or person.is_org_admin):
            raise AccessRefused(_("%(name)s is no longer a technical contact or administrator.") % {"name": person})
        access = OrganisationAccess.objects.active().filter(user=person, organisation_id=ask.organisation_id).first()
        if access is None:
            access = OrganisationAccess.objects.create(
                user=person, organisation_id=ask.organisation_id, granted_by=admin
            )
        ask.state = AccessRequest.State.GRANTED
        ask.decided_by = admin
        ask.decided_at = access.granted_at
        ask.grant = access
        ask.save(update_fields=["state", "decided_by", "decided_at", "grant"])
        _note(ask, admin, _("Organisation-level access granted."))
    return access


def decline(*, ask: AccessRequest, admin: User, note: str = "") -> AccessRequest:
    _require_site_admin(admin)
    with transaction.atomic():
        ask = AccessRequest.objects.select_for_update().get(pk=ask.pk)
        if not ask.is_pending:
            raise AccessRefused(_("This ask was already decided: %(state)s.") % {"state": ask.get_state_display()})
        ask.state = AccessRequest.State.DECLINED
        ask.decided_by = admin
        ask.decided_at = timezone.now()
        ask.decision_note = note
        ask.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        _note(ask, admin, _("Organisation-level access declined.") + (f" {note}" if note else ""))
    return ask


def revoke(*, access: OrganisationAccess, admin: User) -> OrganisationAccess:
    _require_site_admin(admin)
    with transaction.atomic():
        access = OrganisationAccess.objects.select_for_update().get(pk=access.pk)
        if access.revoked_at is not None:
            raise AccessRefused(_("This access was already revoked."))
        access.revoked_at = timezone.now()
        access.revoked_by = admin
        access.save(update_fields=["revoked_at", "revoked_by"])
    return access


def move_person(*, person: User, organisation: Organisation, admin: User) -> User:
    """Move a customer to another organisation. Their grants for the old one are revoked and their pending
    asks withdrawn; requests of the old organisation (even those naming them as CC) are out of sight at once,
    because a customer only ever sees their current organisation's requests."""
    _require_site_admin(admin)
    if person.is_staff:
        raise AccessRefused(_("Agents belong to no organisation."))
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if person.organisation_id == organisation.pk:
            return person
        now = timezone.now()
        for access in OrganisationAccess.objects.select_for_update().active().filter(user=person):
            access.revoked_at, access.revoked_by = now, admin
            access.save(update_fields=["revoked_at", "revoked_by"])
        AccessRequest.objects.filter(person=person, state=AccessRequest.State.PENDING).update(
            state=AccessRequest.State.WITHDRAWN, decided_at=now, decision_note=_("The person moved organisation.")
        )
        person.organisation = organisation
        person.save(update_fields=["organisation"])
    return person


def _require_site_admin(user: User) -> None:
    if not (user.is_active and user.is_superuser):
        raise AccessRefused(_("Only site admins decide organisation-level access."))


def _note(ask: AccessRequest, actor: User, text: str) -> None:
    """Record the decision on the ask's support request, in its event history."""
    from workflow import actions as workflow

    if ask.ticket_id is not None:
        workflow.record_access_decision(ticket=ask.ticket, actor=actor, decision=ask.get_state_display(), note=text)
