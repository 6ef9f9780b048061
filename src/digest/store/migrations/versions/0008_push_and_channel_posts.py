"""Web Push subscriptions, the Web Push and channel-post ledgers

A browser's push subscription (endpoint and keys) with the segments it chose, an optional
link to the email subscriber who turned notifications on from the preference centre, and
two ledgers that keep each (edition, subscription) push and each (edition, Apprise URL)
post to exactly once. ``channel_plans`` marks a channel's ledger as written for an edition.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from digest.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("endpoint_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(100), nullable=False),
        sa.Column("auth", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column(
            "subscriber_id",
            BigId,
            sa.ForeignKey("subscribers.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_push_subscriptions_subscriber_id", "push_subscriptions", ["subscriber_id"]
    )
    op.create_table(
        "push_subscription_segments",
        sa.Column(
            "subscription_id",
            BigId,
            sa.ForeignKey("push_subscriptions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("segment", sa.String(100), primary_key=True),
    )
    op.create_index(
        "ix_push_subscription_segments_segment",
        "push_subscription_segments",
        ["segment", "subscription_id"],
    )
    op.create_table(
        "channel_plans",
        sa.Column(
            "edition_id", BigId, sa.ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("planned_at", UTCDateTime(), nullable=False),
        sa.Column("planned_by", sa.String(200), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False),
    )
    op.create_table(
        "push_deliveries",
        sa.Column("edition_id", BigId, primary_key=True),
        sa.Column("subscription_id", BigId, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_push_deliveries_claim", "push_deliveries", ["edition_id", "status", "not_before"]
    )
    op.create_table(
        "apprise_posts",
        sa.Column(
            "edition_id", BigId, sa.ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("url_key", sa.String(64), primary_key=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("apprise_posts")
    op.drop_index("ix_push_deliveries_claim", table_name="push_deliveries")
    op.drop_table("push_deliveries")
    op.drop_table("channel_plans")
    op.drop_index("ix_push_subscription_segments_segment", table_name="push_subscription_segments")
    op.drop_table("push_subscription_segments")
    op.drop_index("ix_push_subscriptions_subscriber_id", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
