"""The web chat API: visitors, messages, history and the push stream (see docs/desk-api.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from common import texts
from common.http import bearer, client_id_field, language_of, too_many
from common.limits import Limiter, rules
from common.messages import MAX_TEXT, InboundMessage, chat_json
from common.settings import DeskSettings
from connectors._host import ChannelHost
from connectors.webchat._connector import CHANNEL
from connectors.webchat._tokens import Issued, VisitorTokens
from connectors.webchat._uploads import upload_routes
from events import chat_topic, first_message_token, refuse, stream_events
from store import messages

# Longer than this is refused outright; up to it, an oversize message is kept for an agent.
HARD_LIMIT = 20_000

Language = Literal["zh", "en", "es"]


class VisitorIn(BaseModel):
    language: Language | None = None


class Visitor(BaseModel):
    user_id: str
    token: str
    expires_at: int = Field(..., description="unix seconds; the token is refused after it")
    renew_after: int = Field(
        ..., description="unix seconds: from then on, POST /webchat/api/visitors/renew"
    )

    @classmethod
    def of(cls, issued: Issued) -> Visitor:
        return cls(
            user_id=issued.user_id,
            token=issued.token,
            expires_at=issued.expires_at,
            renew_after=issued.renew_after,
        )


class Button(BaseModel):
    title: str
    payload: str


class FileShown(BaseModel):
    kind: Literal["image", "file"]
    name: str


class ChatMessage(BaseModel):
    id: int
    author: Literal["user", "bot", "agent", "system"]
    text: str
    buttons: list[Button] = []
    file: FileShown | None = Field(
        None, description="a file the user sent: GET /webchat/api/files/{id} with the token"
    )
    created_at: str | None


class MessageIn(BaseModel):
    text: str = Field(
        ..., max_length=HARD_LIMIT, description="what the user typed, or a button's payload"
    )
    language: Language | None = Field(None, description="the page's language; detected if absent")
    title: str | None = Field(None, max_length=200, description="the pressed button's title")
    timezone: str | None = Field(
        None,
        max_length=64,
        description="the browser's IANA time zone (`Europe/Madrid`): a time the user gives "
        '("yesterday 3 pm") is read in it',
    )
    client_id: str | None = client_id_field(
        "the page's own id for this message: a retry with the same id (say, after a "
        "gateway died mid-request) is stored once and answered with the first copy"
    )


class Posted(BaseModel):
    message: ChatMessage
    replies: list[ChatMessage]
    duplicate: bool = Field(
        False,
        description="a retry of a message already received: nothing was stored again, and "
        "`replies` are the answers it got so far (any still to come arrive on the stream)",
    )


class History(BaseModel):
    messages: list[ChatMessage]


LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "too many requests: wait `Retry-After` seconds"}
}


def webchat_routes(
    host: ChannelHost, tokens: VisitorTokens, limiter: Limiter, settings: DeskSettings
) -> APIRouter:
    """The web chat API, answering through *host*'s router and database.

    Every request is counted against its client's address, and messages also against
    the visitor, in *limiter* (shared by every gateway when Redis is configured).
    """
    api = APIRouter(prefix="/webchat", tags=["web chat"])
    per_ip_visitors = rules(settings.limit_visitors_per_ip)
    per_ip_messages = rules(settings.limit_messages_per_ip)
    per_visitor = rules(settings.limit_messages_per_visitor)

    def counted(request: Request, limits: list[Any], *key: str) -> None:
        refused = limiter.hit(limits, *key)
        if refused is not None:
            raise too_many(refused, language_of(request.headers.get("accept-language", "")))

    def visitor(request: Request, authorization: str = Header("")) -> str:
        """The visitor's user id from ``Authorization: Bearer <token>`` (401 otherwise);
        a message also counts against the client's address and the visitor (429).

        In FastAPI's threads, on purpose: the same MULTI over ``redis.asyncio`` in the
        event loop took more CPU and about twice the wall time of this thread hop and
        the synchronous client (docs/benchmarks.md, *The gateway's CPU per web chat
        turn*)."""
        user_id = tokens.verify(bearer(authorization))
        if request.method == "POST":  # both counters in one round trip
            each = [(per_ip_messages, ("messages-ip", client_address(request)))]
            if user_id is not None:
                each.append((per_visitor, ("messages-visitor", user_id)))
            refused = limiter.hit_all(each)
            if refused is not None:
                raise too_many(refused, language_of(request.headers.get("accept-language", "")))
        if user_id is None:
            raise HTTPException(
                401, "a web chat visitor token is needed: POST /webchat/api/visitors"
            )
        return user_id

    @api.post("/api/visitors", response_model=Visitor, status_code=201, responses=LIMITED)
    def new_visitor(request: Request, body: VisitorIn | None = None) -> Visitor:
        """Issue a visitor id and token; the page keeps them in ``localStorage``."""
        counted(request, per_ip_visitors, "visitors-ip", client_address(request))
        return Visitor.of(tokens.issue())

    @api.post(
        "/api/visitors/renew",
        response_model=Visitor,
        responses={401: {"description": "not renewable: start a new visitor"}, **LIMITED},
    )
    def renew(request: Request, authorization: str = Header("")) -> Visitor:
        """A fresh token for the same visitor (same conversation), before or shortly
        after the old one expires."""
        counted(request, per_ip_visitors, "visitors-ip", client_address(request))
        user_id = tokens.renewable(bearer(authorization))
        if user_id is None:
            raise HTTPException(401, "this token can't be renewed: POST /webchat/api/visitors")
        return Visitor.of(tokens.issue(user_id))

    @api.post(
        "/api/messages",
        response_model=Posted,
        responses={
            413: {"description": "too long: kept for an agent, not read by the bot"},
            429: {
                "description": "too many requests (nothing stored), or too many new "
                "handoffs from this address (the message is stored and answered)"
            },
        },
    )
    async def post_message(
        request: Request, body: MessageIn, user_id: str = Depends(visitor)
    ) -> Any:
        """Send the user's message; the bot's replies come back here and on the stream."""
        if not body.text.strip():
            raise HTTPException(422, "the message is empty")
        inbound = InboundMessage(
            channel=CHANNEL,
            user_id=user_id,
            text=body.text,
            language=body.language,
            title=body.title,
            dedup_key=f"{user_id}:{body.client_id}" if body.client_id else None,
            client_ip=client_address(request),
            metadata={"timezone": body.timezone} if body.timezone else {},
        )
        turn = await host.router.handle(inbound)
        result = {
            "message": _shown(turn.message),
            "replies": [chat_json(r) for r in turn.replies],
            "duplicate": turn.duplicate,
        }
        if turn.duplicate:
            # The first copy may have been answered by a gateway that died before its
            # reply reached the page: the retry gets that answer (so far) instead.
            with host.database() as db:
                answers = messages.answers_to(db, turn.message)
                result["replies"] = [_shown(m) for m in answers]
            return result
        if turn.retry_after is not None:  # told why in the last reply
            return JSONResponse(
                {"detail": turn.replies[-1].text, **result},
                status_code=429,
                headers={"Retry-After": str(turn.retry_after)},
            )
        if len(body.text) > MAX_TEXT:
            # The page shows `detail` as is: in the language the user was answered in.
            language = turn.language or body.language or "en"
            return JSONResponse(
                {"detail": texts.text(language, "too_long", limit=MAX_TEXT), **result},
                status_code=413,
            )
        return _posted(result)

    @api.get("/api/messages", response_model=History)
    def history(after: int = 0, user_id: str = Depends(visitor)) -> History:
        """Everything the visitor should see after message ``after`` (for reconnects)."""
        with host.database() as db:
            rows = messages.messages(db, f"{CHANNEL}:{user_id}", after=after)
            return History(messages=[ChatMessage(**_shown(r)) for r in rows])

    upload_routes(api, host, visitor, settings)

    @api.websocket("/ws")
    async def stream(websocket: WebSocket) -> None:
        """Pushes ``{"type": "message", "message": …}`` for this visitor's conversation.

        The first frame the page sends is ``{"type": "auth", "token": …}`` (4401 if
        it doesn't): the token stays out of URLs and so out of access logs."""
        token = await first_message_token(websocket)
        if token is None:
            return
        user_id = tokens.verify(token)
        if user_id is None:
            await refuse(websocket, "bad or missing visitor token")
            return
        async with host.hub.subscribe(chat_topic(f"{CHANNEL}:{user_id}")) as events:
            await stream_events(websocket, events)

    return api


def client_address(request: Request) -> str:
    """The client's address (the load balancer's X-Forwarded-For is applied by the
    gateway, from trusted proxies only)."""
    return request.client.host if request.client else "unknown"


def _shown(row: Any) -> dict[str, Any]:
    return chat_json(messages.as_outbound(row))


_SHOWN = tuple(ChatMessage.__fields__)  # what a page gets of a message, in this order


def _posted(result: dict[str, Any]) -> JSONResponse:
    """*result* as FastAPI writes a ``Posted`` (the same keys, order and JSON), built
    here from ``chat_json`` rather than validated against the model once more, which
    cost more CPU than the rest of the answer."""

    def shown(message: dict[str, Any]) -> dict[str, Any]:
        return {key: message[key] for key in _SHOWN}

    return JSONResponse(
        {
            "message": shown(result["message"]),
            "replies": [shown(reply) for reply in result["replies"]],
            "duplicate": result["duplicate"],
        }
    )
