"""knowledge base: live articles, publish revisions, and the one live-index row

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("topic", sa.String(30), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_by", sa.String(100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("articles", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("index_version", sa.String(100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('building', 'live', 'failed')", name="kb_status"),
    )
    op.create_table(
        "kb_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("live_revision", sa.Integer(), nullable=True),
        sa.Column("index_version", sa.String(100), nullable=True),
        sa.Column("building_revision", sa.Integer(), nullable=True),
        sa.Column("building_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO kb_state (id, progress) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("kb_state")
    op.drop_table("kb_revisions")
    op.drop_table("kb_articles")
