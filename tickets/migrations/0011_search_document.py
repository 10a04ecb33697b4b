"""Search that finds words inside Chinese, Japanese and Korean text, on PostgreSQL only.

Japanese and Chinese put no spaces between words and Korean glues particles and compounds together, so
PostgreSQL's parser makes one token of a whole run (`東京都のサーバーが停止しました`) and a word inside it could not
be found. `portal_search_document(text)` indexes such runs as overlapping two-character grams instead, plus
each run's last character alone so that every character starts some gram (a one-character query is a prefix
match on them). Other scripts still become `simple` words, as before. `tickets.search` turns a query into the
same grams; the new GIN expression indexes replace those of migrations 0002 and 0008.

We build grams ourselves rather than use pg_trgm: trigrams cannot find two-character words, and a plain SQL
function needs no extension (or superuser) on the production server.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from tickets.search import BODY_VECTOR, SUBJECT_VECTOR

# Han (with 々〆〇), kana, half-width katakana and Hangul. tickets.search.CJK_CHARACTERS must stay a subset,
# or a query term would be cut into runs the document does not have (test_search_languages checks it).
CJK = (
    r"\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff"
)

# The SQL-standard body binds to_tsvector and 'simple' when the function is created, so the indexes rebuild
# under any search_path (pg_restore runs with an empty one). Reading a run in pairs from its first and from its
# second character yields every overlapping bigram and, from whichever reading has an odd length, the last
# character alone; unlike substr() at each position this stays linear in the run's length. Grams come from the
# first 50,000 characters only (the web form's limit): a tsvector holds at most 1 MB, and a long text pasted
# into an email must not make its insert fail.
CREATE_FUNCTION = f"""
CREATE FUNCTION portal_search_document(document text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_tsvector('simple', regexp_replace(document, '[{CJK}]+', ' ', 'g'))
    || coalesce((
        SELECT array_to_tsvector(array_agg(gram[1]))
        FROM regexp_matches(left(document, 50000), '[{CJK}]+', 'g') AS runs (run),
            LATERAL (VALUES (run[1]), (substr(run[1], 2))) AS readings (reading),
            regexp_matches(reading, '..?', 'g') AS grams (gram)
    ), '')
"""  # noqa: S608 - fixed text, no input

OLD_INDEXES = [
    ("ticket", GinIndex(SUBJECT_VECTOR, name="ticket_subject_search")),
    ("reply", GinIndex(BODY_VECTOR, name="reply_body_search")),
    ("chatmessage", GinIndex(BODY_VECTOR, name="chatmessage_body_search")),
]

NEW_INDEXES = [
    ("ticket_subject_document", "tickets_ticket", "subject"),
    ("reply_body_document", "tickets_reply", "body"),
    ("chatmessage_body_document", "tickets_chatmessage", "body"),
]


def create_document_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in OLD_INDEXES:
        schema_editor.remove_index(apps.get_model("tickets", model_name), index)
    schema_editor.execute(CREATE_FUNCTION)
    for name, table, column in NEW_INDEXES:
        schema_editor.execute(f"CREATE INDEX {name} ON {table} USING gin (portal_search_document({column}))")


def restore_word_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in NEW_INDEXES:
        schema_editor.execute(f"DROP INDEX {name}")
    schema_editor.execute("DROP FUNCTION portal_search_document(text)")
    for model_name, index in OLD_INDEXES:
        schema_editor.add_index(apps.get_model("tickets", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_translatable_labels")]

    operations = [migrations.RunPython(create_document_indexes, restore_word_indexes)]
