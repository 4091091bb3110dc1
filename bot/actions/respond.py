"""``action_respond``: every question and every flow intent gets one decision
(:mod:`bot.decision`), carried out here: an article, a flow, a question back, or an
honest miss. Short follow-ups are read against the previous question first.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.callback import ActionStartCallback
from bot.actions.dialogue import (
    ActionPasswordReset,
    ActionStartCase,
    answer_has_phrase,
    case_reason,
    lacks_phrase,
    wants_human,
)
from bot.actions.faq import FAILED_TURNS_BEFORE_OFFER, check_pasted_hash, offer_human
from bot.actions.focus import chain_named, chain_title, lines_about, names_no_chain
from bot.actions.handoff import hand_off
from bot.actions.not_found import answer_not_found
from bot.actions.scam_report import reported_scam_article, with_scam_article
from bot.actions.shared import (
    knowledge_base,
    language_of,
    latest_text,
    render_response,
    search_latest,
)
from bot.actions.tickets import ActionTicketStatus
from bot.decision import ARTICLE_FLOWS, Candidate, Decision, decide
from common.payload import HandoffReason

# "and on TRON?", "什么意思", "¿y si no tengo la frase?": short, and leaning on what
# was said before.
FOLLOW_UP_MAX_CHARS = 40
# A follow-up whose own words find the previous article this far ahead of the next.
SINGLED_OUT = 2.0
_EXPLAIN = re.compile(
    r"^(什么意思|啥意思|不懂|没看懂|what do you mean|what does (that|this) mean|"
    r"i don'?t understand|¿?qu[eé] significa|no entiendo)[\s?？!！.。]*$",
    re.IGNORECASE,
)
# Words that lean on what came before: "and on TRON?", "那TRON上呢", "¿y en Ethereum?".
_LEANING = re.compile(
    r"^(and|what about|how about|what if|also|same)\b|^¿?(y|y si|qu[eé] pasa si|tambi[eé]n)\b|"
    r"^(那|还有|和|而且|那如果|如果是)|呢[？?]?$|也.{0,8}[吗嘛][？?]?$",
    re.IGNORECASE,
)
_FORMS = {
    "missing_transfer": "missing_transfer_form",
    "dispute": "dispute_form",
    "stolen_funds": "stolen_funds_form",
}


def _candidates(text: str, tracker: Tracker | None = None) -> list[Candidate]:
    """*tracker*: *text* is its latest message, which the NLU may have searched already."""
    if not text.strip() or text.startswith("/"):  # a button's payload is not a question
        return []
    hits = search_latest(tracker) if tracker else knowledge_base().search(text, k=3)
    return [Candidate(h.article_id, h.score) for h in hits]


def _previous_question(tracker: Tracker) -> str | None:
    """What the user wrote before this message, if anything."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return texts[-2] if len(texts) >= 2 and not texts[-2].startswith("/") else None


