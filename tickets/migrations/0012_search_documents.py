"""One search document per request, kept by the database, so that a search for a common word stays fast.

Until 0011 search read three GIN indexes (subject, reply bodies, chat messages) and joined their id lists: every
request holding the word was found before the first page could be sorted, which at a million requests took
seconds for a word in a tenth of them. `tickets_ticketdocument` holds, per request, the stripped search document
(`portal_search_document`, migration 0011) of its subject, public replies and chat messages (`public`) and of its
internal notes (`internal`). A list can then walk its sort index and test each request with one primary-key
lookup, and a rare word still starts from the GIN index on the documents; PostgreSQL picks by the statistics.

Triggers keep the documents whatever writes the rows (the portal, email-in, the admin, a shell):
- a new request gets the document of its subject; a changed subject rebuilds its request's document;
- a new reply or chat message appends its document (an append is cheap; a rebuild reads the whole thread);
- changed or deleted replies, chat messages, or a chat moved to another request rebuild the documents of the
  requests concerned, once per statement (transition tables), so deleting a long thread costs one rebuild.
`portal_ticket_documents(from, to)` computes the documents of a range of requests from their texts; the backfill
below, the rebuilds and `seed_bench` all use it, so the three cannot drift apart.

SQLite has no triggers here and no documents: search there reads the texts (tickets.search).
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE AGGREGATE portal_tsvector_agg(tsvector) (
    SFUNC = tsvector_concat, STYPE = tsvector, COMBINEFUNC = tsvector_concat, INITCOND = '', PARALLEL = SAFE
);

CREATE FUNCTION portal_ticket_documents(from_id bigint, to_id bigint)
RETURNS TABLE (ticket_id bigint, public tsvector, internal tsvector)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT t.id,
        strip(portal_search_document(t.subject) || coalesce(r.public, '') || coalesce(c.public, '')),
        strip(coalesce(r.internal, ''))
    FROM tickets_ticket t
    LEFT JOIN (
        SELECT ticket_id,
            portal_tsvector_agg(portal_search_document(body)) FILTER (WHERE is_public) AS public,
            portal_tsvector_agg(portal_search_document(body)) FILTER (WHERE NOT is_public) AS internal
        FROM tickets_reply
        WHERE ticket_id BETWEEN from_id AND to_id
        GROUP BY ticket_id
    ) r ON r.ticket_id = t.id
    LEFT JOIN (
        SELECT chat.ticket_id, portal_tsvector_agg(portal_search_document(message.body)) AS public
        FROM tickets_chatmessage message JOIN tickets_chat chat ON chat.id = message.chat_id
        WHERE chat.ticket_id BETWEEN from_id AND to_id
        GROUP BY chat.ticket_id
    ) c ON c.ticket_id = t.id
    WHERE t.id BETWEEN from_id AND to_id
$$;

-- Only documents that exist are rebuilt: while Django deletes a request it removes the document before the
-- replies, and their trigger must not bring it back.
CREATE FUNCTION portal_rebuild_documents(ids bigint[]) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE tickets_ticketdocument SET public = fresh.public, internal = fresh.internal
    FROM unnest(ids) AS id, portal_ticket_documents(id, id) AS fresh
    WHERE tickets_ticketdocument.ticket_id = fresh.ticket_id
$$;

-- A request whose document went missing (rows written with the triggers disabled) gets it back in full.
CREATE FUNCTION portal_restore_document(id bigint) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO tickets_ticketdocument (ticket_id, public, internal)
    SELECT * FROM portal_ticket_documents(id, id)
    ON CONFLICT (ticket_id) DO UPDATE SET public = excluded.public, internal = excluded.internal
$$;

CREATE FUNCTION portal_document_ticket_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tickets_ticketdocument (ticket_id, public, internal)
    VALUES (NEW.id, strip(portal_search_document(NEW.subject)), '')
    ON CONFLICT (ticket_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_subject_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM portal_rebuild_documents(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_reply_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_public THEN
        UPDATE tickets_ticketdocument SET public = coalesce(public, '') || strip(portal_search_document(NEW.body))
        WHERE ticket_id = NEW.ticket_id;
    ELSE
        UPDATE tickets_ticketdocument SET internal = coalesce(internal, '') || strip(portal_search_document(NEW.body))
        WHERE ticket_id = NEW.ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM portal_restore_document(NEW.ticket_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_chat_message_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    request bigint := (SELECT ticket_id FROM tickets_chat WHERE id = NEW.chat_id);
BEGIN
    UPDATE tickets_ticketdocument SET public = coalesce(public, '') || strip(portal_search_document(NEW.body))
    WHERE ticket_id = request;
    IF NOT FOUND THEN
        PERFORM portal_restore_document(request);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_replies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM portal_rebuild_documents(ARRAY(SELECT DISTINCT ticket_id FROM old_rows));
    ELSE
        PERFORM portal_rebuild_documents(ARRAY(
            SELECT DISTINCT unnest(ARRAY[old_row.ticket_id, new_row.ticket_id])
            FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
            WHERE (old_row.body, old_row.is_public, old_row.ticket_id)
                IS DISTINCT FROM (new_row.body, new_row.is_public, new_row.ticket_id)
        ));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_chat_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM portal_rebuild_documents(ARRAY(
            SELECT DISTINCT chat.ticket_id FROM old_rows JOIN tickets_chat chat ON chat.id = old_rows.chat_id
        ));
    ELSE
        PERFORM portal_rebuild_documents(ARRAY(
            SELECT DISTINCT chat.ticket_id
            FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
                JOIN tickets_chat chat ON chat.id IN (old_row.chat_id, new_row.chat_id)
            WHERE (old_row.body, old_row.chat_id) IS DISTINCT FROM (new_row.body, new_row.chat_id)
        ));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_document_chats_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM portal_rebuild_documents(ARRAY(
        SELECT DISTINCT unnest(ARRAY[old_row.ticket_id, new_row.ticket_id])
        FROM old_rows old_row JOIN new_rows new_row ON new_row.id = old_row.id
        WHERE old_row.ticket_id IS DISTINCT FROM new_row.ticket_id
    ));
    RETURN NULL;
END $$;

CREATE TRIGGER portal_document_ticket_added AFTER INSERT ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION portal_document_ticket_added();
CREATE TRIGGER portal_document_subject_changed AFTER UPDATE OF subject ON tickets_ticket
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject) EXECUTE FUNCTION portal_document_subject_changed();
CREATE TRIGGER portal_document_reply_added AFTER INSERT ON tickets_reply
    FOR EACH ROW EXECUTE FUNCTION portal_document_reply_added();
CREATE TRIGGER portal_document_replies_updated AFTER UPDATE ON tickets_reply
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portal_document_replies_changed();
CREATE TRIGGER portal_document_replies_deleted AFTER DELETE ON tickets_reply
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portal_document_replies_changed();
CREATE TRIGGER portal_document_chat_message_added AFTER INSERT ON tickets_chatmessage
    FOR EACH ROW EXECUTE FUNCTION portal_document_chat_message_added();
CREATE TRIGGER portal_document_chat_messages_updated AFTER UPDATE ON tickets_chatmessage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portal_document_chat_messages_changed();
CREATE TRIGGER portal_document_chat_messages_deleted AFTER DELETE ON tickets_chatmessage
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portal_document_chat_messages_changed();
CREATE TRIGGER portal_document_chats_moved AFTER UPDATE ON tickets_chat
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION portal_document_chats_moved();
"""

