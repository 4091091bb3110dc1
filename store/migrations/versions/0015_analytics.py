"""analytics: each bot turn's outcome, and the indexes the period queries need

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OUTCOMES = (
    "answer",
    "suggest",
    "miss",
    "clarify",
    "out_of_scope",
    "handoff",
    "fallback",
    "unavailable",
)


def upgrade() -> None:
    op.create_table(
        "handoff_turn_outcomes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(200),
            sa.ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),
    )
    op.create_index(
        "ix_handoff_turn_outcomes_outcome",
        "handoff_turn_outcomes",
        ["outcome", "created_at", "conversation_id"],
    )
    op.create_index(
        "ix_handoff_turn_outcomes_conversation", "handoff_turn_outcomes", ["conversation_id"]
    )
    # The period's user messages (active conversations, busiest hours) read from the
    # index alone; the sessions, ratings and breaches of a period by their time.
    op.create_index(
        "ix_handoff_messages_author_created",
        "handoff_messages",
        ["author", "created_at", "conversation_id"],
    )
    op.create_index("ix_handoff_sessions_queued", "handoff_sessions", ["queued_at"])
    op.create_index("ix_handoff_sessions_breached", "handoff_sessions", ["breached_at"])
    op.create_index("ix_handoff_csat_created", "handoff_csat", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_csat_created", "handoff_csat")
    op.drop_index("ix_handoff_sessions_breached", "handoff_sessions")
    op.drop_index("ix_handoff_sessions_queued", "handoff_sessions")
    op.drop_index("ix_handoff_messages_author_created", "handoff_messages")
    op.drop_table("handoff_turn_outcomes")
