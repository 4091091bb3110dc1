"""event outbox: live events written in the transaction of what they announce

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_event_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    unsent = sa.text("sent_at IS NULL")
    op.create_index(
        "ix_handoff_event_outbox_unsent",
        "handoff_event_outbox",
        ["created_at"],
        postgresql_where=unsent,
        sqlite_where=unsent,
    )
    op.create_index("ix_handoff_event_outbox_sent", "handoff_event_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_event_outbox_sent", "handoff_event_outbox")
    op.drop_index("ix_handoff_event_outbox_unsent", "handoff_event_outbox")
    op.drop_table("handoff_event_outbox")
