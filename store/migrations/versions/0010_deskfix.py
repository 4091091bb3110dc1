"""sessions: the queue place a waiting user was last told, and when

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_sessions") as table:
        table.add_column(sa.Column("position_told", sa.Integer(), nullable=True))
        table.add_column(sa.Column("position_told_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_sessions") as table:
        table.drop_column("position_told_at")
        table.drop_column("position_told")
