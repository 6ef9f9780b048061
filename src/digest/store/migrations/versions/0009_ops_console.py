"""ops console and monitoring: alerts, provider answers, audience snapshots, ledger
summaries, engagement counts (filled from the events already stored), fetch and error
counts per source

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("edition_date", sa.Date(), nullable=True),
        sa.Column("edition_id", BigId, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", At, nullable=False),
        sa.Column("post_state", sa.String(length=20), nullable=False),
        sa.Column("post_attempts", sa.Integer(), nullable=False),
        sa.Column("post_claimed_at", At, nullable=True),
        sa.Column("posted_at", At, nullable=True),
        sa.Column("post_error", sa.Text(), nullable=True),
        sa.Column("posted_channels", sa.JSON(), nullable=False),
        sa.Column("acknowledged_at", At, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"], unique=False)
    op.create_table(
        "provider_answers",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("transport", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", At, nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "transport", "code"),
    )
    op.create_table(
        "audience_snapshots",
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("recorded_at", At, nullable=False),
        sa.PrimaryKeyConstraint("segment", "day"),
    )
    op.create_table(
        "ledger_summaries",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("finished_at", At, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("computed_at", At, nullable=False),
        sa.PrimaryKeyConstraint("edition_id"),
    )
    with op.batch_alter_table("feed_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fetch_count", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("error_count", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_index(
        "ix_provider_events_edition", "provider_events", ["edition_id", "event"], unique=False
    )
    op.create_table(
        "engagement_counts",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("hour", At, nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("recipients", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "event", "hour"),
    )
    op.create_table(
        "engagement_recipients",
        sa.Column("edition_id", BigId, nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "event", "email"),
    )
    _count_stored_events()


UNIQUE_TRACKED = ("open", "click")


def _utc(value: datetime, sqlite: bool) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    value = value.replace(minute=0, second=0, microsecond=0)
    return value.replace(tzinfo=None) if sqlite else value


def _count_stored_events() -> None:
    """Count the events stored before this revision into the new engagement tables."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    events = sa.table(
        "provider_events",
        sa.column("id", BigId),
        sa.column("edition_id", BigId),
        sa.column("event", sa.String()),
        sa.column("email", sa.String()),
        sa.column("occurred_at", At),
        sa.column("received_at", At),
    )
    counts: dict[tuple[int, str, datetime], list[int]] = {}
    seen: set[tuple[int, str, str]] = set()
    rows = bind.execute(
        sa.select(
            events.c.edition_id,
            events.c.event,
            events.c.email,
            sa.func.coalesce(events.c.occurred_at, events.c.received_at),
        ).order_by(events.c.id)
    )
    for edition_id, kind, email, at in rows:
        if isinstance(at, str):  # SQLite hands back text for an expression over dates
            at = datetime.fromisoformat(at)
        key = (edition_id or 0, kind, _utc(at, sqlite))
        slot = counts.setdefault(key, [0, 0])
        slot[0] += 1
        if kind not in UNIQUE_TRACKED:
            slot[1] += 1
        elif email and (key[0], kind, email) not in seen:
            seen.add((key[0], kind, email))
            slot[1] += 1
    if counts:
        op.bulk_insert(
            sa.table(
                "engagement_counts",
                sa.column("edition_id", BigId),
                sa.column("event", sa.String()),
                sa.column("hour", At),
                sa.column("events", sa.BigInteger()),
                sa.column("recipients", sa.BigInteger()),
            ),
            [
                {"edition_id": e, "event": k, "hour": h, "events": n, "recipients": r}
                for (e, k, h), (n, r) in counts.items()
            ],
        )
    if seen:
        op.bulk_insert(
            sa.table(
                "engagement_recipients",
                sa.column("edition_id", BigId),
                sa.column("event", sa.String()),
                sa.column("email", sa.String()),
            ),
            [{"edition_id": e, "event": k, "email": m} for e, k, m in seen],
        )


def downgrade() -> None:
    op.drop_table("engagement_recipients")
    op.drop_table("engagement_counts")
    op.drop_index("ix_provider_events_edition", table_name="provider_events")
    with op.batch_alter_table("feed_state", schema=None) as batch_op:
        batch_op.drop_column("error_count")
        batch_op.drop_column("fetch_count")
    op.drop_table("ledger_summaries")
    op.drop_table("audience_snapshots")
    op.drop_table("provider_answers")
    op.drop_index("ix_alerts_raised_at", table_name="alerts")
    op.drop_table("alerts")
