"""Content gaps: which turns count as one, the Gaps page's groups, and acting on them.

Recorded (docs/desk-api.md, "Content gaps"), always as a pointer to the stored,
redacted user message, with its language, channel and time:

- a turn that ended as a miss, a suggestion (the nearest articles offered), or a
  "did you mean…";
- a handoff because the bot had no answer: the miss that led to it (within the hour)
  becomes an ``escalation``, else the message that asked is recorded as one;
- a rating of 1 or 2 on a conversation where the bot had answered with an article in
  the day before the handoff: the question it answered, as ``low_csat``.

Grouping (:mod:`handoff.gap_clusters`) runs when the page asks, over the period's gaps
that were never dismissed, and the groups are kept (a day) so that acting on a group
acts on what was shown. Each gap's embedding is kept with it, made once, as a rule
ahead of the page by the ``gaps_vectors`` job (every 10 s, which loads the encoder when
gaps wait), so that the page seldom embeds anything. Dismissing a group dismisses
the gaps it held: they never show again, while later messages of the same meaning are
new gaps and group afresh.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from faq_kb.articles import question_key
from handoff import gap_clusters
from handoff.knowledge import Knowledge
from store import NotFound, audit
from store import gaps as store
from store import kb as kb_store
from store.models import Conversation, HandoffSession, Message

SAMPLES = 5  # messages shown per group on the page
DETAIL_LIMIT = 200  # messages listed when a group is opened
KEEP_GROUPS = timedelta(days=1)  # how long a shown group can still be acted on
REUSE_GROUPS = timedelta(hours=1)  # the same gaps asked again: the groups shown before
NEAREST_FOR = 50  # the biggest groups get the nearest draft article suggested
EMBED_BATCH = 64  # gaps embedded at once by the background job
# The job's work per run at most (it runs every 10 s): about 1,000 gaps at 4 ms each,
# so that a backlog drains in minutes while the job never outlasts its lease.
EMBED_SECONDS = 5.0
log = logging.getLogger(__name__)


def _vector_key(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\n{text}".encode(), digest_size=16).hexdigest()


def recorded(outcome: str, no_answer_handoff: bool) -> bool:
    """Whether :func:`after_turn` may record anything for such a turn."""
    return outcome in store.TURN_KINDS or no_answer_handoff


def after_turn(
    db: Session,
    message: Message,
    outcome: str,
    language: str,
    channel: str,
    no_answer_handoff: bool,
    now: datetime,
) -> None:
    """Record the bot turn that answered *message*, if it was a gap."""
    conversation = str(message.conversation_id)
    if outcome in store.TURN_KINDS:
        store.record(db, int(message.id), conversation, outcome, language, channel, now)
    elif no_answer_handoff and not store.escalated(db, conversation, now):
        store.record(db, int(message.id), conversation, "escalation", language, channel, now)


def after_rating(db: Session, session: HandoffSession, score: int, now: datetime) -> None:
    """A rating of 1-2 after the bot had answered: the question it answered is a gap."""
    if score > 2:
        return
    conversation = str(session.conversation_id)
    answered = store.last_answered(db, conversation, session.queued_at)
    if answered is None:
        return
    found = db.get(Conversation, conversation)
    channel = str(found.channel) if found is not None else conversation.partition(":")[0]
    store.record(
        db, int(answered.id), conversation, "low_csat", str(session.language), channel, now
    )


def _sample(gap: store.Gap) -> dict[str, Any]:
    return {
        "id": gap.id,
        "text": gap.text,
        "language": gap.language,
        "channel": gap.channel,
        "kind": gap.kind,
        "conversation_id": gap.conversation_id,
        "created_at": gap.created_at.isoformat(),
        "article_id": gap.article_id,
    }


def _samples(members: list[store.Gap], limit: int) -> list[store.Gap]:
    """Distinct texts, taking each language in turn so that every language shows."""
    by_language: dict[str, list[store.Gap]] = {}
    seen: set[str] = set()
    for gap in members:
        key = " ".join(gap.text.casefold().split())
        if key not in seen:
            seen.add(key)
            by_language.setdefault(gap.language, []).append(gap)
    chosen: list[store.Gap] = []
    queues = list(by_language.values())
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def shape(group: store.GapGroup, members: list[store.Gap], limit: int) -> dict[str, Any]:
    """A group as the page shows it (*members*: its gaps still stored)."""
    times = [g.created_at for g in members]
    return {
        "id": group.id,
        "count": len(members),
        "languages": dict(Counter(g.language for g in members).most_common()),
        "kinds": dict(Counter(g.kind for g in members).most_common()),
        "channels": dict(Counter(g.channel for g in members).most_common()),
        "first_seen": min(times).isoformat() if times else None,
        "last_seen": max(times).isoformat() if times else None,
        "dismissed": group.dismissed_at is not None,
        "samples": [_sample(g) for g in _samples(members, limit)],
    }


class Gaps:
    def __init__(
        self,
        database: sessionmaker[Session],
        knowledge: Knowledge,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.knowledge = knowledge
        self.clock = clock

    def report(self, start: datetime, end: datetime) -> dict[str, Any]:
        """The period's open gaps in groups, the biggest first."""
        now = self.clock()
        with self.database() as db:
            found = store.open_gaps(db, start, end)
        total = len(found)
        found = found[-gap_clusters.MAX_TEXTS :]  # the newest, if a period holds more
        ids = [g.id for g in found]
        key = f"{start.isoformat()}|{end.isoformat()}|{','.join(map(str, ids))}"
        fingerprint = hashlib.sha256(key.encode()).hexdigest()
        by_id = {g.id: g for g in found}
        with self.database() as db:
            groups = store.reusable(db, fingerprint, now - REUSE_GROUPS)
            shown = [shape(g, [by_id[i] for i in g.members if i in by_id], SAMPLES) for g in groups]
        if not groups and found:
            members = self.group(found)  # outside any transaction: it takes seconds
            with self.database.begin() as db:
                store.prune(db, now - KEEP_GROUPS)
                saved = store.save_groups(db, fingerprint, members, now)
                shown = [shape(g, [by_id[i] for i in g.members], SAMPLES) for g in saved]
        shown.sort(key=lambda g: (-g["count"], g["first_seen"] or ""))
        nearest = self._nearest([g["samples"][0]["text"] for g in shown[:NEAREST_FOR]])
        for rank, group in enumerate(shown):  # where a message would go, to start with
            group["nearest_article"] = nearest[rank] if rank < len(nearest) else None
        return {"total": total, "grouped": len(found), "groups": shown}

    def group(self, found: list[store.Gap]) -> list[list[int]]:
        """Gap ids per group, the biggest group first (ties: the earliest first)."""
        labels = gap_clusters.cluster([g.text for g in found], self.vectors(found))
        members: dict[int, list[int]] = {}
        for gap, label in zip(found, labels, strict=True):
            members.setdefault(label, []).append(gap.id)
        return sorted(members.values(), key=lambda ids: (-len(ids), ids[0]))

    def _nearest(self, questions: list[str]) -> list[str | None]:
        try:
            return self.knowledge.nearest(questions)
        except Exception:  # a suggestion only: the page works without it
            log.exception("gaps: no nearest articles")
            return []

    def embed_pending(self, limit: int = EMBED_BATCH, budget: float = EMBED_SECONDS) -> int:
        """Embed the newest gaps that have no vector yet, a batch at a time for up to
        *budget* seconds (the ``gaps_vectors`` job), so that the page finds every vector
        made: grouping 10,000 embedded gaps takes seconds, embedding them a minute.
        The encoder is loaded here when gaps wait: a desk that records gaps needs it
        for the Gaps page anyway, and loading it only for the page let a backlog pile
        up wherever that page was seldom opened."""
        started = time.monotonic()
        done = 0
        while time.monotonic() - started < budget:
            with self.database() as db:
                pending = store.unembedded(db, limit)
            if not pending:
                break
            self.vectors(pending)
            done += len(pending)
        return done

    def vectors(self, found: list[store.Gap]) -> np.ndarray:
        """The gaps' embeddings: those stored for the same model and text, the rest
        made now (only these cost the encoder) and stored for the next time."""
        embedder = self.knowledge.publisher.embedder()
        size = embedder.dimension * 4
        out = np.zeros((len(found), embedder.dimension), dtype=np.float32)
        keys = [_vector_key(embedder.name, g.text) for g in found]
        missing = []
        for row, (gap, key) in enumerate(zip(found, keys, strict=True)):
            if gap.vector is not None and gap.vector_key == key and len(gap.vector) == size:
                out[row] = np.frombuffer(gap.vector, dtype=np.float32)
            else:
                missing.append(row)
        if missing:
            out[missing] = embedder.encode([found[row].text for row in missing])
            made = {found[r].id: (out[r].tobytes(), keys[r]) for r in missing}
            with self.database.begin() as db:
                store.save_vectors(db, made)
        return out

    def detail(self, group_id: int) -> dict[str, Any]:
        with self.database() as db:
            group = store.get_group(db, group_id)
            members = store.gaps(db, list(group.members))
            return shape(group, members, DETAIL_LIMIT)

    def dismiss(self, group_id: int, by: str, actor_id: int) -> dict[str, Any]:
        with self.database.begin() as db:
            group = store.get_group(db, group_id)
            done = {"id": group_id, "dismissed": store.dismiss(db, group, by, self.clock())}
            audit.record(db, actor_id, "gaps.dismiss", done)
        return done

    def add_example(self, group_id: int, gap_id: int, article_id: str, by: str) -> dict[str, Any]:
        """The gap's message becomes an example question of the article, in the gap's
        language: a draft change, validated as a save is (ArticleError: 422), live
        at the next Publish."""
        with self.database.begin() as db:
            group = store.get_group(db, group_id)
            found = store.gaps(db, [gap_id]) if gap_id in group.members else []
            if not found:
                raise NotFound(f"gap {gap_id} is not in group {group_id}")
            gap = found[0]
            article = kb_store.get_article(db, article_id)
            record = copy.deepcopy(kb_store.record(article))
            texts = record["texts"].setdefault(gap.language, {})
            questions = list(texts.get("questions") or [])
            if question_key(gap.text) not in {question_key(q) for q in questions}:
                questions.append(gap.text.strip())
            texts["questions"] = questions
            clean = self.knowledge.checked(db, record)
            saved = kb_store.update_article(db, clean, int(article.version), by)
            store.mark_added(db, gap_id, article_id)
            return {**kb_store.record(saved), "version": saved.version, "language": gap.language}
