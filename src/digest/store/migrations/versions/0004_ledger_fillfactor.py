"""leave room in ledger pages (PostgreSQL): each delivery row is updated once, in place

Every delivery row is written when the send is planned and updated once when its batch is
settled. With half of each page free, PostgreSQL can make that update a heap-only tuple
update (no index entries rewritten), which is most of the ledger's write cost.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries SET (fillfactor = 50)")
        op.execute("ALTER TABLE send_batches SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries RESET (fillfactor)")
        op.execute("ALTER TABLE send_batches RESET (fillfactor)")
