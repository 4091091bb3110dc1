"""Chat with the running assistant in a terminal, through the gateway's web chat API.

``python -m bot.chat [--language zh] [--url http://127.0.0.1:8000]``. Buttons are
numbered: type the number to press one. Agent replies that arrived while you were
typing are shown before the next prompt (press Enter to check). ``/quit`` leaves.
Going through the gateway means the same path as a real user: the secret guard,
the desk and the handoff all apply.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import httpx

LABELS = {"bot": "bot", "agent": "agent", "system": "desk"}


def render(message: dict[str, Any], buttons: list[dict[str, str]]) -> None:
    print(f"{LABELS.get(message['author'], message['author'])}> {message['text']}")
    for button in message.get("buttons", []):
        buttons.append(button)
        print(f"     [{len(buttons)}] {button['title']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.chat", description=__doc__)
    default_url = (
        os.environ.get("GATEWAY_URL") or f"http://127.0.0.1:{os.environ.get('DESK_PORT', '8000')}"
    )
    parser.add_argument("--url", default=default_url, help="the gateway (env GATEWAY_URL)")
    parser.add_argument("--language", help="the chat's language: zh, en or es")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    with httpx.Client(timeout=60) as client:
        try:
            visitor = client.post(f"{base}/webchat/api/visitors", json={}).json()
        except (httpx.HTTPError, ValueError) as exc:
            print(f"error: no gateway at {base} ({exc}). Is `make run` up?", file=sys.stderr)
            return 1
        headers = {"Authorization": f"Bearer {visitor['token']}"}
        print(f"Chatting as {visitor['user_id']} through {base}. /quit to leave.")
        buttons: list[dict[str, str]] = []
        last = 0
        while True:
            for message in client.get(
                f"{base}/webchat/api/messages", params={"after": last}, headers=headers
            ).json()["messages"]:
                last = message["id"]
                if message["author"] != "user":
                    buttons = []
                    render(message, buttons)
            try:
                text = input("you> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text.strip() == "/quit":
                return 0
            if not text.strip():
                continue
            title = None
            if text.strip().isdigit() and 0 < int(text) <= len(buttons):
                title, text = buttons[int(text) - 1]["title"], buttons[int(text) - 1]["payload"]
            body = {"text": text, "language": args.language, "title": title}
            try:
                response = client.post(f"{base}/webchat/api/messages", json=body, headers=headers)
            except httpx.HTTPError as exc:
                print(
                    f"error: the gateway did not answer ({exc}); type it again to retry.",
                    file=sys.stderr,
                )
                continue
            result = response.json()
            if response.status_code not in (200, 413):
                print(f"error: {result.get('detail')}", file=sys.stderr)
                continue
            last = max(last, result["message"]["id"])
            buttons = []
            for message in result["replies"]:
                last = max(last, message["id"])
                render(message, buttons)


if __name__ == "__main__":
    sys.exit(main())
