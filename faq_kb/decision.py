"""One decision per message: the NLU's intent and the knowledge base's ranking, together.

The intent classifier knows the flows (a missing transfer, a dispute, a forgotten
password...); the knowledge base knows which article answers a question, and says how
sure it is (a calibrated probability). Neither overrides the other blindly:

1. A flow intent that is confident (``intent``) starts its flow, unless the knowledge
   base is very sure (``override``) that another article answers the question: then
   that article is the answer ("the app closes on start" is a login failure, not a
   lockout, however much it sounds like one). When the knowledge base leans to
   another article without being that sure (``disagree``), the user is asked which
   they meant: that article, or the flow (its button starts it).
   Asking for a human is the exception: whatever the knowledge base thinks, a
   confident "talk to a human" gets one. A flow intent that is only the NLU's best
   guess (``agree``) starts its flow too when the knowledge base ranks the flow's own
   article first and the message passed the off-topic rule (2.): two signals that
   agree are not a weak one.
2. ``out_of_scope`` says so, unless the knowledge base is very sure all the same; so
   does a message the NLU gives even a modest out-of-scope probability (``off_topic``)
   when the knowledge base isn't very sure: an article for an off-topic question is
   worse than an honest "that's outside what I can help with". When the NLU's best
   guess is ``ask_faq``, that modest probability does not veto an article the
   knowledge base singles out (at least ``alone_score``, and ``alone`` times its
   runner-up): off-topic questions match several articles weakly, a support question
   worded unlike the examples matches its own article far ahead of the rest. (Flow
   intents keep the veto: an off-topic "reset my bank password" is a flow's words.)
3. Everything else is the knowledge base's: its top article is answered when it is
   sure enough and clearly ahead of the next (``margin``); two close candidates are a
   question back ("did you mean…"); a weak top is a plain miss, with the nearest
   articles offered when they are plausible (``plausible``). "Sure enough" is lower
   (``answer_question``) when the NLU is confident the message is a support question
   (``ask_faq``) than when it isn't (``answer``): the knowledge base ranks well even
   when its calibrated score is modest, and off-topic messages must not get articles.
   The article of a flow's own topic (a missing transfer, a dispute, a forgotten
   password) starts that flow instead: the form both explains and takes the case.

The bot imports it from ``bot.decision``; it lives here so the console's "Try it" runs
the same rule. The thresholds were chosen on the fresh dev split (``bot/eval/dev2.tsv``, written
after ``dev.tsv`` had leaked into the articles) and the odd half of the off-topic set
with ``scripts/tune_decision.py``, never on the test split, and re-checked on a third
split (``dev3.tsv``); docs/benchmarks.md has the figures. The function is pure, so the
tuner runs exactly what the bot runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["answer", "flow", "clarify", "miss", "out_of_scope"]


@dataclass(frozen=True)
class Candidate:
    article: str
    score: float  # calibrated: the probability that this article answers the question


@dataclass(frozen=True)
class Flow:
    name: str
    article: str  # the article about the same thing: the knowledge base agreeing with it
    # Other articles whose questions the flow also takes: its form finds out which case
    # it is (a transfer "still pending" and one "that never arrived" are told apart by
    # looking the hash up), so the knowledge base naming one of these agrees with it.
    also: tuple[str, ...] = ()
    # The user asked for it ("talk to a human"): no article talks them out of it.
    firm: bool = False
    # Whether the article is the flow's own: its questions are the flow's (not ask_faq
    # examples) and its "did you mean" button starts the flow. A callback only leans on
    # the phone article, which still answers "what's your number?".
    owns: bool = True

    @property
    def articles(self) -> tuple[str, ...]:
        return (self.article, *self.also)


# Intents that start something other than an article answer.
FLOWS: dict[str, Flow] = {
    "missing_transfer": Flow("missing_transfer", "missing-transfer", ("pending-transaction",)),
    "transaction_dispute": Flow("dispute", "transaction-dispute"),
    "stolen_funds": Flow("stolen_funds", "stolen-funds"),
    "password_reset": Flow("password_reset", "password-reset"),
    "account_locked": Flow("account_locked", "account-locked"),
    "ticket_status": Flow("ticket_status", "ticket-reply-time"),
    "complaint": Flow("complaint", "complaint-feedback"),
    "request_human": Flow("human", "contact-channels", firm=True),
    # "Are you a bot?" is answered as such, unless the knowledge base is sure the
    # user means something else ("how do you confirm it's really me?").
    "bot_challenge": Flow("bot", "contact-channels"),
    "request_callback": Flow("callback", "phone-support", owns=False),
}
# A flow's own topic: when the knowledge base answers with one of these, the flow is
# the answer (its form both explains and takes the case).
TOPIC_FLOWS = {
    "missing-transfer": "missing_transfer",
    "transaction-dispute": "dispute",
    "password-reset": "password_reset",
    "stolen-funds": "stolen_funds",
}
# The intent a clarifying button for an article sends: a flow's article starts the flow.
ARTICLE_FLOWS = {flow.article: intent for intent, flow in FLOWS.items() if flow.owns} | {
    "pending-transaction": "missing_transfer",
}


@dataclass(frozen=True)
class Thresholds:
    intent: float = 0.7  # a flow intent at least this confident starts its flow
    override: float = 0.7  # the knowledge base this sure of another article wins
    disagree: float = 0.6  # ... this sure: ask which one the user meant
    off_topic: float = 0.1  # out_of_scope this probable (top or not): out of scope
    answer: float = 0.4  # the knowledge base's top article is answered from here
    answer_question: float = 0.3  # ... or from here, for a confident ask_faq
    margin: float = 0.1  # ... when the second is at least this far behind
    plausible: float = 0.2  # worth offering as a button
    # A flow intent this confident (its best guess, under ``intent``) starts its flow
    # when the knowledge base ranks the flow's own article first.
    agree: float = 0.4
    # The top article this sure, and this many times as likely as the runner-up,
    # stands alone: for an ask_faq message a modest out-of-scope probability doesn't
    # veto it.
    alone_score: float = 0.6
    alone: float = 3.0


@dataclass(frozen=True)
class Decision:
    kind: Kind
    article: str | None = None  # "answer"
    flow: str | None = None  # "flow": a name from FLOWS
    options: tuple[str, ...] = field(default_factory=tuple)  # "clarify" and "miss"
    rule: str = ""  # which rule decided, for logs and the evaluation report


def decide(
    intent: str | None,
    confidence: float,
    hits: list[Candidate],
    thresholds: Thresholds | None = None,
    off_topic: float = 0.0,
) -> Decision:
    """*off_topic* is the NLU's probability for ``out_of_scope``, wherever it ranks."""
    t = thresholds or Thresholds()
    top = hits[0] if hits else None
    flow = FLOWS.get(intent or "")
    if flow is not None and confidence >= t.intent:
        if flow.firm or top is None or top.article in flow.articles or top.score < t.disagree:
            return Decision("flow", flow=flow.name, rule="intent")
        if top.score < t.override:
            options = (top.article, flow.article)
            return Decision("clarify", options=options, rule="intent and knowledge base differ")
        return _from_knowledge_base(hits, t, "knowledge base over intent")
    sure_out_of_scope = intent == "out_of_scope" and confidence >= t.intent
    vetoed = sure_out_of_scope or off_topic >= t.off_topic
    singled_out = intent == "ask_faq" and _stands_alone(hits, t)
    if vetoed and (top is None or top.score < t.override) and not singled_out:
        return Decision("out_of_scope", rule="intent")
    # Only the flow's own article agrees: one the form merely also takes (a pending
    # transfer) is still answered by its article when the intent is unsure.
    agreed = flow is not None and top is not None and top.article == flow.article
    if flow is not None and agreed and flow.owns and confidence >= t.agree:
        return Decision("flow", flow=flow.name, rule="intent and knowledge base agree")
    question = intent == "ask_faq" and confidence >= t.intent
    return _from_knowledge_base(hits, t, "knowledge base", question)


