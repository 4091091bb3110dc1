"""The router: store every message, then the desk or Rasa, then reply on the same channel.

1. Persist the inbound message (nothing is lost, whatever fails next).
2. If a session is queued or held by an agent, the message is for the desk: the
   bot stays silent.
3. Otherwise Rasa answers; a handoff payload in its replies opens a session.
4. If Rasa is down, the user is told so in their language and a human takes over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session, sessionmaker

from common.language import DEFAULT_LANGUAGE, detect_language, normalise_language
from connectors._base import Connector
from connectors._message import MAX_TEXT, InboundMessage, OutboundMessage
from connectors._rasa import RasaClient, RasaUnavailable
from handoff import queue
from handoff.payload import HANDOFF_KEY, HandoffPayload, HandoffReason, Priority

DeskNotifier = Callable[[str, int | None], Awaitable[None]]

_TROUBLE = {
    "zh": "抱歉，我们的系统暂时出了点问题。您的消息已保存，人工客服会接手这个对话。",
    "en": "Sorry, we're having trouble right now. Your message is saved, "
    "and a human agent will take over this conversation.",
    "es": "Lo sentimos, tenemos un problema técnico. Tu mensaje está guardado "
    "y un agente se hará cargo de esta conversación.",
}
_TOO_LONG = {
    "zh": f"消息太长了（最多 {MAX_TEXT} 个字符），请分几条发送。",
    "en": f"That message is too long (at most {MAX_TEXT} characters). Please send it in parts.",
    "es": f"El mensaje es demasiado largo (máximo {MAX_TEXT} caracteres). Envíalo en partes.",
}


class Router:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        connectors: dict[str, Connector],
        notify_desk: DeskNotifier | None = None,
    ) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._connectors = connectors
        self._notify_desk = notify_desk

    async def handle(self, message: InboundMessage) -> list[OutboundMessage]:
        """Route one inbound message; returns what was sent back to the user."""
        connector = self._connectors[message.channel]
        language = normalise_language(message.language) or detect_language(message.text)
        language = language or DEFAULT_LANGUAGE
        with self._sessions.begin() as db:
            queue.ensure_conversation(db, message.conversation_id, message.channel, language)
            queue.add_message(db, message.conversation_id, "user", message.text)
            held = queue.held_session(db, message.conversation_id)
        if len(message.text) > MAX_TEXT:  # kept above for the agent, not sent to Rasa
            reply = [OutboundMessage(text=_TOO_LONG[language])]
            await self._deliver(connector, message.user_id, reply)
            return reply
        if held is not None:
            if self._notify_desk:
                await self._notify_desk(message.conversation_id, held)
            return []
        try:
            replies = await self._rasa.send(message)
        except RasaUnavailable:
            replies = [OutboundMessage(text=_TROUBLE[language])]
            payload = HandoffPayload(
                conversation_id=message.conversation_id,
                reason=HandoffReason.BOT_UNAVAILABLE,
                priority=Priority.HIGH,
                language=language,
                summary=f"bot unavailable; last message: {message.text[:200]}",
            )
            replies.append(OutboundMessage(custom={HANDOFF_KEY: payload.dict()}))
        visible = await self._record_and_deliver(connector, message, replies)
        return visible

    async def _record_and_deliver(
        self, connector: Connector, message: InboundMessage, replies: list[OutboundMessage]
    ) -> list[OutboundMessage]:
        visible = [r for r in replies if not (r.custom and HANDOFF_KEY in r.custom)]
        opened: int | None = None
        with self._sessions.begin() as db:
            for reply in visible:
                if reply.text:
                    queue.add_message(db, message.conversation_id, "bot", reply.text)
            for reply in replies:
                if reply.custom and HANDOFF_KEY in reply.custom:
                    payload = HandoffPayload.from_message(reply.custom)
                    session, created = queue.open_session(db, payload, channel=message.channel)
                    opened = session.id if created else opened
        await self._deliver(connector, message.user_id, visible)
        if opened is not None and self._notify_desk:
            await self._notify_desk(message.conversation_id, opened)
        return visible

    @staticmethod
    async def _deliver(connector: Connector, user_id: str, replies: list[OutboundMessage]) -> None:
        for reply in replies:
            await connector.send(user_id, reply)
