from datetime import timedelta

from django.db import migrations

# The seeded service targets (issue #3): first response, reminder interval, reminders, auto-solve wait.
DEFAULTS = {
    "S1": (timedelta(hours=1), timedelta(days=1), 3, timedelta(days=1)),
    "S2": (timedelta(hours=4), timedelta(days=2), 2, timedelta(days=2)),
    "S3": (timedelta(days=1), timedelta(days=3), 2, timedelta(days=3)),
    "S4": (timedelta(days=2), timedelta(days=4), 1, timedelta(days=3)),
}


def seed(apps, schema_editor):
    PriorityPolicy = apps.get_model("workflow", "PriorityPolicy")
    for priority, (first_response, reminder_every, reminders, auto_solve_after) in DEFAULTS.items():
        PriorityPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response": first_response,
                "reminder_every": reminder_every,
                "reminders": reminders,
                "auto_solve_after": auto_solve_after,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
