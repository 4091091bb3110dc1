"""A bot turn's replies stored in one statement on PostgreSQL (``Outbox.deliver``).

The transaction that stores a turn's replies was seven round trips on PostgreSQL
(``BEGIN``, the conversation's check, each reply, each of its events, the outcome,
the end of the turn, ``COMMIT``), each waiting for its backend. Here it is one
statement, run on its own (autocommit), so one round trip, and as atomic and as
durable as the transaction was: a ``WITH`` chain whose inserts and update all
depend on the conversation being there (else nothing is written, and the caller is
told). Console and page events are built in Python before their message has an id:
they carry :data:`MESSAGE_ID` (and :data:`SESSION_ID`) where the id goes, and the
statement writes the real ones in (``jsonb_set``); :func:`filled` does the same for
the copies published after the commit.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from store.models import OPEN_STATES

# Stand-ins, in an event written with the statement, for what it only learns there.
MESSAGE_ID = -7_301_000_001
SESSION_ID = -7_301_000_002


@dataclass(frozen=True)
class Reply:
    """One reply's row, and its events (``None``: none) with the stand-ins in them."""

    text: str
    buttons: list[dict[str, str]] | None
    delivery: str | None
    handler: str | None
    created_at: datetime
    desk: dict[str, Any] | None  # shown on the console of an unresolved session, if any
    live: tuple[str, dict[str, Any]] | None  # (topic, event): the push to the user's page


@dataclass(frozen=True)
class Written:
    active: int | None  # the conversation's unresolved session
    message_ids: list[int]  # in the order of the replies
    events: list[tuple[int, str, dict[str, Any]]]  # (id, topic, event), ids written in


def path_to(event: dict[str, Any], marker: int) -> list[str] | None:
    """Where *marker* is in *event* (keys from the top), if it is there once."""
    found: list[list[str]] = []

    def walk(node: Any, at: list[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*at, str(key)])
        elif node == marker and not isinstance(node, bool):
            found.append(at)

    walk(event, [])
    return found[0] if len(found) == 1 else None


def filled(event: dict[str, Any], values: dict[int, int | None]) -> dict[str, Any]:
    """*event* with each stand-in replaced by its value."""
    event = copy.deepcopy(event)
    for marker, value in values.items():
        path = path_to(event, marker)
        if path is not None:
            node = event
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
    return event


_STATEMENTS: dict[int, Any] = {}


