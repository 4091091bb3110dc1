"""The 1–5 rating after a resolve: what counts as an answer, and recording it once."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from common.messages import OutboundMessage
from common.metrics import CSAT
from events import DESK, EventHub
from handoff import gaps
from handoff.outbox import Outbox
from store import ratings
from store.models import HandoffSession


def rating(text: str) -> int | None:
    """'4', '4分', '★★★★' or '4/5' -> 4; anything else is not a rating."""
    stripped = text.strip()
    for star in "★⭐":
        if 1 <= stripped.count(star) <= 5 and not stripped.replace(star, "").strip():
            return stripped.count(star)
    digits = [c for c in stripped if c.isdigit()]
    short = len(stripped) <= 8 and digits and digits[0] in "12345"
    if short and (len(digits) == 1 or stripped.replace(" ", "").endswith("/5")):
        return int(digits[0])
    return None


class Ratings:
    def __init__(self, database: sessionmaker[Session], hub: EventHub, outbox: Outbox) -> None:
        self.database = database
        self.hub = hub
        self.outbox = outbox

    async def take(
        self, conversation_id: str, session_id: int, text: str
    ) -> list[OutboundMessage] | None:
        """Record *text* as the answer to session *session_id*'s rating question, and thank.

        ``None`` means it was not a rating: the bot answers as usual (and the
        question is dropped, so it never swallows a later message).
        """
        score = rating(text)
        with self.database.begin() as db:
            if not ratings.record_csat(db, session_id, score):
                return None  # settled meanwhile (another delivery of the same answer)
            session = db.get(HandoffSession, session_id)
            language = session.language if session is not None else "en"
            if score is not None and session is not None:  # a low one may be a content gap
                gaps.after_rating(db, session, score, utcnow())
        if score is None:
            return None
        CSAT.labels(str(score)).inc()
        self.hub.publish(DESK, {"type": "queue"})
        return await self.outbox.tell(conversation_id, language, "csat_thanks")
