"""delivery status and attachments on messages, reachability, deduplication, shared cache

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_conversations") as table:
        table.add_column(sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(
            sa.Column("sent_since_inbound", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("handoff_messages") as table:
        table.add_column(sa.Column("attachment", sa.JSON(), nullable=True))
        table.add_column(sa.Column("delivery", sa.String(length=12), nullable=True))
        table.add_column(sa.Column("delivery_error", sa.Text(), nullable=True))
        table.create_index("ix_handoff_messages_delivery", ["conversation_id", "delivery"])
    op.create_table(
        "handoff_deliveries",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key"),
    )
    op.create_table(
        "handoff_cache",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("handoff_cache")
    op.drop_table("handoff_deliveries")
    with op.batch_alter_table("handoff_messages") as table:
        table.drop_index("ix_handoff_messages_delivery")
        for column in ("delivery_error", "delivery", "attachment"):
            table.drop_column(column)
    with op.batch_alter_table("handoff_conversations") as table:
        table.drop_column("sent_since_inbound")
        table.drop_column("last_inbound_at")
