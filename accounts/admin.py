from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationAccess, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


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
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "organisation", "is_technical_contact", "is_org_admin"]}),
        (_("Staff"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "organisation", "password1", "password2"]}),
    ]


@admin.register(OrganisationAccess)
class OrganisationAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "granted_by", "granted_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "organisation", "granted_by"]
    autocomplete_fields = ["user", "organisation"]
    readonly_fields = ["granted_by", "granted_at", "revoked_by"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.granted_by = request.user
        if obj.revoked_at and not obj.revoked_by_id:
            obj.revoked_by = request.user
        super().save_model(request, obj, form, change)
