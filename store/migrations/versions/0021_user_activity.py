"""analytics roll-up: user messages per conversation and quarter-hour, kept by a trigger

Revision ID: 0021
Revises: 0017

The Analytics page's active conversations and busiest hours read this table instead of
every user message of the period (store/activity.py). A trigger on ``handoff_messages``
adds each user message to its row, in the transaction that stores the message, however
it is stored (the desk, a test's ``db.add``, a bulk load). Deleting a conversation
deletes its rows (``store.privacy.erase`` explicitly, ``ON DELETE CASCADE`` otherwise).

The backfill runs after the trigger exists: creating the trigger takes a lock that
waits for transactions inserting messages and holds off new ones until this migration
commits, so every message is counted once, by the backfill or by the trigger.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

SLOT = 900  # seconds: every time zone in use today is a whole number of quarter-hours

POSTGRES_FUNCTION = f"""
CREATE FUNCTION handoff_user_activity_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO handoff_user_activity (conversation_id, slot, first_at, messages)
    VALUES (NEW.conversation_id, floor(extract(epoch FROM NEW.created_at) / {SLOT})::bigint,
            NEW.created_at, 1)
    ON CONFLICT (slot, conversation_id) DO UPDATE
    SET first_at = least(handoff_user_activity.first_at, EXCLUDED.first_at),
        messages = handoff_user_activity.messages + 1;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER handoff_user_activity_add AFTER INSERT ON handoff_messages
FOR EACH ROW WHEN (NEW.author = 'user') EXECUTE FUNCTION handoff_user_activity_add()
"""
# SQLite keeps timestamps as text of one fixed format: min() of the text is the earliest.
SQLITE_TRIGGER = f"""
CREATE TRIGGER handoff_user_activity_add AFTER INSERT ON handoff_messages
WHEN NEW.author = 'user' BEGIN
    INSERT INTO handoff_user_activity (conversation_id, slot, first_at, messages)
    VALUES (NEW.conversation_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / {SLOT},
            NEW.created_at, 1)
    ON CONFLICT (slot, conversation_id) DO UPDATE
    SET first_at = min(first_at, excluded.first_at), messages = messages + 1;
END
"""
SLOT_OF = {
    "postgresql": f"floor(extract(epoch FROM created_at) / {SLOT})::bigint",
    "sqlite": f"CAST(strftime('%s', created_at) AS INTEGER) / {SLOT}",
}
BACKFILL = """
INSERT INTO handoff_user_activity (conversation_id, slot, first_at, messages)
SELECT conversation_id, {slot}, min(created_at), count(*)
FROM handoff_messages WHERE author = 'user'
GROUP BY conversation_id, {slot}
"""


def upgrade() -> None:
    op.create_table(
        "handoff_user_activity",
        sa.Column(
            "conversation_id",
            sa.String(200),
            sa.ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slot", sa.BigInteger(), nullable=False),  # seconds since 1970 // SLOT
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slot", "conversation_id"),
    )
    op.create_index(
        "ix_handoff_user_activity_conversation", "handoff_user_activity", ["conversation_id"]
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)
    op.execute(BACKFILL.format(slot=SLOT_OF[dialect]))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS handoff_user_activity_add ON handoff_messages")
        op.execute("DROP FUNCTION IF EXISTS handoff_user_activity_add()")
    else:
        op.execute("DROP TRIGGER IF EXISTS handoff_user_activity_add")
    op.drop_table("handoff_user_activity")
