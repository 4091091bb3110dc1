"""Issue 19, item 3, through the trained bot: the dispute form asks for screenshots.

Over Rasa's REST channel with the live action server, in each language: the
description question says screenshots can follow, and the handoff asks for them in
this chat (the web chat can send them now), never of a phrase or a key.
"""

from __future__ import annotations

import pytest

from tests.support.servers import Servers, payloads, text

pytestmark = pytest.mark.e2e
TRON_HASH = "4c" * 32

DISPUTES = {
    "zh": (
        ["我要申请交易争议，卖家一直没发货", "昨天上午10点", "250 USDT", "CryptoShop", TRON_HASH],
        "我付了钱买手机，一直没收到货，想退款",
        ("截图", "这个对话里"),
    ),
    "en": (
        [
            "I want to dispute a transaction, the seller never delivered",
            "yesterday at 10am",
            "250 USDT",
            "CryptoShop",
            TRON_HASH,
        ],
        "I paid for a phone and never received it, I want a refund",
        ("screenshots", "right here in this chat"),
    ),
    "es": (
        [
            "quiero abrir una disputa, el vendedor nunca entregó",
            "ayer a las 10",
            "250 USDT",
            "CryptoShop",
            TRON_HASH,
        ],
        "pagué un teléfono y nunca lo recibí, quiero un reembolso",
        ("capturas", "en este chat"),
    ),
}


@pytest.mark.parametrize("language", list(DISPUTES))
def test_the_dispute_form_asks_for_screenshots_in_this_chat(
    live_servers: Servers, language: str
) -> None:
    answers, description, (screenshots, here) = DISPUTES[language]
    user = f"dispute-shots-{language}"
    metadata = {"language": language}
    asked = ""
    for answer in answers:
        asked = text(live_servers.say(user, answer, metadata))
    assert screenshots in asked  # the description question says they can follow
    reply = live_servers.say(user, description, metadata)
    [handoff] = payloads(reply)
    assert handoff.reason == "dispute"
    said = text(reply)
    assert screenshots in said and here in said and "PDF" in said
