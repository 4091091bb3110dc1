"""gaps: the user messages the bot had no good answer for, and the groups shown of them

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

KINDS = ("miss", "suggest", "clarify", "escalation", "low_csat")


def upgrade() -> None:
    op.create_table(
        "gaps_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("handoff_messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "conversation_id",
            sa.String(200),
            sa.ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("article_id", sa.String(100), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("vector_key", sa.String(64), nullable=True),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="gap_kind"),
    )
    op.create_index("ux_gaps_entries_message", "gaps_entries", ["message_id"], unique=True)
    op.create_index("ix_gaps_entries_created", "gaps_entries", ["created_at"])
    op.create_index(
        "ix_gaps_entries_conversation", "gaps_entries", ["conversation_id", "created_at"]
    )
    op.create_table(
        "gaps_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(100), nullable=True),
    )
    op.create_index("ix_gaps_groups_fingerprint", "gaps_groups", ["fingerprint", "created_at"])


def downgrade() -> None:
    op.drop_table("gaps_groups")
    op.drop_table("gaps_entries")