BACKFILL = """
INSERT INTO tickets_ticketdocument (ticket_id, public, internal)
SELECT * FROM portal_ticket_documents(0, (SELECT coalesce(max(id), 0) FROM tickets_ticket))
ON CONFLICT (ticket_id) DO UPDATE SET public = excluded.public, internal = excluded.internal
"""

INDEXES = """
CREATE INDEX ticketdocument_public ON tickets_ticketdocument USING gin (public);
CREATE INDEX ticketdocument_internal ON tickets_ticketdocument USING gin (internal);
"""

# Search no longer reads the texts' own indexes (0011); writing them would only slow every reply down.
OLD_INDEXES = [
    ("ticket_subject_document", "tickets_ticket", "subject"),
    ("reply_body_document", "tickets_reply", "body"),
    ("chatmessage_body_document", "tickets_chatmessage", "body"),
]

DROP = """
DROP TRIGGER portal_document_ticket_added ON tickets_ticket;
DROP TRIGGER portal_document_subject_changed ON tickets_ticket;
DROP TRIGGER portal_document_reply_added ON tickets_reply;
DROP TRIGGER portal_document_replies_updated ON tickets_reply;
DROP TRIGGER portal_document_replies_deleted ON tickets_reply;
DROP TRIGGER portal_document_chat_message_added ON tickets_chatmessage;
DROP TRIGGER portal_document_chat_messages_updated ON tickets_chatmessage;
DROP TRIGGER portal_document_chat_messages_deleted ON tickets_chatmessage;
DROP TRIGGER portal_document_chats_moved ON tickets_chat;
DROP FUNCTION portal_document_ticket_added(), portal_document_subject_changed(), portal_document_reply_added(),
    portal_document_chat_message_added(), portal_document_replies_changed(), portal_document_chat_messages_changed(),
    portal_document_chats_moved(), portal_rebuild_documents(bigint[]), portal_restore_document(bigint),
    portal_ticket_documents(bigint, bigint);
DROP AGGREGATE portal_tsvector_agg(tsvector);
DROP INDEX ticketdocument_public, ticketdocument_internal;
"""


def keep_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE)
    schema_editor.execute(BACKFILL)
    schema_editor.execute(INDEXES)
    for name, _table, _column in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX {name}")


def read_texts_again(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)
    for name, table, column in OLD_INDEXES:
        schema_editor.execute(f"CREATE INDEX {name} ON {table} USING gin (portal_search_document({column}))")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_search_document")]

    operations = [
        migrations.CreateModel(
            name="TicketDocument",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="document",
                        serialize=False,
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                ("public", django.contrib.postgres.search.SearchVectorField(null=True, verbose_name="public text")),
                (
                    "internal",
                    django.contrib.postgres.search.SearchVectorField(null=True, verbose_name="internal notes"),
                ),
            ],
            options={"verbose_name": "search document", "verbose_name_plural": "search documents"},
        ),
        migrations.RunPython(keep_documents, read_texts_again),
    ]
