"""tickets, presence heartbeat, SLA breach and CSAT state, message buttons

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_agents") as table:
        table.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("handoff_messages") as table:
        table.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
    with op.batch_alter_table("handoff_sessions") as table:
        table.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="chat")
        )
        table.add_column(sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("csat_status", sa.String(length=10), nullable=True))
        table.add_column(sa.Column("csat_asked_at", sa.DateTime(timezone=True), nullable=True))
        table.create_check_constraint("kind", "kind IN ('chat', 'ticket')")
        table.create_index("ix_handoff_sessions_conversation", ["conversation_id", "state"])


def downgrade() -> None:
    with op.batch_alter_table("handoff_sessions") as table:
        table.drop_index("ix_handoff_sessions_conversation")
        table.drop_constraint("kind", type_="check")
        for column in ("csat_asked_at", "csat_status", "breached_at", "kind"):
            table.drop_column(column)
    with op.batch_alter_table("handoff_messages") as table:
        table.drop_column("buttons")
    with op.batch_alter_table("handoff_agents") as table:
        table.drop_column("last_seen_at")
