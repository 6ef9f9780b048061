"""rate limits kept in the database

The web app's rate limits (subscribe and manage-link requests per client, manage-link emails
per address) were counted in each process's memory, so N workers allowed N times the limit.
One row per (scope, hashed key) now holds the current window and its hits, counted with one
atomic upsert by whichever worker serves the request.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from digest.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("scope", sa.String(30), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rate_limits_window_start", "rate_limits", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_limits_window_start", table_name="rate_limits")
    op.drop_table("rate_limits")
