"""End-to-end conversations over Rasa's REST channel: trained model, live action server."""

from __future__ import annotations

import httpx
import pytest

from common.settings import kb_settings, service_settings
from tests.support.servers import Servers, payloads, text

pytestmark = pytest.mark.e2e
TRON_HASH = "4c" * 32


@pytest.fixture(scope="module")
def bot(live_servers: Servers) -> Servers:
    return live_servers


@pytest.mark.parametrize(
    ("sender", "question", "expected"),
    [
        ("faq-zh", "客服几点上班", ["09:00", "在线客服"]),
        ("faq-en", "what's your phone number?", ["+1 555 0100"]),
        ("faq-es", "¿cuál es el horario de atención?", ["09:00", "Chat"]),
        ("faq-zh2", "有人冒充客服私信我，让我提供助记词", ["助记词"]),
        ("faq-en2", "how long until you answer my ticket", ["48"]),
        # A price-like wording ("how much does it cost") read as off-topic before.
        ("faq-es2", "¿cuánto cuesta la comisión de red?", ["validadores", "TRX"]),
        ("faq-zh3", "网络手续费多少钱", ["验证者", "TRX"]),
    ],
)
def test_faq_in_each_language(
    bot: Servers, sender: str, question: str, expected: list[str]
) -> None:
    reply = text(bot.say(sender, question))
    for fragment in expected:
        assert fragment in reply


def test_password_reset_with_the_phrase(bot: Servers) -> None:
    first = text(bot.say("pw-en", "I forgot my wallet password"))
    assert "recovery phrase" in first and "Don't send it to anyone" in first
    assert "Import wallet" in text(bot.say("pw-en", "yes"))


def test_password_reset_without_the_phrase_is_honest(bot: Servers) -> None:
    bot.say("pw-es", "olvidé mi contraseña")
    reply = bot.say("pw-es", "no, también perdí la frase")
    assert "nadie puede recuperar" in text(reply)
    assert any(r.get("buttons") for r in reply)  # the offer of a human
    handoff = payloads(bot.say("pw-es", "sí"))
    assert handoff and handoff[0].reason == "password_lost"
    assert handoff[0].language == "es"


def test_missing_transfer_form_rejects_a_bad_hash_then_hands_off(bot: Servers) -> None:
    user = "mt-en"
    assert "how much" in text(bot.say(user, "my USDT on TRON hasn't arrived")).lower()
    assert "hash" in text(bot.say(user, "100")).lower()
    bad = text(bot.say(user, "0x12345"))
    assert "doesn't look like a valid transaction hash" in bad
    assert "64 hex" in bad
    assert "when" in text(bot.say(user, TRON_HASH)).lower()
    assert "address" in text(bot.say(user, "yesterday around 3pm")).lower()
    summary = text(bot.say(user, "I don't know"))
    assert TRON_HASH in summary
    assert "can't find this hash" in summary  # the local TRON node doesn't know it
    handoff = payloads(bot.say(user, "yes please"))
    assert len(handoff) == 1
    details = handoff[0].details
    assert (details.chain, details.token, details.amount) == ("tron", "USDT", "100")
    assert details.tx_hash == TRON_HASH
    assert details.to_address == "unknown"
    assert details.transfer_time is not None and details.transfer_time.raw == "yesterday around 3pm"
    assert details.transfer_time.parsed is not None
    assert handoff[0].reason == "missing_transfer"
    assert any(line.text == "0x12345" for line in handoff[0].transcript)


def test_missing_transfer_form_can_be_cancelled(bot: Servers) -> None:
    user = "mt-cancel"
    bot.say(user, "我转的币没到账")
    reply = text(bot.say(user, "算了，取消吧"))
    assert "已取消" in reply
    assert "09:00" in text(bot.say(user, "客服几点上班"))


def test_request_human_carries_the_collected_details(bot: Servers) -> None:
    user = "human-zh"
    bot.say(user, "昨天转了100u到波场地址，一直没到账")
    handoff = payloads(bot.say(user, "我要转人工"))
    assert len(handoff) == 1
    assert handoff[0].details.chain == "tron"
    assert handoff[0].details.amount == "100 USDT"
    assert handoff[0].language == "zh"
    assert "昨天转了100u到波场地址，一直没到账" in [line.text for line in handoff[0].transcript]


def test_dispute_always_goes_to_a_human_with_a_24h_sla(bot: Servers) -> None:
    user = "dispute-en"
    bot.say(user, "I want to dispute a transaction, the seller never delivered")
    for answer in ("yesterday at 10am", "250 USDT", "CryptoShop", TRON_HASH):
        bot.say(user, answer)
    reply = bot.say(user, "I paid for a phone and never received it, I want a refund")
    handoff = payloads(reply)
    assert len(handoff) == 1
    assert (handoff[0].reason, handoff[0].priority, handoff[0].sla_hours) == ("dispute", "high", 24)
    assert handoff[0].details.counterparty == "CryptoShop"
    assert "24 hours" in text(reply)


def test_channel_metadata_sets_the_language(bot: Servers) -> None:
    assert "Hola" in text(bot.say("meta-es", "hi", {"language": "es"}))


def test_the_user_can_change_language(bot: Servers) -> None:
    assert "中文" in text(bot.say("lang", "can we speak Chinese please"))
    assert "您好" in text(bot.say("lang", "hello"))


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "x" * 10_000,
        "hola, my USDT没到账 help",
        "Bonjour, je voudrais de l'aide",
    ],
)
def test_odd_input_gets_a_sensible_reply(bot: Servers, message: str) -> None:
    replies = bot.say(f"odd-{len(message)}-{message[:3]}", message)
    assert replies, "the user must always get an answer"
    assert all(r.get("text") or r.get("custom") or r.get("buttons") for r in replies)


def test_model_parse_finds_intent_and_entities(bot: Servers) -> None:
    response = httpx.post(
        f"{bot.rasa_url}/model/parse", json={"text": "我的100u在TRC20上没到账"}, timeout=30
    )
    parsed = response.json()
    assert parsed["intent"]["name"] == "missing_transfer"
    found = {(e["entity"], e["value"]) for e in parsed["entities"]}
    assert {("amount", "100 USDT"), ("chain", "tron")} <= found


def test_model_parse_carries_the_knowledge_base_hits(bot: Servers) -> None:
    """Rasa searched the knowledge base with its own embedding of the message (one encode
    per message, bot.kb_hits); the hits are the ones the action server's own search of
    the same index (the served one, var/faq_kb) gives."""
    from faq_kb.search import HybridKnowledgeBase

    served = HybridKnowledgeBase.load(kb_settings(), service_settings())
    question = "¿cuánto cuesta la comisión de red?"
    response = httpx.post(f"{bot.rasa_url}/model/parse", json={"text": question}, timeout=30)
    found = response.json()["knowledge_base"]
    assert found["index"] == served.fingerprint and found["text"] == question
    expected = served.search(question, 3)
    assert [h["id"] for h in found["hits"]] == [h.article_id for h in expected]
    assert [h["score"] for h in found["hits"]] == pytest.approx([h.score for h in expected])
