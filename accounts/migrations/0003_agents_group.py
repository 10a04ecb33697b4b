"""The "Agents" group: what support staff may do in the admin. They look up people, organisations and
requests; they change a request only through the workflow form on its admin page (change_ticket). Deciding
who sees a whole organisation, editing people or the policy is for site admins (superusers)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT_PERMISSIONS = [
    ("tickets", "view_ticket"),
    ("tickets", "change_ticket"),
    ("tickets", "view_reply"),
    ("tickets", "view_ticketevent"),
    ("accounts", "view_user"),
    ("accounts", "view_organisation"),
    ("accounts", "view_organisationaccess"),
    ("accounts", "view_accessrequest"),
    ("workflow", "view_prioritypolicy"),
]


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations ran; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Agents")
    for app_label, codename in AGENT_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Agents").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_access_requests"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0004_access_event"),
        ("workflow", "0002_default_policies"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
