"""scale-out: leases for jobs, pending turns, delivery retries, ticket reminders

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("handoff_messages") as table:
        table.add_column(
            sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("handler", sa.String(length=100), nullable=True))
        table.create_index("ix_handoff_messages_pending", ["pending", "created_at"])
        table.create_index("ix_handoff_messages_failed", ["delivery", "created_at"])
    with op.batch_alter_table("handoff_sessions") as table:
        table.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("handoff_deliveries") as table:
        table.add_column(sa.Column("message_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_deliveries") as table:
        table.drop_column("message_id")
    with op.batch_alter_table("handoff_sessions") as table:
        table.drop_column("reminded_at")
    with op.batch_alter_table("handoff_messages") as table:
        table.drop_index("ix_handoff_messages_failed")
        table.drop_index("ix_handoff_messages_pending")
        table.drop_column("handler")
        table.drop_column("attempts")
        table.drop_column("pending")
    op.drop_table("handoff_leases")
