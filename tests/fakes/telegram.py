"""The Telegram Bot API (api.telegram.org), and updates in Telegram's own format.

python-telegram-bot talks to :class:`BotApi` through its ``base_url``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.server import serve

TOKEN = "123456:TEST-token"
SECRET = "s3cret_token-1"
CHAT = 777000111
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class BotApi:
    """Plays api.telegram.org: records calls, answers like Telegram, can fail on purpose."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_sends = 0  # answer this many sendMessage calls with HTTP 502
        # chat id -> (status, description) every send to that chat is refused with, as
        # Telegram does: 403 "Forbidden: bot was blocked by the user", 400 "Bad
        # Request: chat not found"
        self.refuse: dict[int, tuple[int, str]] = {}
        self.updates: list[dict[str, Any]] = []  # what the next getUpdates hands out
        self.polls = 0  # getUpdates calls answered
        self.handed_out: dict[int, list[int]] = {}  # update_id -> the polls that returned it
        self.next_id = 1000
        self.file = PNG  # what every file download returns (a test may disguise it)
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if "/file/bot" in self.path and self.path.endswith(".jpg"):
                    api.calls.append(("download", {"path": self.path}))
                    self._send(200, api.file, "image/png")
                else:
                    self._send(404, b"{}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw))
                method = self.path.rsplit("/", 1)[-1]
                status, result = api.answer(method, params)
                body = (
                    {"ok": status == 200, "result": result}
                    if status == 200
                    else {"ok": False, "error_code": status, "description": result or "Bad Gateway"}
                )
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server, self.url = serve(Handler)

    def offer(self, *updates: dict[str, Any]) -> None:
        """Updates for the next getUpdates call (a poller's next answer)."""
        with self._lock:
            self.updates.extend(updates)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        self.calls.append((method, params))
        chat = {"id": int(params.get("chat_id", CHAT)), "type": "private"}
        if method == "getMe":
            return 200, {"id": 42, "is_bot": True, "first_name": "Support", "username": "sup_bot"}
        if method in ("sendMessage", "sendPhoto"):
            if chat["id"] in self.refuse:
                return self.refuse[chat["id"]]
            if method == "sendMessage" and self.fail_sends > 0:
                self.fail_sends -= 1
                return 502, None
            self.next_id += 1
            return 200, {
                "message_id": self.next_id,
                "date": int(time.time()),
                "chat": chat,
                "text": params.get("text", ""),
            }
        if method == "getFile":
            return 200, {
                "file_id": params["file_id"],
                "file_unique_id": f"uniq-{params['file_id']}",
                "file_size": len(self.file),
                "file_path": "photos/file_1.jpg",
            }
        if method == "getUpdates":
            with self._lock:
                self.polls += 1
                updates, self.updates = self.updates, []
                for each in updates:
                    self.handed_out.setdefault(each["update_id"], []).append(self.polls)
            return 200, updates
        return 200, True  # answerCallbackQuery, setWebhook, deleteWebhook

    def sent(self) -> list[str]:
        return [str(p.get("text", "")) for m, p in self.calls if m == "sendMessage"]

    def count(self, method: str) -> int:
        return [m for m, _ in self.calls].count(method)

    def close(self) -> None:
        self.server.shutdown()


def update(update_id: int, **body: Any) -> dict[str, Any]:
    return {"update_id": update_id, **body}


def user(language: str = "es", chat: int = CHAT) -> dict[str, Any]:
    return {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": language}


def message(
    text: str | None = None,
    message_id: int = 1,
    chat: int = CHAT,
    language: str = "es",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": "Ana"},
        "from": user(language, chat),
        **extra,
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
    return body
