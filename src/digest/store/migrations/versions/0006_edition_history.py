"""edition history: every change of an edition's state, who made it, when and why

The lifecycle (digest.lifecycle) is now the only writer of ``editions.status``; each of its
transitions appends a row here. Existing editions get one ``create`` row in their current
state, dated when they were created, so every edition has a history.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "edition_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["edition_id"], ["editions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_edition_history_edition", "edition_history", ["edition_id", "id"], unique=False
    )
    op.execute(
        "INSERT INTO edition_history (edition_id, from_state, to_state, action, at, actor, reason) "
        "SELECT id, NULL, status, 'create', created_at, 'migration 0006', skip_reason "
        "FROM editions ORDER BY id"
    )


def downgrade() -> None:
    op.drop_index("ix_edition_history_edition", table_name="edition_history")
    op.drop_table("edition_history")
