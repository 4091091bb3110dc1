"""Issue 19, item 3: the dispute form asks for the screenshots the web chat can now send.

Before, the bot told users to *keep* their screenshots; every channel can take them
now (the web chat's uploads, Telegram and WeChat photos), so the dispute form asks
for them here, in each language, and still warns against a screenshot of a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

RESPONSES = Path(__file__).resolve().parent.parent / "bot" / "domain" / "responses.yml"

# What each language must say: screenshots, sent in this chat, never of a secret.
SAYS = {
    "zh": {
        "screenshots": "截图",
        "here": "这个对话里",
        "never": "切勿发送助记词、私钥或它们的截图",
    },
    "en": {
        "screenshots": "screenshots",
        "here": "right here in this chat",
        "never": "Never send your recovery phrase, your private key or a screenshot",
    },
    "es": {
        "screenshots": "capturas",
        "here": "en este chat",
        "never": "Nunca envíes tu frase de recuperación, tu clave privada ni capturas",
    },
}


def variants(name: str) -> dict[str, str]:
    """A response's text per language (the unconditioned variant is English)."""
    responses: dict[str, Any] = yaml.safe_load(RESPONSES.read_text())["responses"]
    texts = {}
    for variant in responses[name]:
        condition = variant.get("condition") or [{"value": "en"}]
        texts[condition[0]["value"]] = variant["text"]
    return texts


@pytest.mark.parametrize("language", list(SAYS))
def test_the_dispute_handoff_asks_for_screenshots_in_this_chat(language: str) -> None:
    text = variants("utter_handoff_dispute")[language]
    for what, words in SAYS[language].items():
        assert words in text, what
    assert "PDF" in text
    assert "{sla_hours}" in text  # the promise stays


@pytest.mark.parametrize("language", list(SAYS))
def test_the_description_question_says_screenshots_can_follow(language: str) -> None:
    text = variants("utter_ask_dispute_description")[language]
    assert SAYS[language]["screenshots"] in text
    assert SAYS[language]["here"].split()[-1] in text  # "chat" / "对话里"
