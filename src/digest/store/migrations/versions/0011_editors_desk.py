"""editors' desk: pins and exclusions kept across re-ranking, subject override, edit version,
approval with its frozen content and hash

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_override", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_by", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("approved_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("approved_content", sa.JSON(), nullable=True))
    op.create_table(
        "edition_overrides",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("article_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["edition_id"], ["editions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("edition_id", "article_id"),
    )


def downgrade() -> None:
    op.drop_table("edition_overrides")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        for column in (
            "approved_content",
            "approved_hash",
            "approved_by",
            "updated_at",
            "updated_by",
            "version",
            "subject_override",
        ):
            batch_op.drop_column(column)
