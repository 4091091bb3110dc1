"""roles: an agent's role (agent, supervisor, admin) instead of is_admin, and one-time
set-password links

Agents flagged ``is_admin`` could do everything an admin does today (routing, every
canned reply, moving others' sessions), so they become admins; everyone else is an
agent. The downgrade keeps admins as ``is_admin`` (a supervisor becomes a plain agent:
the old schema has no word for one).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_agents") as table:
        table.add_column(
            sa.Column("role", sa.String(length=12), nullable=False, server_default="agent")
        )
    op.execute("UPDATE handoff_agents SET role = 'admin' WHERE is_admin")
    with op.batch_alter_table("handoff_agents") as table:
        table.drop_column("is_admin")
        table.create_check_constraint("role", "role IN ('agent', 'supervisor', 'admin')")
    op.create_table(
        "handoff_password_links",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "agent_id",
            sa.Integer(),
            sa.ForeignKey("handoff_agents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("handoff_agents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handoff_audit_created", "handoff_audit", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_audit_created", "handoff_audit")
    op.drop_table("handoff_password_links")
    with op.batch_alter_table("handoff_agents") as table:
        table.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE handoff_agents SET is_admin = (role = 'admin')")
    with op.batch_alter_table("handoff_agents") as table:
        table.drop_constraint("role", type_="check")
        table.drop_column("role")
