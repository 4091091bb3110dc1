"""The human desk: handoff sessions from the bot's payload to the agent's resolve.

:mod:`store.handoffs` changes rows atomically; the desk adds what users and agents see because
of it: the queue position or ticket number, "an agent has joined", agent replies checked by the
guard and delivered, the rating question after a resolve, pushes to consoles, and the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common import texts
from common.clock import utcnow
from common.messages import OutboundMessage
from common.metrics import CLAIM_SECONDS, HANDOFFS
from common.payload import HandoffPayload
from common.settings import DeskSettings, ServiceSettings, kb_settings
from events import DESK, EventHub
from guard import Guard
from handoff import views
from handoff.errors import Blocked, Forbidden, Unavailable
from handoff.hours import within_agent_hours
from handoff.official import OfficialText
from handoff.outbox import Outbox
from store import Conflict, NotFound, agents, handoffs, messages, positions, ratings
from store.models import Agent, Audit, HandoffSession

log = logging.getLogger(__name__)
Also = Callable[[Session, HandoffSession], None] | None  # more to record with a resolve

__all__ = ["Blocked", "Desk", "Forbidden", "Unavailable"]


class Desk:
    def __init__(
        self,
        database: sessionmaker[Session],
        hub: EventHub,
        outbox: Outbox,
        settings: DeskSettings,
        service: ServiceSettings,
        guard: Guard,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.hub = hub
        self.outbox = outbox
        self.settings = settings
        self.service = service
        self.guard = guard
        self.clock = clock
        # Routing's pass (handoff.routing.AutoAssign), set by the assembly; None while off.
        self.auto_assign: Callable[[], Awaitable[dict[int, list[OutboundMessage]] | None]] | None
        self.auto_assign = None
        self.official = OfficialText(kb_settings().articles_dir, service)  # sent as written

    def check_reply(self, text: str) -> str | None:
        """Why the guard refuses an agent's *text* (official answers quoted pass)."""
        return self.guard.check_agent(self.official.strip(text))

    def online_since(self, now: datetime) -> datetime:  # console seen since: online
        return now - timedelta(seconds=self.settings.presence_timeout_seconds)

    def agents_available(self, db: Session, now: datetime) -> bool:
        if not within_agent_hours(self.settings, now):
            return False
        return agents.agents_online(db, self.online_since(now)) > 0

    def summary(self, db: Session, session: HandoffSession) -> dict[str, Any]:
        now = self.clock()
        return views.summary(db, session, now, self.online_since(now))

    def agent_view(self, agent: Agent) -> dict[str, Any]:
        view = views.agent_json(agent, self.online_since(self.clock()))  # as others see them
        assert view is not None
        return view

    async def open(
        self, payload: HandoffPayload, channel: str, ticket: bool = False, notify: bool = True
    ) -> tuple[HandoffSession, list[OutboundMessage]]:
        """Queue the handoff and tell the user what happens next (unless not *notify*);
        *ticket* makes it a ticket whoever is online (an email)."""
        now = self.clock()
        with self.database.begin() as db:
            kind = "chat" if not ticket and self.agents_available(db, now) else "ticket"
            session, created = handoffs.open_session(db, payload, channel, now=now, kind=kind)
            place = handoffs.position(db, session) if session.kind == "chat" else 0
            if created and session.kind == "chat":
                positions.told(db, session.id, place, now)
        told: list[OutboundMessage] = []
        if created:
            HANDOFFS.labels(payload.reason, session.kind).inc()
        if created and notify:
            chat = session.kind == "chat"
            told = await (self.route(session, place) if chat else self.ticket_notice(session))
        elif notify and session.payload_key != handoffs.payload_key(payload):
            told = await self.outbox.tell(
                payload.conversation_id, session.language, "already_open", ticket=session.ticket
            )
        self.hub.publish(DESK, {"type": "queue"})
        return session, told

    async def route(self, session: HandoffSession, place: int) -> list[OutboundMessage]:
        """A new chat: "Dana has joined" if routing gave it to someone, else its place."""
        routed = await self.routed()
        if routed is not None and session.id in routed:
            return routed[session.id]
        if routed is not None:  # others may have left the queue in the pass
            with self.database() as db:
                place = handoffs.position(db, session)
        return await self.outbox.tell(
            session.conversation_id, session.language, "queued", position=place
        )

    async def routed(self) -> dict[int, list[OutboundMessage]] | None:
        """Auto-assignment's pass, if set up; a failed pass leaves chats in the queue
        (the periodic pass tries again) rather than failing the handoff or resolve."""
        if self.auto_assign is None:
            return None
        try:
            return await self.auto_assign()
        except Exception:
            log.exception("auto-assignment failed; the chats wait in the queue")
            return None

    async def ticket_notice(self, session: HandoffSession) -> list[OutboundMessage]:
        return await self.outbox.tell(
            session.conversation_id,
            session.language,
            "email_ticket" if self.outbox.tickets_only(session.conversation_id) else "ticket",
            ticket=session.ticket,
            sla_hours=session.sla_hours or self.service.ticket_sla_hours,
            hours=self.settings.agent_hours,
            timezone=self.settings.timezone,
        )

    async def claim(self, agent: Agent, session_id: int) -> HandoffSession:
        now = self.clock()
        with self.database.begin() as db:
            session = handoffs.claim(db, session_id, agent.id, now=now)
        waited_since = session.reopened_at or session.queued_at
        if waited_since:
            CLAIM_SECONDS.observe(max(0.0, (now - waited_since).total_seconds()))
        if not self.outbox.tickets_only(session.conversation_id):  # an email: noise
            await self.outbox.tell(
                session.conversation_id, session.language, "joined", agent=agent.display_name
            )
        self.hub.publish(DESK, {"type": "queue"})
        await self.tell_positions()
        return session

    async def tell_positions(self) -> None:
        """Tell waiting users who moved up in the queue their new place."""
        now = self.clock()
        quiet = timedelta(seconds=self.settings.position_quiet_seconds)
        with self.database.begin() as db:
            moved = [
                (s.conversation_id, s.language, place)
                for s, place in positions.moved_up(db, now, quiet)
            ]
        for conversation, language, place in moved:
            await self.outbox.tell(conversation, language, "moved_up", position=place)

    async def transfer(
        self, agent: Agent, session_id: int, to_agent: int, away_ok: bool = False
    ) -> HandoffSession:
        """Give the session to *to_agent*. A disabled one is refused (422); one who is
        away or offline (nobody would read the chat) only with *away_ok* (409 otherwise)."""
        now = self.clock()
        with self.database.begin() as db:
            target = db.get(Agent, to_agent)
            if target is None:
                raise NotFound(f"no agent {to_agent}")
            if not target.active:
                raise Unavailable(f"{target.display_name} is disabled: choose another agent")
            shown = agents.shown_presence(target, self.online_since(now))
            if shown != "online" and not away_ok:
                raise Conflict(
                    f"{target.display_name} is {shown} and would not see the chat: choose an "
                    'online agent, or confirm the transfer ("away_ok": true)'
                )
            session = handoffs.transfer(db, session_id, agent.id, to_agent)
            note = f"Transferred from {agent.display_name} to {target.display_name}"
            if shown != "online":
                note += f" ({shown})"
            message = messages.add_message(
                db, session.conversation_id, "system", note, kind="note", agent_id=agent.id
            )
            event = views.message_event(db, message, session.id)
            recorded = [self.outbox.relay.record(db, DESK, event)] if event else []
            name = target.display_name
        self.hub.publish(DESK, {"type": "queue"})
        self.outbox.relay.publish(recorded)
        await self.outbox.tell(session.conversation_id, session.language, "transferred", agent=name)
        return session

    def _own(self, db: Session, agent: Agent, session_id: int) -> HandoffSession:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise NotFound(f"no handoff session {session_id}")
        if session.state != "assigned":
            raise Conflict(f"session {session_id} is {session.state}: claim it first")
        if session.agent_id != agent.id:
            raise Forbidden(f"session {session_id} is assigned to another agent")
        return session

    async def reply(
        self, agent: Agent, session_id: int, text: str, client_id: str | None = None
    ) -> OutboundMessage:
        with self.database.begin() as db:
            session = self._own(db, agent, session_id)
            conversation_id = session.conversation_id
        violation = self.check_reply(text)
        if violation is not None:
            # A compromised or fake agent account must not reach the user; record who tried.
            detail = f"blocked: {violation}; text: {self.guard.scrub(text)[:500]}"
            with self.database.begin() as db:
                db.add(
                    Audit(
                        agent_id=agent.id,
                        session_id=session_id,
                        action="reply_blocked",
                        detail=detail,
                    )
                )
            log.warning(
                "agent %s: reply on session %s blocked: %s", agent.id, session_id, violation
            )
            raise Blocked(f"not sent: {violation}")  # the reason says what support never does
        stored = await self.outbox.deliver(
            conversation_id,
            [OutboundMessage(text=self.guard.scrub(text))],
            author="agent",
            agent_id=agent.id,
            dedup_key=f"{agent.id}:{client_id}" if client_id else None,
        )
        return stored[0]

    def note(self, agent: Agent, session_id: int, text: str) -> dict[str, Any]:
        with self.database.begin() as db:
            session = db.get(HandoffSession, session_id)
            if session is None:
                raise NotFound(f"no handoff session {session_id}")
            message = messages.add_message(
                db,
                session.conversation_id,
                "agent",
                self.guard.scrub(text),  # an agent may paste what the user sent
                kind="note",
                agent_id=agent.id,
            )
            event = views.message_event(db, message, session_id)
            assert event is not None
            recorded = self.outbox.relay.record(db, DESK, event)
        self.outbox.relay.publish([recorded])
        return dict(event["message"])

    async def resolve(self, agent: Agent, session_id: int, also: Also = None) -> HandoffSession:
        now = self.clock()
        with self.database.begin() as db:
            session = handoffs.resolve(db, session_id, agent.id, now=now)
            ratings.ask_csat(db, session.id, now)
            if also is not None:
                also(db, session)
        await self.outbox.tell(session.conversation_id, session.language, "resolved")
        await self.outbox.deliver(
            session.conversation_id,
            [
                OutboundMessage(
                    text=texts.text(session.language, "csat"),
                    buttons=tuple((b["title"], b["payload"]) for b in texts.CSAT_BUTTONS),
                )
            ],
            author="system",
        )
        self.hub.publish(DESK, {"type": "queue"})
        await self.routed()  # a slot is free: a waiting chat may take it
        return session

    async def reopen(self, agent: Agent, session_id: int) -> HandoffSession:
        with self.database.begin() as db:
            session = handoffs.reopen(db, session_id, now=self.clock())
            # The rating question is about a resolve that no longer stands.
            ratings.record_csat(db, session.id, None)
            messages.add_message(
                db,
                session.conversation_id,
                "system",
                f"Reopened by {agent.display_name}",
                kind="note",
                agent_id=agent.id,
            )
        self.hub.publish(DESK, {"type": "queue"})
        await self.outbox.tell(session.conversation_id, session.language, "reopened")
        return session
