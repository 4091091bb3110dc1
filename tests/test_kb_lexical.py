"""The lexical ranker's word tokens: Spanish inflections meet, amounts and Chinese stay whole."""

from __future__ import annotations

from faq_kb.lexical import LexicalRanker, tokenise


def test_inflected_spanish_words_share_a_token() -> None:
    assert tokenise("comisión") == tokenise("comisiones") == tokenise("Comisiones")
    assert tokenise("¿Cuánto cobran?") == tokenise("cuanto cobra")


def test_amounts_are_kept_whole() -> None:
    assert tokenise("100 USDT") != tokenise("100000 USDT")


def test_chinese_words_are_not_cut() -> None:
    assert "手续费" in tokenise("转账手续费多少")


def test_an_inflected_question_finds_its_document() -> None:
    documents = ["¿Ustedes se quedan con la comisión de red?", "¿Dónde veo mis movimientos?"]
    ranker = LexicalRanker().fit(documents)
    scores = ranker.similarities(["me cobraron comisiones altísimas"])[0]
    assert scores[0] > scores[1]
