"""routing: agents' languages and chat capacity, the auto-assignment switch, and an
index to find an agent's last message (the tie-break: longest idle)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_routing_agents",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(length=20), nullable=False),
        sa.Column("max_chats", sa.Integer(), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("max_chats >= 1", name="max_chats"),
        sa.ForeignKeyConstraint(["agent_id"], ["handoff_agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_table(
        "handoff_routing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auto_assign", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_messages_agent", "handoff_messages", ["agent_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_agent", table_name="handoff_messages")
    op.drop_table("handoff_routing_settings")
    op.drop_table("handoff_routing_agents")
