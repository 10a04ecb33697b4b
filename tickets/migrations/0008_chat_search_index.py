"""The GIN index for searching chat transcripts, on PostgreSQL only (see 0002 for why it lives here)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from tickets.search import BODY_VECTOR

INDEX = GinIndex(BODY_VECTOR, name="chatmessage_body_search")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("tickets", "ChatMessage"), INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("tickets", "ChatMessage"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_chat")]

    operations = [migrations.RunPython(create_index, drop_index)]
