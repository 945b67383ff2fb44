"""One transcription job per recording and kind.

Every app node hears the same AMI events, so each one asked for the transcription of a call an
agent answered, and the call became one draft per node. A unique index on (kind, path) lets the
first request win; later ones find the job already there. Duplicates an older version left are
removed first (the lowest id is kept: it is the one that ran first).

Revision ID: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "DELETE FROM transcription_jobs WHERE id NOT IN "
        "(SELECT MIN(id) FROM transcription_jobs GROUP BY kind, path)"))
    op.create_index("ux_transcription_jobs_kind_path", "transcription_jobs", ["kind", "path"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_transcription_jobs_kind_path", "transcription_jobs")
