"""The desk: what happens around a handoff session, beyond the store.

:mod:`handoff.queue` changes rows atomically; the desk adds what users and agents
see because of it: the queue position or ticket number, "an agent has joined",
agent replies delivered through the user's connector, the rating question after a
resolve, pushes to consoles, and the metrics.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session, sessionmaker

from common.metrics import CLAIM_SECONDS, CSAT, HANDOFFS, MESSAGES, RETRIES, SLA_BREACHES
from common.settings import DeskSettings, ServiceSettings
from connectors._base import Connector, DeliveryFailed, Undeliverable
from connectors._message import OutboundMessage
from guard import Guard
from handoff import jobs, queue, texts
from handoff.events import DESK, EventHub
from handoff.hours import within_agent_hours
from handoff.models import Agent, Audit, Conversation, HandoffSession, Message, utcnow
from handoff.payload import HandoffPayload

log = logging.getLogger(__name__)


_TRANSFER_TALK = re.compile(
    r"hash|txid|哈希|交易|转账|到账|transfer|transacci[oó]n|transferencia|network|网络|\bred\b",
    re.IGNORECASE,
)


class Forbidden(PermissionError):
    """The agent may not do this to this session (HTTP 403)."""


class Blocked(ValueError):
    """The guard stopped an agent's message (HTTP 422); the attempt is audited."""


@dataclass(frozen=True)
class Inbound:
    """A stored user message and who answers it."""

    message: Message
    held: int | None  # the session whose agent it is for: the bot stays silent
    rating_open: int | None  # the resolved session still waiting for a 1-5 rating
    undelivered: bool = False  # replies kept because the user couldn't be reached
    duplicate: bool = False  # the client sent it before: *message* is the first copy


@dataclass(frozen=True)
class _Situation:
    inbound: Inbound
    held_or_active: int | None  # the unresolved session whose console shows the message


def _outbound(m: Message) -> OutboundMessage:
    """A stored reply as the connectors take it."""
    return OutboundMessage(
        text=m.text,
        buttons=tuple((b["title"], b["payload"]) for b in m.buttons or []),
        id=m.id,
        author=m.author,
        created_at=m.created_at,
    )


def _conversation_of(db: Session, message_id: int) -> str | None:
    message = db.get(Message, message_id)
    return str(message.conversation_id) if message is not None else None


def user_of(conversation_id: str) -> tuple[str, str]:
    """``"webchat:abc"`` -> ``("webchat", "abc")``: the channel and its user id."""
    channel, _, user_id = conversation_id.partition(":")
    return channel, user_id


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=utcnow().tzinfo)


