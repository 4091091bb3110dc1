"""callbacks: numbers held for a callback, and booked callbacks

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_holds",
        sa.Column(
            "conversation_id",
            sa.String(200),
            sa.ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.String(20), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("handoff_sessions.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("number", sa.String(20), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("done_by", sa.Integer(), sa.ForeignKey("handoff_agents.id"), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('booked', 'done')", name="callback_state"),
    )


def downgrade() -> None:
    op.drop_table("callback_requests")
    op.drop_table("callback_holds")
