"""``action_respond`` with the real knowledge base: articles, flows, questions back,
honest misses, and follow-ups read against the previous question."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import FollowupAction

from bot.actions.focus import chain_named, lines_about
from bot.actions.respond import ActionRespond
from common.payload import HandoffPayload
from tests.support.trackers import load_domain, responses, run, said, tracker


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


def followups(kb: Any, domain: dict[str, Any], t: Any) -> list[dict[str, Any]]:
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    return list(asyncio.run(ActionRespond().run(CollectingDispatcher(), t, domain)))


def test_a_flow_intent_starts_its_form(kb: Any, domain: dict[str, Any]) -> None:
    t = tracker("my 100 USDT never arrived", "missing_transfer", confidence=0.97)
    events = followups(kb, domain, t)
    assert FollowupAction("missing_transfer_form") in events
    dispute = tracker("the seller never delivered", "transaction_dispute", confidence=0.97)
    assert FollowupAction("dispute_form") in followups(kb, domain, dispute)


def test_a_question_about_disputes_starts_the_dispute_form_as_a_dispute(
    kb: Any, domain: dict[str, Any]
) -> None:
    """The NLU says ask_faq; the knowledge base names the dispute article, whose flow is
    the dispute form. It is introduced as a dispute (not as a missing transfer, the
    intro the NLU's intent used to pick), and an agent sees it as one."""
    text = "how long does a transaction dispute take to get resolved?"
    assert kb.search(text)[0].article_id == "transaction-dispute"
    t = tracker(text, "ask_faq", confidence=0.95)
    messages, slots = run(ActionRespond(), t, domain)
    assert responses(messages) == ["utter_dispute_intro"]
    assert slots["handoff_reason"] == "dispute"
    assert FollowupAction("dispute_form") in followups(kb, domain, t)


def test_a_confident_knowledge_base_overrides_a_flow_intent(
    kb: Any, domain: dict[str, Any]
) -> None:
    """'The app crashes' sounds like a lockout to the NLU; the KB knows it's a login failure."""
    t = tracker("the app crashes every time I open it", "account_locked", confidence=0.9)
    assert kb.search(t.latest_message["text"])[0].article_id == "login-failure"
    messages, slots = run(ActionRespond(), t, domain)
    if slots.get("last_article") == "login-failure":
        assert "utter_offer_human" not in responses(messages)  # that was the lockout's
    else:  # the KB is less sure than the override threshold: it asks instead of guessing
        assert responses(messages) == ["utter_clarify"]
        payloads = [b["payload"] for b in messages[-1]["buttons"]]
        assert '/choose_article{"article": "login-failure"}' in payloads


def test_a_general_ticket_question_is_not_a_status_lookup(kb: Any, domain: dict[str, Any]) -> None:
    """The NLU calls it a question (ask_faq 0.92); the KB knows which one."""
    t = tracker("could I open a ticket instead?", "ask_faq", confidence=0.92)
    messages, slots = run(ActionRespond(), t, domain)
    assert "utter_ticket_none" not in responses(messages)
    assert slots.get("last_article") == "submit-ticket"


def test_are_you_a_bot_is_answered_but_a_real_question_is_not_taken_for_it(
    kb: Any, domain: dict[str, Any]
) -> None:
    bot = tracker("am I talking to a real person?", "bot_challenge", confidence=0.8)
    assert responses(run(ActionRespond(), bot, domain)[0]) == ["utter_iamabot"]
    meant = tracker("how do you confirm it's really me?", "bot_challenge", confidence=0.55)
    _, slots = run(ActionRespond(), meant, domain)
    assert slots.get("last_article") == "identity-verification"


def test_a_did_you_mean_button_answers_its_article(kb: Any, domain: dict[str, Any]) -> None:
    pressed = tracker(
        '/choose_article{"article": "phone-support"}',
        "choose_article",
        confidence=1.0,
        entities=[{"entity": "article", "value": "phone-support"}],
        slots={"language": "es"},
    )
    messages, slots = run(ActionRespond(), pressed, domain)
    assert slots["last_article"] == "phone-support"
    assert "+1 555 0100" in messages[0]["text"]


def test_an_unsure_miss_offers_the_nearest_articles_and_a_human(
    kb: Any, domain: dict[str, Any]
) -> None:
    t = tracker(
        "tengo una duda con la comisión", "nlu_fallback", confidence=0.3, slots={"language": "es"}
    )
    messages, slots = run(ActionRespond(), t, domain)
    kinds = responses(messages)
    if kinds == ["utter_kb_miss"]:
        buttons = messages[-1].get("buttons") or []
        if buttons:  # the nearest plausible articles, then a human, in Spanish
            assert buttons[-1] == {"title": "Hablar con un agente", "payload": "/request_human"}
    else:
        assert slots.get("last_article")  # or it was sure enough to answer


FOLLOW_UPS = [
    ("en", "what are the network fees?", "and on TRON?", "network-fees"),
    ("en", "why is my transaction pending?", "what about on Ethereum?", "pending-transaction"),
    ("en", "how do I back up my recovery phrase?", "what do you mean?", "seed-phrase-safety"),
    ("zh", "转账手续费怎么算", "那TRON上呢", "network-fees"),
    ("zh", "交易一直pending怎么办", "以太坊上也这样吗", "pending-transaction"),
    ("zh", "怎么备份助记词", "什么意思", "seed-phrase-safety"),
    ("es", "¿cuánto cuesta la comisión de red?", "¿y en TRON?", "network-fees"),
    ("es", "mi transacción sigue pendiente", "¿y en Ethereum?", "pending-transaction"),
    ("es", "¿cómo guardo mi frase de recuperación?", "¿qué significa?", "seed-phrase-safety"),
]


@pytest.mark.parametrize(("language", "first", "then", "article"), FOLLOW_UPS)
def test_a_short_follow_up_is_read_against_the_previous_question(
    kb: Any, domain: dict[str, Any], language: str, first: str, then: str, article: str
) -> None:
    slots = {"language": language, "last_article": article}
    t = tracker(then, "nlu_fallback", confidence=0.3, slots=slots, events=[said(first)])
    messages, set_slots = run(ActionRespond(), t, domain)
    assert set_slots["last_article"] == article
    shown, whole = messages[0]["text"], kb.answer(article, language)
    if chain_named(then):  # the article's lines on that chain, not all of it again
        _, *lines = shown.splitlines()
        assert lines and all(line in whole for line in lines) and shown != whole
    else:
        assert shown == whole
    # Without the previous question the same words are not answered with it.
    alone = tracker(then, "nlu_fallback", confidence=0.3, slots={"language": language})
    _, alone_slots = run(ActionRespond(), alone, domain)
    assert alone_slots.get("last_article") != article


@pytest.mark.parametrize(
    ("language", "first", "then"),
    [
        ("en", "how much is the network fee?", "what's the weather in Paris?"),
        ("es", "¿cuánto cuesta la comisión de red?", "¿quién ganó el partido?"),
        ("zh", "网络手续费多少钱", "今天天气怎么样"),
    ],
)
def test_an_off_topic_question_after_an_answer_stays_off_topic(
    kb: Any, domain: dict[str, Any], language: str, first: str, then: str
) -> None:
    """Seen in the web chat: searched together with the fees question, the weather
    question found the fees article, and the user got it a second time."""
    slots = {"language": language, "last_article": "network-fees"}
    t = tracker(then, "out_of_scope", confidence=0.95, slots=slots, events=[said(first)])
    messages, set_slots = run(ActionRespond(), t, domain)
    assert responses(messages) == ["utter_out_of_scope"]
    assert set_slots.get("last_article") is None
    # Words that lean on the previous question are still read with it.
    lean = {"en": "and what about on TRON?", "es": "¿y en TRON?", "zh": "那TRON上呢"}[language]
    t = tracker(lean, "out_of_scope", confidence=0.95, slots=slots, events=[said(first)])
    _, set_slots = run(ActionRespond(), t, domain)
    assert set_slots["last_article"] == "network-fees"


@pytest.mark.parametrize(
    ("language", "then"),
    [
        ("en", "what if I don't have the recovery phrase either?"),
        ("en", "and if I lost the phrase?"),
        ("es", "¿y si no tengo la frase?"),
        ("es", "también la perdí, ¿qué hago?"),
        ("zh", "那如果助记词也没有呢"),
        ("zh", "助记词早就找不到了"),
    ],
)
def test_a_worded_no_to_the_phrase_question_is_read_as_the_answer(
    kb: Any, domain: dict[str, Any], language: str, then: str
) -> None:
    """Seen in the web chat: after "do you still have the recovery phrase?", the
    issue's own example "¿y si no tengo la frase?" got "no article found", and "what if
    I don't have the recovery phrase either?" the article on keeping a phrase safe."""
    asked = {"language": language, "pending_question": "has_recovery_phrase"}
    t = tracker(then, "ask_faq", confidence=0.6, slots=asked, events=[said("forgot password")])
    messages, slots = run(ActionRespond(), t, domain)
    assert responses(messages) == ["utter_password_no_phrase", "utter_offer_human"]
    assert slots["handoff_reason"] == "password_lost"
    # Without the question the same words are a question of their own.
    alone = tracker(then, "ask_faq", confidence=0.6, slots={"language": language})
    messages, _ = run(ActionRespond(), alone, domain)
    assert "utter_password_no_phrase" not in responses(messages)


def test_another_question_while_the_phrase_question_is_open_gets_its_article(
    kb: Any, domain: dict[str, Any]
) -> None:
    asked = {"language": "en", "pending_question": "has_recovery_phrase"}
    t = tracker("how much is the network fee on TRON?", "ask_faq", confidence=0.9, slots=asked)
    _, slots = run(ActionRespond(), t, domain)
    assert slots["last_article"] == "network-fees"
    assert slots["pending_question"] is None


FEES_QUESTION = {
    "en": "what are the network fees?",
    "zh": "转账手续费怎么算",
    "es": "¿cuánto cuesta la comisión de red?",
}


@pytest.mark.parametrize(
    ("language", "then", "intro", "kept", "left_out"),
    [
        ("es", "¿y en Ethereum?", "En Ethereum (ERC20):", "ETH en Ethereum", "ancho de banda"),
        ("zh", "那TRON上呢", "在 TRON (TRC20) 上：", "燃烧TRX", "EVM链"),
        ("en", "and on BSC?", "On BNB Chain (BEP20):", "BNB on BSC", "bandwidth"),
    ],
)
def test_a_follow_up_naming_a_chain_gets_the_article_s_lines_on_it(
    kb: Any,
    domain: dict[str, Any],
    language: str,
    then: str,
    intro: str,
    kept: str,
    left_out: str,
) -> None:
    """Seen in the web chat: "¿y en Ethereum?" after the fees answer got the whole fees
    article again, word for word."""
    slots = {"language": language, "last_article": "network-fees"}
    before = [said(FEES_QUESTION[language])]
    t = tracker(then, "nlu_fallback", confidence=0.3, slots=slots, events=before)
    messages, set_slots = run(ActionRespond(), t, domain)
    text = messages[0]["text"]
    assert text.startswith(intro), text
    assert kept in text and left_out not in text
    assert messages[1]["custom"] == {"outcome": "answer", "article": "network-fees"}
    assert set_slots["last_article"] == "network-fees"
    # Asked to explain, naming no chain: the whole article again.
    again = {"en": "what do you mean?", "zh": "什么意思", "es": "¿qué significa?"}[language]
    t = tracker(again, "nlu_fallback", confidence=0.3, slots=slots, events=before)
    messages, _ = run(ActionRespond(), t, domain)
    assert messages[0]["text"] == kb.answer("network-fees", language)


def test_lines_about_a_chain_stand_alone_and_never_all_or_none() -> None:
    answer = "Fees.\n1. ETH on Ethereum, BNB on BSC.\n2. TRON burns TRX.\n3. A method."
    assert lines_about(answer, "ethereum") == ["ETH on Ethereum, BNB on BSC."]
    assert lines_about(answer, "tron") == ["TRON burns TRX."]
    assert lines_about(answer, "solana") == []  # no line: the whole answer
    assert lines_about("Fees.\n1. On TRON.\n2. TRX too.", "tron") == []  # every line
    assert chain_named("那TRON上呢") == "tron" and chain_named("以太坊上也这样吗") == "ethereum"
    assert chain_named("and on BSC or TRON?") is None  # two chains: not one of them
    assert chain_named("what's the method?") is None  # "eth" inside a word


@pytest.mark.parametrize(
    ("language", "first", "then"),
    [
        ("es", "¿cómo veo mi historial de transacciones?", "¿se puede exportar?"),
        ("en", "how do I see my transaction history?", "can I export it?"),
        ("zh", "怎么查看交易记录", "能导出吗"),
    ],
)
def test_a_follow_up_the_nlu_calls_off_topic_is_answered_when_its_words_find_the_article(
    kb: Any, domain: dict[str, Any], language: str, first: str, then: str
) -> None:
    """Seen in the web chat: "¿se puede exportar?" after the history answer (ask_faq 0.62,
    out_of_scope 0.28) was told it is outside what the bot helps with."""

    def asked(last: str) -> Any:
        slots = {"language": language, "last_article": last}
        t = tracker(then, "ask_faq", confidence=0.62, slots=slots, events=[said(first)])
        ranking = [("ask_faq", 0.62), ("out_of_scope", 0.28)]
        t.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
        return t

    messages, set_slots = run(ActionRespond(), asked("transaction-history"), domain)
    assert messages[0]["text"] == kb.answer("transaction-history", language)
    assert set_slots["last_article"] == "transaction-history"
    # After another answer the previous article is not what the words find: it isn't
    # repeated (since the articles' tenth round the words alone find the history article,
    # the only one about exporting, as a new question; before it, they were off-topic).
    messages, set_slots = run(ActionRespond(), asked("network-fees"), domain)
    assert kb.answer("network-fees", language) not in [m.get("text") for m in messages]
    assert set_slots.get("last_article") != "network-fees"


@pytest.mark.parametrize(
    ("language", "text", "intent", "reason"),
    [
        ("es", "quiero hablar con un agente, mi transferencia de 50 USDT no llega",
         "missing_transfer", "missing_transfer"),
        ("en", "I want to talk to a human, the seller never delivered what I paid for",
         "transaction_dispute", "dispute"),
        ("zh", "转人工，我的钱包被盗了", "stolen_funds", "stolen_funds"),
    ],
)  # fmt: skip
def test_a_case_asked_for_with_a_person_goes_to_one_at_once(
    kb: Any, domain: dict[str, Any], language: str, text: str, intent: str, reason: str
) -> None:
    """Seen in the web chat: "quiero hablar con un agente, mi transferencia de 50 USDT no
    llega" (missing_transfer 0.97, request_human 0.03) started the form's questions."""
    t = tracker(text, intent, confidence=0.97, slots={"language": language})
    messages, _ = run(ActionRespond(), t, domain)
    assert responses(messages)[0].startswith("utter_handoff")
    assert HandoffPayload.from_message(messages[1]["custom"]).reason == reason
    assert not [e for e in followups(kb, domain, t) if e.get("event") == "followup"]
    # Without asking for a person, the form asks its questions first.
    plain = text.split(",", 1)[-1].split("，", 1)[-1].strip()
    t = tracker(plain, intent, confidence=0.97, slots={"language": language})
    assert [e for e in followups(kb, domain, t) if e.get("event") == "followup"]


@pytest.mark.parametrize(
    ("language", "first", "then"),
    [
        ("en", "i sent usdt to the wrong adress can i get it back", "what about if it was on BSC?"),
        ("es", "mandé usdt a una direccion equivocada, se puede recuperar?", "¿y si fue en BSC?"),
        ("zh", "我转错地址了还能追回吗", "如果是BSC链呢"),
    ],
)
def test_a_chain_asked_about_after_an_article_about_no_chain_is_told_it_is_the_same(
    kb: Any, domain: dict[str, Any], language: str, first: str, then: str
) -> None:
    """Seen in the web chat: "what about if it was on BSC?" after the wrong-address
    answer got that whole answer again, word for word."""
    slots = {"language": language, "last_article": "wrong-transfer"}
    t = tracker(then, "nlu_fallback", confidence=0.3, slots=slots, events=[said(first)])
    messages, set_slots = run(ActionRespond(), t, domain)
    assert responses(messages) == ["utter_same_on_every_chain"]
    assert messages[0]["chain_name"] == "BNB Chain (BEP20)"
    assert set_slots["last_article"] == "wrong-transfer"
