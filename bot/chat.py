"""Chat with the running assistant in a terminal, over Rasa's REST channel.

``python -m bot.chat [--language zh] [--url http://127.0.0.1:5005]``. Buttons are
numbered: type the number to press one. A handoff payload is printed as JSON,
the way the desk will receive it. ``/quit`` leaves.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from typing import Any

import httpx


def render(message: dict[str, Any], buttons: list[dict[str, str]]) -> None:
    if "text" in message:
        print(f"bot> {message['text']}")
    for button in message.get("buttons", []):
        buttons.append(button)
        print(f"     [{len(buttons)}] {button['title']}")
    if "custom" in message:
        print("bot> (custom message)")
        print(json.dumps(message["custom"], ensure_ascii=False, indent=2))
    if "image" in message:
        print(f"bot> (image) {message['image']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.chat", description=__doc__)
    default_url = (
        os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
    )
    parser.add_argument("--url", default=default_url, help="Rasa server (env RASA_URL/RASA_PORT)")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--language", help="channel language metadata: zh, en or es")
    args = parser.parse_args(argv)
    endpoint = f"{args.url.rstrip('/')}/webhooks/rest/webhook"
    metadata = {"language": args.language} if args.language else {}
    print(f"Chatting as {args.sender} with {endpoint}. /quit to leave.")
    buttons: list[dict[str, str]] = []
    with httpx.Client(timeout=30) as client:
        while True:
            try:
                text = input("you> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text.strip() == "/quit":
                return 0
            if text.strip().isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            body = {"sender": args.sender, "message": text, "metadata": metadata}
            try:
                response = client.post(endpoint, json=body)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                print(
                    f"error: the assistant did not answer ({exc}). Is `make run` up? "
                    "Your message was not sent; type it again to retry.",
                    file=sys.stderr,
                )
                continue
            buttons = []
            for message in response.json():
                render(message, buttons)


if __name__ == "__main__":
    sys.exit(main())
