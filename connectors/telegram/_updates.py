"""Inbound from Telegram: an ``Update`` becomes one :class:`InboundMessage` for the router.

Handles text, commands (/start, /help, /human, /lang), button callbacks, photos and
documents (saved for the agent) and edits. Every update is deduplicated on its
``update_id`` in the database, so a retried delivery or a restart never routes it twice.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Message, Update, User
from telegram.error import TelegramError

from common import texts
from common.language import normalise_language
from common.messages import Attachment, InboundMessage, OutboundMessage
from common.settings import ROOT
from connectors._host import MessageRouter, Turn
from connectors.telegram._connector import TelegramConnector

log = logging.getLogger(__name__)

MEDIA = ROOT / "var" / "media" / "telegram"
LANGUAGES = (("中文", "zh"), ("English", "en"), ("Español", "es"))


def _language(user: User | None) -> str | None:
    return normalise_language(user.language_code) if user and user.language_code else None


def command_text(text: str) -> str | None:
    """What a command means to the bot, or None for commands the connector answers itself."""
    command, _, argument = text.partition(" ")
    command = command.split("@")[0].lower()  # "/start@wallet_bot" in groups
    if command == "/start":
        return "/greet"
    if command == "/human":
        return "/request_human"
    if command == "/lang" and normalise_language(argument.strip()):
        return f'/change_language{{"language": "{normalise_language(argument.strip())}"}}'
    if command in ("/help", "/lang"):
        return None
    return text.lstrip("/")  # an unknown command: let the bot read it as words


async def _save(connector: TelegramConnector, file_id: str, name: str) -> Path:
    file = await connector.bot.get_file(file_id)
    suffix = Path(file.file_path or name).suffix
    # Only a plain extension: the rest of a user's file name is theirs to leak, not ours.
    suffix = suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ".bin"
    MEDIA.mkdir(parents=True, exist_ok=True)
    path = MEDIA / f"{file.file_unique_id}{suffix}"
    await file.download_to_drive(path)
    return path


async def _attachment(connector: TelegramConnector, message: Message) -> Attachment | None:
    if message.photo:
        largest = message.photo[-1]
        path = await _save(connector, largest.file_id, "photo.jpg")
        return Attachment("image", str(path.relative_to(ROOT)), path.name, "image/jpeg")
    if message.document:
        document = message.document
        name = document.file_name or "file"
        path = await _save(connector, document.file_id, name)
        mime = document.mime_type or mimetypes.guess_type(name)[0] or ""
        kind = "image" if mime.startswith("image/") else "file"
        return Attachment(kind, str(path.relative_to(ROOT)), name, mime)
    return None


async def handle_update(
    update: Update, connector: TelegramConnector, router: MessageRouter
) -> bool:
    """Route one update and wait for its answer; False if it was delivered before (in
    any process).

    The update id is recorded in the transaction that stores the user's message, so a
    gateway killed before that leaves Telegram's retry free to be processed.
    """
    turn = await _route(update, connector, router, router.handle)
    return turn is None or not turn.duplicate


async def accept_update(
    update: Update, connector: TelegramConnector, router: MessageRouter
) -> Turn | None:
    """Store one update's message and return; its answer runs in the background (the
    turn's ``rest``). None for an update that carries nothing to store.

    Stored means safe: the message is pending in the database, with the update id, in
    one transaction. A process killed before the answer leaves the turn to another
    process's recovery job, and Telegram's retry of the update is a duplicate.
    """
    return await _route(update, connector, router, router.accept)


async def _route(
    update: Update,
    connector: TelegramConnector,
    router: MessageRouter,
    route: Callable[[InboundMessage], Awaitable[Turn]],
) -> Turn | None:
    key = str(update.update_id)
    query = update.callback_query
    if query is not None:
        await connector.ensure_ready()
        with contextlib.suppress(TelegramError):  # a retry's query may be too old to answer
            await query.answer()  # stops the button's loading spinner
        markup = query.message.reply_markup if isinstance(query.message, Message) else None
        title = next(
            (
                b.text
                for row in (markup.inline_keyboard if markup else ())
                for b in row
                if b.callback_data == query.data
            ),
            None,
        )
        return await route(
            InboundMessage(
                channel="telegram",
                user_id=str(query.from_user.id),
                text=str(query.data or ""),
                title=title,
                language=_language(query.from_user),
                platform_id=key,
                dedup_key=key,
            )
        )
    message = update.message
    if update.edited_message is not None:
        edited = update.edited_message
        if edited.chat.type != "private":
            return None  # group chatter, edited or not, is not a support conversation
        # An edit is kept for the agent; replaying it to the bot would restart a flow.
        return await router.keep(
            InboundMessage(
                channel="telegram",
                user_id=str(edited.chat.id),
                text=f"✏️ (edited) {edited.text or edited.caption or ''}",
                language=_language(edited.from_user),
                dedup_key=key,
            )
        )
    if message is None or message.chat.type != "private":
        return None  # channel posts, group chatter, member updates: not support conversations
    user_id = str(message.chat.id)
    language = _language(message.from_user)
    text = message.text or message.caption or ""
    if message.text and message.text.startswith("/"):
        meaning = command_text(message.text)
        if meaning is None:
            return await _answer_command(message.text, user_id, language or "en", router, key)
        text = meaning
    try:
        attachment = await _attachment(connector, message)
    except Exception as exc:  # the text still counts; the agent is told the file is missing
        log.warning("could not fetch a Telegram file: %s", exc)
        attachment = None
        text = text or "[a file that could not be downloaded]"
    if attachment is not None and not text:
        text = "[photo]" if attachment.kind == "image" else f"[file: {attachment.name}]"
    if not text:
        text = "[a message type the assistant can't read: sticker, voice, location…]"
    return await route(
        InboundMessage(
            channel="telegram",
            user_id=user_id,
            text=text,
            language=language,
            platform_id=key,
            dedup_key=key,
            attachment=attachment,
        )
    )


async def _answer_command(
    text: str, user_id: str, language: str, router: MessageRouter, key: str
) -> Turn:
    if text.split("@")[0].lower().startswith("/help"):
        reply = OutboundMessage(text=texts.text(language, "help"))
    else:
        reply = OutboundMessage(
            text=texts.CHOOSE_LANGUAGE,
            buttons=tuple(
                (title, f'/change_language{{"language": "{code}"}}') for title, code in LANGUAGES
            ),
        )
    command = InboundMessage("telegram", user_id, text, language=language, dedup_key=key)
    return await router.answer(command, reply)
