"""send ledger: deliveries keyed by batch seq, batch leases and timezones, send plans

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("send_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_batch")
        batch_op.drop_column("batch_id")
        batch_op.add_column(sa.Column("batch_seq", sa.Integer(), nullable=False))
        batch_op.create_index(
            "ix_deliveries_edition_batch", ["edition_id", "batch_seq"], unique=False
        )
    op.create_table(
        "send_plans",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_by", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["editions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("edition_id"),
    )


def downgrade() -> None:
    op.drop_table("send_plans")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_edition_batch")
        batch_op.drop_column("batch_seq")
        batch_op.add_column(sa.Column("batch_id", BigId, nullable=True))
        batch_op.create_index("ix_deliveries_batch", ["batch_id"], unique=False)
    with op.batch_alter_table("send_batches", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("timezone")