def _from_knowledge_base(
    hits: list[Candidate], t: Thresholds, rule: str, question: bool = False
) -> Decision:
    plausible = tuple(h.article for h in hits[:2] if h.score >= t.plausible)
    if not hits or hits[0].score < (t.answer_question if question else t.answer):
        return Decision("miss", options=plausible, rule=f"{rule}: not sure")
    top, second = hits[0], hits[1] if len(hits) > 1 else None
    if second is not None and second.score >= t.plausible and top.score - second.score < t.margin:
        both = _one_flow_takes(top.article, second.article)
        if both is not None:
            return Decision("flow", flow=both, rule=f"{rule}: two close, one flow takes both")
        return Decision("clarify", options=plausible, rule=f"{rule}: two close")
    if top.article in TOPIC_FLOWS:
        return Decision("flow", flow=TOPIC_FLOWS[top.article], rule=f"{rule}: the flow's topic")
    return Decision("answer", article=top.article, rule=rule)


def _stands_alone(hits: list[Candidate], t: Thresholds) -> bool:
    """The knowledge base leans to its top article and ranks nothing else near it."""
    if not hits or hits[0].score < t.alone_score:
        return False
    # Without a runner-up there is nothing to stand apart from: the veto holds.
    return len(hits) >= 2 and hits[0].score >= t.alone * hits[1].score


def _one_flow_takes(first: str, second: str) -> str | None:
    """The topic flow whose articles include both, if any: no need to ask which."""
    for flow in FLOWS.values():
        if flow.article in TOPIC_FLOWS and {first, second} <= set(flow.articles):
            return TOPIC_FLOWS[flow.article]
    return None
