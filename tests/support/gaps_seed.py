"""Misses in three languages for the Gaps page's tests (three topics the knowledge
base has no article for, each asked several ways in zh, en and es, and two strays),
and a fake Rasa that ends turns as the real bot does."""

from __future__ import annotations

import json

import httpx

from common.payload import HandoffPayload
from tests.fakes.rasa import FakeRasa

TOPICS: dict[str, dict[str, list[str]]] = {
    "staking": {
        "en": [
            "how do I stake DOT in the wallet",
            "can I stake my DOT here",
            "staking DOT, is it supported?",
        ],
        "zh": ["钱包里怎么质押DOT", "DOT可以在钱包里质押吗", "如何质押DOT"],
        "es": [
            "¿cómo hago staking de DOT en la billetera?",
            "¿puedo hacer staking de DOT?",
            "staking de DOT en la billetera",
        ],
    },
    "dark_mode": {
        "en": ["is there a dark mode", "how do I turn on dark mode", "dark mode for the app?"],
        "zh": ["有没有夜间模式", "怎么打开夜间模式", "夜间模式在哪里开"],
        "es": ["¿hay modo oscuro?", "¿cómo activo el modo oscuro?", "modo oscuro en la app"],
    },
    "solana_nft": {
        "en": [
            "my solana NFT does not show",
            "my NFTs on solana are not showing",
            "solana nft not visible in the wallet",
        ],
        "zh": ["我的Solana NFT不显示", "Solana上的NFT看不到", "钱包里Solana NFT不显示"],
        "es": [
            "mi NFT de solana no aparece",
            "no veo mis NFT de solana",
            "los NFT de solana no aparecen en la billetera",
        ],
    },
}
STRAYS = {"en": ["do you sponsor football teams"], "es": ["¿tienen oficina en Madrid?"]}


def messages() -> list[tuple[str, str, str]]:
    """(topic, language, text) for every seeded miss; strays have the topic ''."""
    out = [
        (topic, language, text)
        for topic, languages in TOPICS.items()
        for language, texts in languages.items()
        for text in texts
    ]
    out += [("", language, text) for language, texts in STRAYS.items() for text in texts]
    return out


class GapRasa(FakeRasa):
    """FakeRasa with the real bot's outcome markers: "answer: …" answers with an
    article, "clarify: …" asks "did you mean…", "suggest: …" misses offering the
    nearest article, "yes" (好的, sí) accepts the offer of a human after misses (a handoff for no
    answer); "human", "dispute" and "crash" as FakeRasa; anything else is a miss."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text, sender = body["message"], body["sender"]
        if text in ("human", "/request_human", "dispute", "crash"):
            return super().__call__(request)
        self.calls.append(body)
        article = {"title": "Fees", "payload": '/choose_article{"article": "fees"}'}
        human = {"title": "A human", "payload": "/request_human"}
        if text.startswith("answer:"):
            replies = [
                {"text": "Here is how."},
                {"custom": {"outcome": "answer", "article": "fees"}},
            ]
        elif text.startswith("clarify:"):
            replies = [
                {"custom": {"outcome": "clarify"}},
                {"text": "Did you mean…", "buttons": [article, human]},
            ]
        elif text in ("yes", "好的", "sí"):
            payload = HandoffPayload(
                conversation_id=sender,
                reason="no_answer",
                language=body["metadata"].get("language", "en"),
                summary="no answer",
            )
            replies = [{"text": "Connecting you."}, {"custom": payload.as_message()}]
        else:
            buttons = [article, human] if text.startswith("suggest:") else [human]
            replies = [{"custom": {"outcome": "miss"}}, {"text": "Sorry.", "buttons": buttons}]
        return httpx.Response(200, json=[{"recipient_id": sender, **r} for r in replies])
