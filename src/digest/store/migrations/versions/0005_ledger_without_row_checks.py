"""ledger rows without a per-row foreign key check, in full pages; batches claimed in
attempt order

Planning a send writes one delivery row per recipient. The foreign key from
``deliveries.edition_id`` to ``editions`` made PostgreSQL run a referential check per row:
a third of the time needed to plan a million recipients. Deliveries are only ever written
for an edition the planner holds locked, and editions are never deleted, so the check
guarded nothing; it goes. Delivery rows are also no longer rewritten when their batch is
accepted (the batch records them as sent), so the half-empty pages kept for in-place
updates (revision 0004) only doubled the table: deliveries go back to full pages, while
``send_batches``, whose rows are updated several times, keeps the room.

Claims now take the batch with the fewest attempts first (a batch set aside after a failed
round waits for the others), so the claim index gains the attempts and the sequence.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# SQLite keeps foreign keys unnamed: batch mode names them by this rule to drop one
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_SQLITE_FK = "fk_deliveries_edition_id_editions"


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_send_batches_edition_status", table_name="send_batches")
    op.create_index(
        "ix_send_batches_claim_order",
        "send_batches",
        ["edition_id", "status", "attempts", "seq"],
        unique=False,
    )
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("deliveries", naming_convention=_NAMING) as batch_op:
            batch_op.drop_constraint(_SQLITE_FK, type_="foreignkey")
        return
    for fk in sa.inspect(bind).get_foreign_keys("deliveries"):
        name = fk.get("name")
        if fk["referred_table"] == "editions" and name:
            op.drop_constraint(name, "deliveries", type_="foreignkey")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries RESET (fillfactor)")


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_send_batches_claim_order", table_name="send_batches")
    op.create_index(
        "ix_send_batches_edition_status", "send_batches", ["edition_id", "status"], unique=False
    )
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("deliveries", naming_convention=_NAMING) as batch_op:
            batch_op.create_foreign_key(
                _SQLITE_FK, "editions", ["edition_id"], ["id"], ondelete="CASCADE"
            )
        return
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries SET (fillfactor = 50)")
    op.create_foreign_key(
        "deliveries_edition_id_fkey",
        "deliveries",
        "editions",
        ["edition_id"],
        ["id"],
        ondelete="CASCADE",
    )
