"""GIN indexes for full-text search, on PostgreSQL only.

They are expression indexes over exactly the expressions `tickets.search` queries with, built from the same
`SearchVector` objects so the two cannot drift apart. SQLite has no such index; search there falls back to
substring matching. The indexes are not part of the model state, so `makemigrations` never tries to add them
to SQLite.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from tickets.search import BODY_VECTOR, SUBJECT_VECTOR

INDEXES = [
    ("ticket", GinIndex(SUBJECT_VECTOR, name="ticket_subject_search")),
    ("reply", GinIndex(BODY_VECTOR, name="reply_body_search")),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES:
        schema_editor.add_index(apps.get_model("tickets", model_name), index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES:
        schema_editor.remove_index(apps.get_model("tickets", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
