"""The admin for people, organisations and organisation-level access.

Decisions on access (grant, decline, revoke) and moving a person to another organisation go through
`accounts.actions`, never through raw field edits, so each is checked and recorded.
"""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import actions
from accounts.forms import time_zone_choices
from accounts.models import AccessRequest, Organisation, OrganisationAccess, User


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return list(self.fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class GrantInline(ReadOnlyInline):
    model = OrganisationAccess
    fk_name = "user"
    verbose_name_plural = _("Organisation-level access: grants and revocations")
    fields = ["organisation", "granted_at", "granted_by", "revoked_at", "revoked_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "granted_by", "revoked_by")


class OrganisationGrantInline(GrantInline):
    fk_name = "organisation"
    fields = ["user", "granted_at", "granted_by", "revoked_at", "revoked_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class AskInline(ReadOnlyInline):
    model = AccessRequest
    fk_name = "person"
    verbose_name_plural = _("Asks for organisation-level access: approvals and decisions")
    fields = ["created_at", "state", "approval", "approver", "approval_decided_at", "decided_by", "decided_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("approver", "decided_by")


class OrganisationAskInline(AskInline):
    fk_name = "organisation"
    fields = ["person", *AskInline.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class MemberInline(ReadOnlyInline):
    model = User
    fk_name = "organisation"
    verbose_name_plural = _("Members")
    fields = ["email", "full_name", "is_technical_contact", "is_org_admin", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "technical_contacts", "grant_count", "created_at"]
    search_fields = ["name"]
    inlines = [MemberInline, OrganisationGrantInline, OrganisationAskInline]

    def get_queryset(self, request):
        # Counted in the list query itself: no query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_total=Count("members", distinct=True),
                contacts_total=Count("members", filter=Q(members__is_technical_contact=True), distinct=True),
                grants_total=Count("access_grants", filter=Q(access_grants__revoked_at__isnull=True), distinct=True),
            )
        )

    @admin.display(description=_("members"), ordering="members_total")
    def member_count(self, obj: Organisation) -> int:
        return obj.members_total

    @admin.display(description=_("technical contacts"), ordering="contacts_total")
    def technical_contacts(self, obj: Organisation) -> int:
        return obj.contacts_total

    @admin.display(description=_("current grants"), ordering="grants_total")
    def grant_count(self, obj: Organisation) -> int:
        return obj.grants_total


class PersonCreationForm(forms.ModelForm):
    """Adding a person sets no password: they get an email with a link to choose one."""

    class Meta:
        model = User
        fields = [
            *("email", "full_name", "organisation", "is_technical_contact", "is_org_admin", "is_staff"),
            *("language", "time_zone"),  # so the password-link email already arrives in their language
        ]
        widgets = {"time_zone": forms.Select(choices=time_zone_choices())}

    def clean_email(self) -> str:
        # Lower-cased before the uniqueness check, so Ann@X and ann@x are the same person.
        return self.cleaned_data["email"].lower()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_staff") and not cleaned.get("organisation"):
            self.add_error("organisation", _("A customer belongs to an organisation; agents belong to none."))
        if cleaned.get("is_staff") and cleaned.get("organisation"):
            self.add_error("organisation", _("Agents belong to no organisation."))
        return cleaned

    def save(self, commit: bool = True) -> User:
        person = super().save(commit=False)
        person.set_unusable_password()
        if commit:
            person.save()
        return person


def send_password_link(request: HttpRequest, person: User) -> None:
    """allauth's password-reset email: a one-time link to choose a password."""
    form = ResetPasswordForm(data={"email": person.email})
    if form.is_valid():
        form.save(request)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]

    list_display = [
        "email",
        "full_name",
        "organisation",
        "is_technical_contact",
        "is_org_admin",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_technical_contact", "is_org_admin"]
    list_select_related = ["organisation"]
    search_fields = ["email", "full_name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    show_full_result_count = False
    actions = ["email_password_link", "remove_second_factor"]
    inlines = [GrantInline, AskInline]
    add_form = PersonCreationForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            kwargs["widget"] = forms.Select(choices=time_zone_choices())
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "organisation", "is_technical_contact", "is_org_admin", "is_active"]}),
        (_("Language and time zone"), {"fields": ["language", "time_zone"]}),
        (_("Staff"), {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": PersonCreationForm.Meta.fields,
                "description": _("The person is emailed a link to choose their password."),
            },
        ),
    ]

    def save_model(self, request, obj: User, form, change: bool) -> None:
        moved_to = None
        if change and "organisation" in form.changed_data and obj.organisation is not None:
            # The move is an action: it revokes old grants and withdraws pending asks.
            moved_to = obj.organisation
            obj.organisation_id = form.initial.get("organisation")
        super().save_model(request, obj, form, change)
        if moved_to is not None:
            try:
                actions.move_person(person=obj, organisation=moved_to, admin=request.user)
            except actions.AccessRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            obj.refresh_from_db()

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        person = form.instance
        if person.is_staff and not person.is_superuser and "is_staff" in form.changed_data:
            person.groups.add(Group.objects.get(name="Agents"))

    def response_add(self, request, obj: User, post_url_continue=None):
        send_password_link(request, obj)
        self.message_user(request, _("%(email)s was emailed a link to choose a password.") % {"email": obj.email})
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Email a link to choose a new password"), permissions=["change"])
    def email_password_link(self, request, queryset) -> None:
        people = list(queryset.filter(is_active=True))
        for person in people:
            send_password_link(request, person)
        self.message_user(
            request,
            ngettext("Sent %(count)d password link.", "Sent %(count)d password links.", len(people))
            % {"count": len(people)},
        )

    def has_remove_second_factor_permission(self, request: HttpRequest) -> bool:
        return _site_admin(request)

    @admin.action(description=_("Remove two-factor authentication"), permissions=["remove_second_factor"])
    def remove_second_factor(self, request, queryset) -> None:
        """For someone who lost their authenticator app: they sign in with their password alone again, and set up
        a new app (staff must, at once)."""
        removed = Authenticator.objects.filter(user__in=queryset).delete()[0]
        self.message_user(
            request,
            ngettext("Removed %(count)d authenticator.", "Removed %(count)d authenticators.", removed)
            % {"count": removed},
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions":
            field.queryset = _grantable(field.queryset)
        return field


# allauth registers the authenticators themselves, secrets included; they are never edited by hand here.
admin.site.unregister(Authenticator)
admin.site.unregister(Group)


@admin.register(Group)
class PortalGroupAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions":
            field.queryset = _grantable(field.queryset)
        return field


def _grantable(permissions: QuerySet[Permission]) -> QuerySet[Permission]:
    """What a person or a group may be given here: anything but rights over allauth's authenticators, whose rows
    hold second-factor secrets; a site admin removes them with the action on people, nobody edits them."""
    return permissions.exclude(content_type__app_label="mfa")


def _site_admin(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(OrganisationAccess)
class OrganisationAccessAdmin(admin.ModelAdmin):
    """Grants come from asks; here they are listed and revoked."""

    list_display = ["user", "organisation", "granted_by", "granted_at", "revoked_at", "revoked_by"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "organisation", "granted_by", "revoked_by"]
    search_fields = ["user__email", "organisation__name"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return _site_admin(request)

    @admin.action(description=_("Revoke selected organisation-level access"), permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        done = 0
        for access in queryset.filter(revoked_at__isnull=True):
            actions.revoke(access=access, admin=request.user)
            done += 1
        self.message_user(
            request, ngettext("Revoked %(count)d grant.", "Revoked %(count)d grants.", done) % {"count": done}
        )


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Pending asks with their approval state; a site admin grants or declines (actions, or the buttons on an
    ask's page). An administrator's ask without the technical contact's approval cannot be granted."""

    list_display = ["person", "organisation", "state", "approval", "approver", "created_at", "decided_by", "decided_at"]
    list_filter = ["state", "approval"]
    list_select_related = ["person", "organisation", "approver", "decided_by"]
    search_fields = ["person__email", "organisation__name"]
    readonly_fields = [
        "person", "organisation", "ticket", "state", "created_at", "approver", "approval", "approval_decided_at",
        "decided_by", "decided_at", "grant",
    ]  # fmt: skip
    fields = [*readonly_fields, "decision_note"]
    actions = ["grant_selected", "decline_selected"]
    change_form_template = "admin/accounts/accessrequest/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return _site_admin(request)

    def has_decide_permission(self, request) -> bool:
        return _site_admin(request)

    def save_model(self, request, obj, form, change) -> None:
        pass  # nothing is saved raw; the buttons call the actions in response_change

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj: AccessRequest):
        if "_grant" in request.POST or "_decline" in request.POST:
            try:
                if "_grant" in request.POST:
                    actions.grant(ask=obj, admin=request.user)
                    self.message_user(request, _("Access granted to %(person)s.") % {"person": obj.person})
                else:
                    actions.decline(ask=obj, admin=request.user, note=request.POST.get("decision_note", ""))
                    self.message_user(request, _("The ask of %(person)s was declined.") % {"person": obj.person})
            except actions.AccessRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description=_("Grant selected asks"), permissions=["decide"])
    def grant_selected(self, request, queryset) -> None:
        self._decide(request, queryset, lambda ask: actions.grant(ask=ask, admin=request.user))

    @admin.action(description=_("Decline selected asks"), permissions=["decide"])
    def decline_selected(self, request, queryset) -> None:
        self._decide(request, queryset, lambda ask: actions.decline(ask=ask, admin=request.user))

    def _decide(self, request, queryset, decide) -> None:
        done = 0
        for ask in queryset.select_related("person"):
            try:
                decide(ask)
                done += 1
            except actions.AccessRefused as refusal:
                self.message_user(
                    request, _("%(person)s: %(refusal)s") % {"person": ask.person, "refusal": refusal}, messages.ERROR
                )
        if done:
            self.message_user(
                request, ngettext("Decided %(count)d ask.", "Decided %(count)d asks.", done) % {"count": done}
            )
