"""Finer statistics on the search documents, so that PostgreSQL knows a rare word when it sees one.

PostgreSQL estimates how many documents hold a word from the most common words it sampled. A word outside that
list, searched as a prefix, was guessed at 0.5 % of the documents (5,000 of a million), and with that guess it
preferred to walk a list in order and test each request; for a word held by five requests that walk read every
request the person may see. With 1,000 as the statistics target the sample tracks ten times as many words, the
guess for the others falls to a few hundred, and a rare word is read from the GIN index.
"""

from django.db import migrations

STATISTICS = "ALTER TABLE tickets_ticketdocument ALTER COLUMN public SET STATISTICS {0}, ALTER COLUMN internal SET STATISTICS {0}"


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STATISTICS.format(1000))
        schema_editor.execute("ANALYZE tickets_ticketdocument")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STATISTICS.format(-1))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_sort_indexes_end_on_id")]

    operations = [migrations.RunPython(finer, default)]