def _statement(count: int) -> Any:
    """The statement for *count* replies, built once per count."""
    if count not in _STATEMENTS:
        rows = ", ".join(
            f"({i}, :text{i}, CAST(:buttons{i} AS json), :delivery{i}, :handler{i}, "
            f"CAST(:created{i} AS timestamptz), CAST(:desk{i} AS jsonb), "
            f"CAST(:dpath{i} AS text[]), CAST(:dsession{i} AS text[]), :topic{i}, "
            f"CAST(:live{i} AS jsonb), CAST(:lpath{i} AS text[]))"
            for i in range(count)
        )
        states = ", ".join(f"'{state}'" for state in (*OPEN_STATES, "assigned"))
        _STATEMENTS[count] = text(
            f"""
WITH a AS (
  SELECT c.id AS conversation_id, (
    SELECT s.id FROM handoff_sessions s
    WHERE s.conversation_id = c.id AND s.state IN ({states}) LIMIT 1
  ) AS active
  FROM handoff_conversations c WHERE c.id = :conversation_id
),
v (ord, text, buttons, delivery, handler, created_at, desk, dpath, dsession, topic, live,
   lpath) AS (VALUES {rows}),
m AS (
  INSERT INTO handoff_messages (conversation_id, author, kind, text, buttons, attachment,
    delivery, delivery_error, agent_id, created_at, pending, handler, attempts, retry_at,
    reply_to)
  SELECT a.conversation_id, :author, 'message', v.text, v.buttons, NULL, v.delivery, NULL,
    NULL, v.created_at, false, v.handler, 0, NULL, :reply_to
  FROM v CROSS JOIN a ORDER BY v.ord
  RETURNING id
),
n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS ord FROM m),
x AS (
  SELECT n.ord, 1 AS k, CAST(:desk_topic AS text) AS topic,
    jsonb_set(jsonb_set(v.desk, v.dpath, to_jsonb(n.id)), v.dsession, to_jsonb(a.active)) AS body
  FROM n JOIN v ON v.ord = n.ord CROSS JOIN a
  WHERE v.desk IS NOT NULL AND a.active IS NOT NULL
  UNION ALL
  SELECT n.ord, 2, v.topic, jsonb_set(v.live, v.lpath, to_jsonb(n.id))
  FROM n JOIN v ON v.ord = n.ord WHERE v.live IS NOT NULL
),
e AS (
  INSERT INTO handoff_event_outbox (topic, event, holder, created_at, sent_at)
  SELECT x.topic, CAST(x.body AS json), :holder, :now, NULL FROM x ORDER BY x.ord, x.k
  RETURNING id
),
o AS (
  INSERT INTO handoff_turn_outcomes (conversation_id, outcome, created_at)
  SELECT a.conversation_id, :outcome, :outcome_at FROM a
  WHERE CAST(:outcome AS text) IS NOT NULL
),
f AS (
  UPDATE handoff_messages SET pending = false
  WHERE id = :finish AND pending AND EXISTS (SELECT 1 FROM a)
)
SELECT (SELECT count(*) FROM a), (SELECT active FROM a),
  ARRAY(SELECT id FROM m ORDER BY id), ARRAY(SELECT id FROM e ORDER BY id)
"""
        )
    return _STATEMENTS[count]


def store_at_once(
    connection: Connection,
    conversation_id: str,
    author: str,
    replies: list[Reply],
    holder: str,
    now: datetime,
    desk_topic: str,
    reply_to: int | None = None,
    outcome: tuple[str, datetime] | None = None,
    finish: int | None = None,
) -> Written | None:
    """Store *replies* (at least one), their events, the turn's *outcome* and the end of
    turn *finish*, in one statement on an autocommit *connection*. None, with nothing
    written, when the conversation is not there."""
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "author": author,
        "holder": holder,
        "now": now,
        "reply_to": reply_to,
        "outcome": outcome[0] if outcome is not None else None,
        "outcome_at": outcome[1] if outcome is not None else None,
        "finish": finish,
        "desk_topic": desk_topic,
    }
    for i, reply in enumerate(replies):
        desk, live = reply.desk, reply.live[1] if reply.live else None
        values |= {
            f"text{i}": reply.text,
            f"buttons{i}": json.dumps(reply.buttons) if reply.buttons else None,
            f"delivery{i}": reply.delivery,
            f"handler{i}": reply.handler,
            f"created{i}": reply.created_at,
            f"desk{i}": json.dumps(desk) if desk else None,
            f"dpath{i}": path_to(desk, MESSAGE_ID) if desk else None,
            f"dsession{i}": path_to(desk, SESSION_ID) if desk else None,
            f"topic{i}": reply.live[0] if reply.live else None,
            f"live{i}": json.dumps(live) if live else None,
            f"lpath{i}": path_to(live, MESSAGE_ID) if live else None,
        }
    found, active, message_ids, event_ids = connection.execute(
        _statement(len(replies)), values
    ).one()
    if not found:
        return None
    events: list[tuple[str, dict[str, Any]]] = []
    for reply, message_id in zip(replies, message_ids, strict=True):
        if reply.desk is not None and active is not None:
            events.append(
                (desk_topic, filled(reply.desk, {MESSAGE_ID: message_id, SESSION_ID: active}))
            )
        if reply.live is not None:
            events.append((reply.live[0], filled(reply.live[1], {MESSAGE_ID: message_id})))
    written = [(int(i), topic, event) for i, (topic, event) in zip(event_ids, events, strict=True)]
    return Written(active, [int(i) for i in message_ids], written)
