"""full-text search over the OCR signal's text: SQLite FTS5 kept by triggers, PostgreSQL GIN

The text lives in the ``ocr`` signal's row (``signals.data``: ``text``, and ``search``, the
same folded: lower case, no diacritics). SQLite: an FTS5 table whose rowid is a media's id in
``text_index_ids``, kept in step with ``signals`` by triggers, so every writer (ingest,
enrich, a signal row deleted with its media) keeps it true without knowing of it.
PostgreSQL: a partial GIN index over ``to_tsvector('simple', data->>'search')`` of the
``ocr`` rows, which ``@@`` queries on the same expression use.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_REFRESH = """
    INSERT INTO text_index_ids(media_sha256) SELECT new.media_sha256
     WHERE NOT EXISTS (SELECT 1 FROM text_index_ids WHERE media_sha256 = new.media_sha256);
    DELETE FROM text_index
     WHERE rowid = (SELECT id FROM text_index_ids WHERE media_sha256 = new.media_sha256);
    INSERT INTO text_index(rowid, body)
    SELECT id, json_extract(new.data, '$.search') FROM text_index_ids
     WHERE media_sha256 = new.media_sha256
       AND coalesce(json_extract(new.data, '$.search'), '') <> '';
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_signals_ocr_search ON signals USING gin "
                   "(to_tsvector('simple', coalesce(data->>'search', ''))) "
                   "WHERE name = 'ocr'")
        return
    op.execute("CREATE TABLE text_index_ids (id INTEGER PRIMARY KEY, "
               "media_sha256 BLOB NOT NULL UNIQUE)")
    op.execute("CREATE VIRTUAL TABLE text_index USING fts5(body, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    op.execute(f"CREATE TRIGGER ocr_text_insert AFTER INSERT ON signals "
               f"WHEN new.name = 'ocr' BEGIN {_REFRESH} END")
    op.execute(f"CREATE TRIGGER ocr_text_update AFTER UPDATE ON signals "
               f"WHEN new.name = 'ocr' BEGIN {_REFRESH} END")
    op.execute("CREATE TRIGGER ocr_text_delete AFTER DELETE ON signals "
               "WHEN old.name = 'ocr' BEGIN "
               "DELETE FROM text_index WHERE rowid = "
               "(SELECT id FROM text_index_ids WHERE media_sha256 = old.media_sha256); END")
    op.execute("INSERT INTO text_index_ids(media_sha256) "
               "SELECT media_sha256 FROM signals WHERE name = 'ocr'")
    op.execute("INSERT INTO text_index(rowid, body) SELECT t.id, json_extract(s.data, "
               "'$.search') FROM signals s JOIN text_index_ids t USING (media_sha256) "
               "WHERE s.name = 'ocr' AND coalesce(json_extract(s.data, '$.search'), '') <> ''")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_signals_ocr_search")
        return
    for trigger in ("ocr_text_insert", "ocr_text_update", "ocr_text_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS text_index")
    op.execute("DROP TABLE IF EXISTS text_index_ids")
