"""messages: a recovered turn's backoff, the turn a reply answers (dead letters)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_messages") as table:
        table.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("reply_to", sa.Integer(), nullable=True))
    op.create_index("ix_handoff_messages_reply_to", "handoff_messages", ["reply_to"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_reply_to", "handoff_messages")
    with op.batch_alter_table("handoff_messages") as table:
        table.drop_column("reply_to")
        table.drop_column("retry_at")
