"""The one decision: each rule of bot/decision.py, at its thresholds."""

from __future__ import annotations

import pytest

from bot.decision import Candidate, Decision, Thresholds, decide

T = Thresholds(
    intent=0.6,
    override=0.9,
    disagree=0.5,
    off_topic=0.15,
    answer=0.5,
    answer_question=0.3,
    margin=0.2,
    plausible=0.2,
)


def hits(*pairs: tuple[str, float]) -> list[Candidate]:
    return [Candidate(article, score) for article, score in pairs]


@pytest.mark.parametrize(
    ("intent", "confidence", "ranked", "expected"),
    [
        # A confident flow intent starts its flow when the KB agrees or is unsure.
        ("missing_transfer", 0.9, hits(("missing-transfer", 0.95)), Decision("flow", flow="missing_transfer", rule="intent")),
        ("missing_transfer", 0.9, hits(("wrong-network", 0.45)), Decision("flow", flow="missing_transfer", rule="intent")),
        # ... asks when the KB leans to another article ...
        ("account_locked", 0.9, hits(("login-failure", 0.7), ("account-locked", 0.1)), Decision("clarify", options=("login-failure", "account-locked"), rule="intent and knowledge base differ")),
        # ... and yields when the KB is very sure of another article.
        ("account_locked", 0.9, hits(("login-failure", 0.97), ("account-locked", 0.01)), Decision("answer", article="login-failure", rule="knowledge base over intent")),
        # An unsure flow intent is the KB's question.
        ("missing_transfer", 0.4, hits(("pending-transaction", 0.6)), Decision("answer", article="pending-transaction", rule="knowledge base")),
        # Out of scope stays out of scope unless the KB is very sure.
        ("out_of_scope", 0.8, hits(("service-hours", 0.7)), Decision("out_of_scope", rule="intent")),
        ("out_of_scope", 0.8, hits(("service-hours", 0.95)), Decision("answer", article="service-hours", rule="knowledge base")),
        # A confident support question accepts a modest KB score; anything else needs more.
        ("ask_faq", 0.9, hits(("network-fees", 0.35)), Decision("answer", article="network-fees", rule="knowledge base")),
        ("nlu_fallback", 0.3, hits(("network-fees", 0.35)), Decision("miss", options=("network-fees",), rule="knowledge base: not sure")),
        # Two close candidates: a question back.
        ("ask_faq", 0.9, hits(("phone-support", 0.45), ("service-hours", 0.4)), Decision("clarify", options=("phone-support", "service-hours"), rule="knowledge base: two close")),
        # Nothing plausible: a plain miss, no buttons.
        ("ask_faq", 0.9, hits(("security-measures", 0.1)), Decision("miss", options=(), rule="knowledge base: not sure")),
        ("ask_faq", 0.9, [], Decision("miss", options=(), rule="knowledge base: not sure")),
    ],
)  # fmt: skip
def test_each_rule(
    intent: str, confidence: float, ranked: list[Candidate], expected: Decision
) -> None:
    assert decide(intent, confidence, ranked, T) == expected


def test_the_flows_own_article_agreeing_never_overrides_it() -> None:
    ranked = hits(("password-reset", 0.99))
    assert decide("password_reset", 0.7, ranked, T).kind == "flow"


def test_a_flow_that_takes_both_close_articles_starts_instead_of_asking() -> None:
    """'Pending' and 'never arrived' are one form's cases: the hash lookup tells them apart."""
    pending = hits(("pending-transaction", 0.9), ("transaction-history", 0.05))
    assert decide("missing_transfer", 0.9, pending, T) == Decision(
        "flow", flow="missing_transfer", rule="intent"
    )
    close = hits(("pending-transaction", 0.45), ("missing-transfer", 0.4))
    assert decide("ask_faq", 0.9, close, T) == Decision(
        "flow", flow="missing_transfer", rule="knowledge base: two close, one flow takes both"
    )
    # Two close articles that no one flow takes are still a question back.
    other = hits(("pending-transaction", 0.45), ("network-fees", 0.4))
    assert decide("ask_faq", 0.9, other, T).kind == "clarify"
    # A clear 'pending' question is answered by its article, not the form.
    assert decide("ask_faq", 0.9, pending, T) == Decision(
        "answer", article="pending-transaction", rule="knowledge base"
    )


def test_asking_for_a_human_is_never_answered_with_an_article() -> None:
    """'Quiero hablar con un agente' ranks the complaint article high; the user still
    gets a human."""
    sure = hits(("complaint-feedback", 0.97), ("contact-channels", 0.1))
    assert decide("request_human", 0.8, sure, T) == Decision("flow", flow="human", rule="intent")
    # Unsure, it is the knowledge base's question like any other.
    assert decide("request_human", 0.4, sure, T).kind == "answer"


def test_an_off_topic_probability_beats_a_weak_article() -> None:
    """Out of scope need not rank first: an article for an off-topic question is worse."""
    ranked = hits(("phone-support", 0.6))
    assert decide("ask_faq", 0.8, ranked, T).kind == "answer"
    assert decide("ask_faq", 0.8, ranked, T, off_topic=0.3) == Decision(
        "out_of_scope", rule="intent"
    )
    assert decide("ask_faq", 0.8, hits(("phone-support", 0.95)), T, off_topic=0.3).kind == "answer"


def test_the_thresholds_in_use_keep_their_order() -> None:
    in_use = Thresholds()
    assert in_use.answer_question <= in_use.answer <= in_use.override
    assert in_use.disagree <= in_use.override
