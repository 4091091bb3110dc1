"""The WeChat Official Account API (api.weixin.qq.com), and pushes built the way
WeChat's servers build them (signed; :func:`xml` bodies)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.server import serve

APP_ID = "wx1234567890abcdef"
TOKEN = "wechat-token"
AES_KEY = base64.b64encode(b"k" * 32).decode().rstrip("=")
OPENID = "oUser123"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


class WeChatApi:
    """Plays api.weixin.qq.com: token, customer-service send and media download."""

    def __init__(self) -> None:
        self.tokens = 0
        self.sent: list[dict[str, Any]] = []
        self.errcode = 0  # answer custom/send with this errcode
        self.http_errors = 0  # answer this many custom/send calls with HTTP 500
        self.token_delay = 0.0  # seconds the token endpoint takes (a slow WeChat)
        self.only_own_tokens = False  # custom/send: 40001 for a token this fake never issued
        self.issued: set[str] = set()
        self.calls: Counter[str] = Counter()  # by path
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                api.calls[url.path] += 1
                if url.path == "/cgi-bin/token":
                    time.sleep(api.token_delay)  # the fake is slow, not the test waiting
                    api.tokens += 1
                    api.issued.add(f"TOKEN{api.tokens}")
                    self._json({"access_token": f"TOKEN{api.tokens}", "expires_in": 7200})
                elif url.path == "/cgi-bin/media/get":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(JPEG)))
                    self.end_headers()
                    self.wfile.write(JPEG)
                else:
                    self._json({"errcode": 404}, 404)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlparse(self.path)
                api.calls[url.path] += 1
                token = parse_qs(url.query).get("access_token", [""])[0]
                if url.path != "/cgi-bin/message/custom/send":
                    self._json({"errcode": 404}, 404)
                elif api.only_own_tokens and token not in api.issued:
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                elif api.http_errors > 0:
                    api.http_errors -= 1
                    self._json({"errcode": -1}, 500)
                elif api.errcode:
                    self._json({"errcode": api.errcode, "errmsg": "refused"})
                else:
                    api.sent.append(body)
                    self._json({"errcode": 0, "errmsg": "ok"})

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server, self.url = serve(Handler)

    def texts(self) -> list[str]:
        return [m["text"]["content"] for m in self.sent]

    def close(self) -> None:
        self.server.shutdown()


_NONCES = itertools.count(1)


def unique_nonce() -> str:
    """A nonce no other push of this test run has used (WeChat's are random digits)."""
    return f"{next(_NONCES)}{int(time.time() * 1000) % 100000:05d}"


def signed(timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()


def query(nonce: str, timestamp: str | None = None) -> dict[str, str]:
    """The query string WeChat puts on a push: signature, timestamp and nonce."""
    timestamp = timestamp or str(int(time.time()))
    return {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def xml(kind: str, msg_id: int | None = 1, openid: str = OPENID, **fields: str) -> str:
    parts = [
        "<xml>",
        "<ToUserName><![CDATA[gh_official]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{fields.pop('create_time', '1763950000')}</CreateTime>",
        f"<MsgType><![CDATA[{kind}]]></MsgType>",
        *(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()),
        f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else "",
        "</xml>",
    ]
    return "".join(parts)