def _singles_out(text: str, tracker: Tracker, article: str) -> bool:
    """Whether *text* alone finds *article* first, at twice its runner-up or more."""
    found = _candidates(text, tracker)
    if not found or found[0].article != article:
        return False
    return len(found) < 2 or found[0].score >= SINGLED_OUT * found[1].score


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _off_topic(tracker: Tracker) -> float:
    """The NLU's probability that the message is out of scope, wherever it ranks."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    return max(
        (float(i.get("confidence") or 0.0) for i in ranking if i.get("name") == "out_of_scope"),
        default=0.0,
    )


def _chosen_article(tracker: Tracker) -> str | None:
    """The article a "did you mean" button named, if this message is that button."""
    if _intent(tracker)[0] != "choose_article":
        return None
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "article" and knowledge_base().article(str(entity["value"])):
            return str(entity["value"])
    return None


class ActionRespond(Action):
    def name(self) -> str:
        return "action_respond"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        if not text.strip():
            dispatcher.utter_message(response="utter_empty_message")
            return []
        answered = await answer_not_found(dispatcher, tracker)
        if answered is not None:
            return answered
        if tracker.get_slot("pending_question") == "has_recovery_phrase" and lacks_phrase(text):
            return answer_has_phrase(dispatcher, yes=False)  # read in context, not searched
        checked = await check_pasted_hash(dispatcher, tracker)
        if checked is not None:
            return checked
        chosen = _chosen_article(tracker)
        if chosen is not None:
            return self.answer(dispatcher, tracker, chosen)
        intent, confidence = _intent(tracker)
        decision = decide(
            intent, confidence, _candidates(text, tracker), off_topic=_off_topic(tracker)
        )
        decision = self.follow_up(tracker, text, decision)
        decision = with_scam_article(decision, reported_scam_article(tracker))
        return await self.carry_out(decision, dispatcher, tracker, domain)

    def follow_up(self, tracker: Tracker, text: str, first: Decision) -> Decision:
        """A short message after an answer: the previous question decides with it."""
        last = tracker.get_slot("last_article")
        previous = _previous_question(tracker)
        if not last or previous is None or len(text) > FOLLOW_UP_MAX_CHARS:
            return first
        if _EXPLAIN.match(text.strip()):
            return Decision("answer", article=last, rule="follow-up: explain again")
        leaning = _LEANING.search(text.strip())
        if first.kind == "out_of_scope" and not leaning and _singles_out(text, tracker, last):
            # "¿se puede exportar?" after the history answer: off-topic to the NLU alone,
            # but its own words find that article first, far ahead of any other.
            return Decision("answer", article=last, rule="follow-up: same article")
        # An answer stands, and so does an off-topic call: "what's the weather in Paris?"
        # after a fees answer searched together with the fees question finds fees.
        if first.kind in ("answer", "flow", "out_of_scope") and not leaning:
            return first
        # Together they are one support question, whatever the short part alone was.
        combined = decide("ask_faq", 1.0, _candidates(f"{previous} {text}"))
        if combined.kind == "answer":
            return Decision("answer", article=combined.article, rule="follow-up")
        return first

    async def carry_out(
        self,
        decision: Decision,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        if decision.kind == "answer" and decision.article is not None:
            if decision.article == tracker.get_slot("last_article"):
                focused = self.focused(dispatcher, tracker, domain, decision.article)
                if focused is not None:
                    return focused
            events = self.answer(dispatcher, tracker, decision.article)
            if decision.rule == "follow-up: explain again":  # the same words may not help
                dispatcher.utter_message(response="utter_anything_else")
            return events
        if decision.kind == "flow" and decision.flow is not None:
            return await self.start(decision.flow, dispatcher, tracker, domain)
        if decision.kind == "clarify":
            dispatcher.utter_message(json_message={"outcome": "clarify"})
            dispatcher.utter_message(
                response="utter_clarify", buttons=self.buttons(tracker, domain, decision.options)
            )
            return [SlotSet("last_article", None)]
        if decision.kind == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet("last_article", None)]
        return self.miss(dispatcher, tracker, domain, decision.options)

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, article: str
    ) -> list[EventType]:
        dispatcher.utter_message(text=knowledge_base().answer(article, language_of(tracker)))
        # Which article that text is: the gateway quotes it in an email's ticket reply.
        dispatcher.utter_message(json_message={"outcome": "answer", "article": article})
        events: list[EventType] = [
            SlotSet("failed_turns", 0),
            SlotSet("pending_question", None),
            SlotSet("last_article", article),
        ]
        if article == "account-locked":  # a lockout is worrying: a human is one tap away
            return [*events, *offer_human(dispatcher, HandoffReason.ACCOUNT_LOCKED)]
        return events

    def focused(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, article: str
    ) -> list[EventType] | None:
        """The same article again for a follow-up naming a chain: its lines on that chain,
        or, for an article about no chain in particular, that it is the same there."""
        chain = chain_named(latest_text(tracker))
        if chain is None:
            return None
        language = language_of(tracker)
        answer = knowledge_base().answer(article, language)
        lines = lines_about(answer, chain)
        intro = render_response(domain, "utter_on_chain", language)
        if lines and intro:
            text = "\n".join([intro.replace("{chain_name}", chain_title(chain)), *lines])
            dispatcher.utter_message(text=text)
        elif names_no_chain(answer):
            name = chain_title(chain)
            dispatcher.utter_message(response="utter_same_on_every_chain", chain_name=name)
        else:
            return None
        dispatcher.utter_message(json_message={"outcome": "answer", "article": article})
        events: list[EventType] = [SlotSet("failed_turns", 0), SlotSet("pending_question", None)]
        return [*events, SlotSet("last_article", article)]

    async def start(
        self, flow: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cleared: list[EventType] = [SlotSet("last_article", None)]
        if flow in _FORMS and wants_human(latest_text(tracker)):
            return [*cleared, *hand_off(dispatcher, tracker, case_reason(flow))]
        if flow in _FORMS:
            events = await ActionStartCase(flow).run(dispatcher, tracker, domain)
            return [*cleared, *events, FollowupAction(_FORMS[flow])]
        if flow == "password_reset":
            return [*cleared, *await ActionPasswordReset().run(dispatcher, tracker, domain)]
        if flow == "callback":
            events = await ActionStartCallback().run(dispatcher, tracker, domain)
            return [*cleared, *events, FollowupAction("callback_form")]
        if flow == "ticket_status":
            return [*cleared, *await ActionTicketStatus().run(dispatcher, tracker, domain)]
        if flow == "account_locked":
            return self.answer(dispatcher, tracker, "account-locked")
        if flow == "bot":
            dispatcher.utter_message(response="utter_iamabot")
            return cleared
        return [*cleared, *hand_off(dispatcher, tracker)]  # a complaint, or asking for a human

    def miss(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        options: tuple[str, ...],
    ) -> list[EventType]:
        failed = int(tracker.get_slot("failed_turns") or 0) + 1
        dispatcher.utter_message(json_message={"outcome": "miss"})  # the gateway's metrics
        buttons = self.buttons(tracker, domain, options)
        dispatcher.utter_message(response="utter_kb_miss", buttons=buttons)
        events: list[EventType] = [SlotSet("last_article", None)]
        if failed >= FAILED_TURNS_BEFORE_OFFER:
            offer = offer_human(dispatcher, HandoffReason.NO_ANSWER)
            return [*events, SlotSet("failed_turns", 0), *offer]
        return [*events, SlotSet("failed_turns", failed), SlotSet("pending_question", None)]

    @staticmethod
    def buttons(
        tracker: Tracker, domain: DomainDict, articles: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Each article by its title (a flow's article starts the flow); then a human."""
        language = language_of(tracker)
        kb = knowledge_base()
        buttons = []
        for article_id in articles:
            article = kb.article(article_id)
            if article is None:
                continue
            intent = ARTICLE_FLOWS.get(article_id)
            payload = f"/{intent}" if intent else f'/choose_article{{"article": "{article_id}"}}'
            buttons.append({"title": article.title(language), "payload": payload})
        if not buttons:
            return []
        human = render_response(domain, "utter_button_human", language)
        return [*buttons, {"title": human, "payload": "/request_human"}]
