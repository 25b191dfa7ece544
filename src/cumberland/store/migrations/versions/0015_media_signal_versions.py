"""media.signal_versions: the version of every signal computed for a media (the ledger
`cumberland enrich` reads to find missing and stale signals)

Media decoded before this revision were described by version 1 of every signal of their
kind (videos: the vPDQ version their meta records, 1 when it records none), which is what
the backfill records; media that never decoded get none.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_IMAGE = ("exif", "pdq", "pdq-variants", "thumbnail", "c2pa", "xmp-iptc", "generator-metadata",
          "invisible-watermark", "camera-metadata", "provenance")
_MEDIA = sa.table("media", sa.column("sha256", sa.LargeBinary), sa.column("kind", sa.String),
                  sa.column("width", sa.Integer), sa.column("meta", sa.JSON),
                  sa.column("signal_versions", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signal_versions", sa.JSON(), nullable=True))
    op.execute(sa.text(
        "UPDATE media SET signal_versions = :versions WHERE kind = 'image' AND width IS NOT NULL"
    ).bindparams(versions=json.dumps(dict.fromkeys(_IMAGE, 1))))
    conn = op.get_bind()
    videos = conn.execute(sa.select(_MEDIA.c.sha256, _MEDIA.c.meta).where(
        _MEDIA.c.kind == "video", _MEDIA.c.width.is_not(None))).all()
    for sha, meta in videos:
        vpdq = (meta or {}).get("vpdq_version", 1)
        conn.execute(_MEDIA.update().where(_MEDIA.c.sha256 == sha).values(
            signal_versions={"vpdq": vpdq, "contact-sheet": 1}))


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("signal_versions")