def agent_json(agent: Agent | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    return {
        "id": agent.id,
        "email": agent.email,
        "display_name": agent.display_name,
        "presence": agent.presence,
    }


def _iso(moment: datetime | None) -> str | None:
    moment = aware(moment)
    return moment.isoformat() if moment else None


class Desk:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        connectors: dict[str, Connector],
        hub: EventHub,
        settings: DeskSettings,
        service: ServiceSettings,
        clock: Callable[[], datetime] = utcnow,
        guard: Guard | None = None,
    ) -> None:
        self.sessions = sessions
        self.connectors = connectors
        self.hub = hub
        self.settings = settings
        self.service = service
        self.clock = clock
        self.guard = guard or Guard(trusted_domains(service))
        self.holder = jobs.HOLDER  # this process, for the turns it handles (Message.handler)

    # --- messages ---------------------------------------------------------------

    def store_user_message(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        text: str,
        attachment: dict[str, str] | None = None,
        guarded: bool = False,
        dedup_key: str | None = None,
        pending: bool = False,
    ) -> Inbound:
        """Persist what the user wrote, and say who should answer it (one transaction).

        The router passes text the guard has already seen (*guarded*); anything else
        is scrubbed here, so no path stores a secret. With *dedup_key* (a client's
        message id) a second delivery, from any process, stores nothing and gets the
        first copy back. *pending* marks a turn that :meth:`finish` closes.
        """
        text = text if guarded else self.guard.scrub(text)
        now = self.clock()
        with self.sessions.begin() as db:
            queue.ensure_conversation(db, conversation_id, channel, language)
            if dedup_key is not None and not queue.first_delivery(db, channel, dedup_key):
                # Delivered before: nothing is stored, the first copy is the answer
                # (none for a delivery that stored no message, such as a group post).
                first = queue.delivered_message(db, channel, dedup_key)
                if first is None:
                    first = Message(conversation_id=conversation_id, author="user", text="")
                return Inbound(first, None, None, duplicate=True)
            message = queue.add_message(
                db,
                conversation_id,
                "user",
                text,
                attachment=attachment,
                pending=pending,
                handler=self.holder,
            )
            if dedup_key is not None:
                queue.link_delivery(db, channel, dedup_key, message.id)
            conversation = db.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.last_inbound_at, conversation.sent_since_inbound = now, 0
            waiting = queue.has_undelivered(db, conversation_id)
            inbound = self._situation(db, message, now, waiting)
            event = self._message_event(db, message, inbound.held_or_active)
        MESSAGES.labels(channel, "in").inc()
        if event:
            self.hub.publish(DESK, event)
        return inbound.inbound

    def _situation(self, db: Session, message: Message, now: datetime, waiting: bool) -> _Situation:
        # One lookup: an unresolved session is always the conversation's latest.
        latest = queue.latest_session(db, message.conversation_id)
        active = latest if latest is not None and latest.state != "resolved" else None
        held = None
        if active is not None and (active.kind == "chat" or active.state == "assigned"):
            held = int(active.id)
        rating_open = None
        since = now - timedelta(minutes=self.settings.csat_minutes)
        if active is None and latest is not None and queue.rating_pending(latest, since):
            rating_open = int(latest.id)
        inbound = Inbound(message, held, rating_open, waiting)
        return _Situation(inbound, int(active.id) if active is not None else None)

    def language_of(self, conversation_id: str) -> str | None:
        with self.sessions() as db:
            conversation = db.get(Conversation, conversation_id)
            return str(conversation.language) if conversation and conversation.language else None

    def finish(self, message_id: int) -> None:
        """The turn for this user message is done (see ``Message.pending``)."""
        with self.sessions.begin() as db:
            queue.finish_turn(db, message_id)

    def abandon(self, message_id: int) -> None:
        """This process failed the turn: any process's recovery job may take it now."""
        with self.sessions.begin() as db:
            queue.abandon_turn(db, message_id)

    def take_stale_turns(self) -> list[Inbound]:
        """Take over turns a dead process left unfinished; each is taken by one process.

        They stay pending, now under this process, until :meth:`finish`.
        """
        taken = []
        with self.sessions.begin() as db:
            for message in queue.stale_turns(db, self.clock()):
                if queue.take_over_turn(db, message, self.holder):
                    taken.append(self._situation(db, message, self.clock(), False).inbound)
        return taken

    async def deliver(
        self,
        conversation_id: str,
        replies: list[OutboundMessage],
        author: str = "bot",
        agent_id: int | None = None,
        dedup_key: str | None = None,
    ) -> list[OutboundMessage]:
        """Store *replies*, then send them through the conversation's connector.

        Stored first: if the connector fails, the message is still in the history
        the user's client fetches when it reconnects. With *dedup_key* (an agent
        console's id for a reply) a retry, through any gateway, sends nothing again
        and returns the first copy.
        """
        stored: list[OutboundMessage] = []
        events = []
        with self.sessions.begin() as db:
            if dedup_key is not None and not queue.first_delivery(db, author, dedup_key):
                first = queue.delivered_message(db, author, dedup_key)
                return [_outbound(first)] if first is not None else []
            active = queue.active_session_id(db, conversation_id)
            for reply in replies:
                if not (reply.text or reply.image):
                    continue
                buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
                message = queue.add_message(
                    db, conversation_id, author, reply.text, agent_id=agent_id, buttons=buttons
                )
                stored.append(
                    replace(reply, id=message.id, author=author, created_at=message.created_at)
                )
                event = self._message_event(db, message, active)
                if event:
                    events.append(event)
            if dedup_key is not None and stored and stored[0].id is not None:
                queue.link_delivery(db, author, dedup_key, stored[0].id)
        for event in events:
            self.hub.publish(DESK, event)
        for reply in stored:
            await self._send(conversation_id, reply)
        return stored

    async def _send(self, conversation_id: str, reply: OutboundMessage) -> bool:
        """Send one stored reply; a failure is recorded on the message, never dropped."""
        channel, user_id = user_of(conversation_id)
        connector = self.connectors.get(channel)
        try:
            if connector is None:
                raise DeliveryFailed(f"no connector for channel {channel!r} is configured")
            await connector.send(user_id, reply)
        except Undeliverable as exc:
            self._delivery(conversation_id, reply, "undelivered", str(exc))
            return False
        except Exception as exc:
            log.warning("delivery of message %s on %s failed: %r", reply.id, channel, exc)
            self._delivery(conversation_id, reply, "failed", str(exc) or type(exc).__name__)
            return False
        MESSAGES.labels(channel, "out").inc()
        return True

    def _delivery(
        self, conversation_id: str, reply: OutboundMessage, status: str | None, error: str = ""
    ) -> None:
        if reply.id is None:
            return
        with self.sessions.begin() as db:
            queue.mark_delivery(db, reply.id, status, error)
            message = db.get(Message, reply.id)
            active = queue.active_session_id(db, conversation_id)
            event = self._message_event(db, message, active) if message is not None else None
        if event:
            self.hub.publish(DESK, {**event, "type": "delivery"})

    async def redeliver(self, conversation_id: str) -> None:
        """The user wrote again: send what was kept because they couldn't be reached."""
        with self.sessions() as db:
            kept = [m.id for m in queue.undelivered(db, conversation_id)]
        await self._resend(conversation_id, kept, "undelivered")

    async def retry_failed(self) -> int:
        """A job: send again what a platform refused with a transient error (last 24 h)."""
        since = self.clock() - timedelta(hours=24)
        with self.sessions() as db:
            failed = [
                (m, c)
                for m in queue.failed_deliveries(db, since, self.settings.delivery_retries)
                if (c := _conversation_of(db, m)) is not None
            ]
        sent = 0
        for message_id, conversation_id in failed:
            sent += await self._resend(conversation_id, [message_id], "failed")
        return sent

    async def _resend(self, conversation_id: str, ids: list[int], status: str) -> int:
        sent = 0
        for message_id in ids:
            with self.sessions.begin() as db:
                if not queue.claim_resend(db, message_id, status):
                    continue  # another process is sending it
                m = db.get(Message, message_id)
                if m is None:
                    continue
                reply = _outbound(m)
            RETRIES.labels(f"delivery_{status}").inc()
            if await self._send(conversation_id, reply):
                self._delivery(conversation_id, reply, None)
                sent += 1
        return sent

    async def remind(self) -> int:
        """A job: tell the consoles, once, about tickets due within ``reminder_hours``."""
        now = self.clock()
        before = now + timedelta(hours=self.settings.reminder_hours)
        with self.sessions.begin() as db:
            summaries = [self.summary(db, s) for s in queue.due_soon(db, before, now)]
        for summary in summaries:
            self.hub.publish(DESK, {"type": "reminder", "session": summary})
        return len(summaries)

    def _message_event(
        self, db: Session, message: Message, session_id: int | None
    ) -> dict[str, Any] | None:
        """The console event for *message*, if an unresolved session shows it."""
        if session_id is None:
            return None
        return {
            "type": "message",
            "session_id": session_id,
            "conversation_id": message.conversation_id,
            "message": self.desk_message(db, message),
        }

    @staticmethod
    def desk_message(db: Session, message: Message) -> dict[str, Any]:
        agent = db.get(Agent, message.agent_id) if message.agent_id else None
        return {
            "id": message.id,
            "author": message.author,
            "kind": message.kind,
            "text": message.text,
            "buttons": message.buttons or [],
            "attachment": message.attachment,
            "delivery": message.delivery,
            "delivery_error": message.delivery_error,
            "agent": agent_json(agent),
            "created_at": _iso(message.created_at),
        }

    async def _tell(
        self, conversation_id: str, language: str, key: texts.Key, **values: Any
    ) -> list[OutboundMessage]:
        return await self.deliver(
            conversation_id, [OutboundMessage(text=texts.text(language, key, **values))], "system"
        )

    # --- the guard's consequences ------------------------------------------------

    def asked_for_hash(self, conversation_id: str) -> bool:
        """Whether the conversation is about a transfer just now (the bot's last message
        asked for a hash, or about the transfer): a bare 64-hex reply is then a hash."""
        with self.sessions() as db:
            text = queue.last_outbound_text(db, conversation_id)
        return bool(_TRANSFER_TALK.search(text or ""))

    def tag(self, conversation_id: str, tag: str) -> None:
        with self.sessions.begin() as db:
            conversation = db.get(Conversation, conversation_id)
            if conversation is not None and tag not in (conversation.tags or []):
                conversation.tags = [*(conversation.tags or []), tag]
        self.hub.publish(DESK, {"type": "queue"})

    def redact_messages(self, message_ids: list[int], kind: str) -> None:
        """Earlier pieces of a phrase, recognised only once the rest arrived."""
        with self.sessions.begin() as db:
            for message_id in message_ids:
                message = db.get(Message, message_id)
                if message is not None:
                    message.text = f"[redacted: {kind}]"

    # --- sessions ---------------------------------------------------------------

    def agents_available(self, db: Session, now: datetime) -> bool:
        if not within_agent_hours(self.settings, now):
            return False
        since = now - timedelta(seconds=self.settings.presence_timeout_seconds)
        return queue.agents_online(db, since) > 0

    async def open(
        self, payload: HandoffPayload, channel: str
    ) -> tuple[HandoffSession, list[OutboundMessage]]:
        """Queue the bot's handoff and tell the user what happens next."""
        now = self.clock()
        with self.sessions.begin() as db:
            kind = "chat" if self.agents_available(db, now) else "ticket"
            session, created = queue.open_session(db, payload, channel, now=now, kind=kind)
            place = queue.position(db, session) if session.kind == "chat" else 0
        language = session.language
        told: list[OutboundMessage] = []
        if created:
            HANDOFFS.labels(payload.reason, session.kind).inc()
            if session.kind == "chat":
                told = await self._tell(payload.conversation_id, language, "queued", position=place)
            else:
                told = await self._ticket_notice(session)
        elif session.payload_key != queue.payload_key(payload):
            told = await self._tell(
                payload.conversation_id, language, "already_open", ticket=session.ticket
            )
        self.hub.publish(DESK, {"type": "queue"})
        return session, told

    async def _ticket_notice(self, session: HandoffSession) -> list[OutboundMessage]:
        return await self._tell(
            session.conversation_id,
            session.language,
            "ticket",
            ticket=session.ticket,
            sla_hours=session.sla_hours or self.service.ticket_sla_hours,
            hours=self.settings.agent_hours,
            timezone=self.settings.timezone,
        )

    async def claim(self, agent: Agent, session_id: int) -> HandoffSession:
        now = self.clock()
        with self.sessions.begin() as db:
            session = queue.claim(db, session_id, agent.id, now=now)
        waited_since = aware(session.reopened_at) or aware(session.queued_at)
        if waited_since:
            CLAIM_SECONDS.observe(max(0.0, (now - waited_since).total_seconds()))
        await self._tell(
            session.conversation_id, session.language, "joined", agent=agent.display_name
        )
        self.hub.publish(DESK, {"type": "queue"})
        return session

    async def transfer(self, agent: Agent, session_id: int, to_agent: int) -> HandoffSession:
        with self.sessions.begin() as db:
            target = db.get(Agent, to_agent)
            session = queue.transfer(db, session_id, agent.id, to_agent)
            note = (
                f"Transferred from {agent.display_name} to {target.display_name if target else '?'}"
            )
            message = queue.add_message(
                db, session.conversation_id, "system", note, kind="note", agent_id=agent.id
            )
            event = self._message_event(db, message, session.id)
        self.hub.publish(DESK, {"type": "queue"})
        if event:
            self.hub.publish(DESK, event)
        return session

    def _own(self, db: Session, agent: Agent, session_id: int) -> HandoffSession:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise queue.NotFound(f"no handoff session {session_id}")
        if session.state != "assigned":
            raise queue.Conflict(f"session {session_id} is {session.state}: claim it first")
        if session.agent_id != agent.id:
            raise Forbidden(f"session {session_id} is assigned to another agent")
        return session

    async def reply(
        self, agent: Agent, session_id: int, text: str, client_id: str | None = None
    ) -> OutboundMessage:
        with self.sessions.begin() as db:
            session = self._own(db, agent, session_id)
            conversation_id = session.conversation_id
        violation = self.guard.check_agent(text)
        if violation is not None:
            # A compromised or fake agent account must not reach the user; record who tried.
            detail = f"blocked: {violation}; text: {self.guard.inspect('audit', text).text[:500]}"
            with self.sessions.begin() as db:
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
            raise Blocked(
                f"not sent: {violation}. Support never asks for these, and links "
                "must stay on the official domains."
            )
        stored = await self.deliver(
            conversation_id,
            [OutboundMessage(text=self.guard.scrub(text))],
            author="agent",
            agent_id=agent.id,
            dedup_key=f"{agent.id}:{client_id}" if client_id else None,
        )
        return stored[0]

    def note(self, agent: Agent, session_id: int, text: str) -> dict[str, Any]:
        with self.sessions.begin() as db:
            session = db.get(HandoffSession, session_id)
            if session is None:
                raise queue.NotFound(f"no handoff session {session_id}")
            message = queue.add_message(
                db,
                session.conversation_id,
                "agent",
                self.guard.scrub(text),  # an agent may paste what the user sent
                kind="note",
                agent_id=agent.id,
            )
            body = self.desk_message(db, message)
        self.hub.publish(
            DESK,
            {
                "type": "message",
                "session_id": session_id,
                "conversation_id": message.conversation_id,
                "message": body,
            },
        )
        return body

    async def resolve(self, agent: Agent, session_id: int) -> HandoffSession:
        now = self.clock()
        with self.sessions.begin() as db:
            session = queue.resolve(db, session_id, agent.id, now=now)
            queue.ask_csat(db, session.id, now)
        await self._tell(session.conversation_id, session.language, "resolved")
        await self.deliver(
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
        return session

    async def reopen(self, agent: Agent, session_id: int) -> HandoffSession:
        with self.sessions.begin() as db:
            session = queue.reopen(db, session_id, now=self.clock())
            queue.add_message(
                db,
                session.conversation_id,
                "system",
                f"Reopened by {agent.display_name}",
                kind="note",
                agent_id=agent.id,
            )
        self.hub.publish(DESK, {"type": "queue"})
        return session

    async def take_rating(
        self, conversation_id: str, session_id: int, text: str
    ) -> list[OutboundMessage] | None:
        """Record *text* as the answer to session *session_id*'s rating question, and thank.

        ``None`` means it was not a rating: the bot answers as usual (and the
        question is dropped, so it never swallows a later message).
        """
        score = rating(text)
        with self.sessions.begin() as db:
            if not queue.record_csat(db, session_id, score):
                return None  # settled meanwhile (another delivery of the same answer)
            session = db.get(HandoffSession, session_id)
            language = session.language if session is not None else "en"
        if score is None:
            return None
        CSAT.labels(str(score)).inc()
        self.hub.publish(DESK, {"type": "queue"})
        return await self._tell(conversation_id, language, "csat_thanks")

    async def sweep(self) -> None:
        """Periodic: flag SLA breaches once; waiting chats become tickets when nobody is there."""
        now = self.clock()
        with self.sessions.begin() as db:
            breached = queue.flag_breaches(db, now)
            converted: list[HandoffSession] = []
            if not self.agents_available(db, now):
                for session in queue.waiting_chats(db):
                    if queue.make_ticket(db, session.id):
                        db.refresh(session)
                        converted.append(session)
        if breached:
            SLA_BREACHES.inc(len(breached))
        for session in converted:
            await self._ticket_notice(session)
        if breached or converted:
            self.hub.publish(DESK, {"type": "queue"})

    def summary(self, db: Session, session: HandoffSession) -> dict[str, Any]:
        now = self.clock()
        due = aware(session.due_at)
        start = aware(session.reopened_at) or aware(session.queued_at) or now
        end = aware(session.assigned_at) if session.state == "assigned" else None
        if session.state == "resolved":
            end = aware(session.resolved_at)
        conversation = db.get(Conversation, session.conversation_id)
        return {
            "id": session.id,
            "ticket": session.ticket,
            "kind": session.kind,
            "state": session.state,
            "priority": session.priority,
            "reason": session.reason,
            "language": session.language,
            "channel": conversation.channel
            if conversation
            else user_of(session.conversation_id)[0],
            "conversation_id": session.conversation_id,
            "summary": (session.payload or {}).get("summary", ""),
            "queued_at": _iso(session.queued_at),
            "assigned_at": _iso(session.assigned_at),
            "resolved_at": _iso(session.resolved_at),
            "due_at": _iso(due),
            "overdue": session.state != "resolved" and due is not None and due < now,
            "waiting_seconds": int(max(0.0, ((end or now) - start).total_seconds())),
            "agent": agent_json(db.get(Agent, session.agent_id) if session.agent_id else None),
            "csat": queue.csat_score(db, session.id),
            "tags": (conversation.tags if conversation else None) or [],
        }


def trusted_domains(service: ServiceSettings) -> tuple[str, ...]:
    """Official domains, plus the block explorers the bot itself links to."""
    explorers = (urlparse(url).hostname or "" for url in service.explorer_tx_urls.values())
    return (*service.domain_list, *(h for h in explorers if h))


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
