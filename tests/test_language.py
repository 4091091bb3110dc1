import pytest

from bot.actions.language import choose_language
from common.language import detect_language, find_language, normalise_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USDT没到账", "zh"),
        ("我的转账一直没到", "zh"),
        ("my transfer did not arrive", "en"),
        ("where is my money", "en"),
        ("hola, olvidé mi contraseña", "es"),
        ("mi USDT no llego", "es"),
        ("quiero hablar con un agente", "es"),
    ],
)
def test_detects_supported_languages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "ok", "👍👍", "0x" + "a" * 64, "Привет", "こんにちは", "no"]
)
def test_no_signal_means_no_guess(text: str) -> None:
    assert detect_language(text) is None


def test_normalises_locales_and_names() -> None:
    assert normalise_language("zh-CN") == "zh"
    assert normalise_language("es_419") == "es"
    assert normalise_language("English") == "en"
    assert normalise_language("fr") is None
    assert normalise_language(None) is None


def test_finds_a_requested_language() -> None:
    assert find_language("说中文吧") == "zh"
    assert find_language("in English please") == "en"
    assert find_language("en español por favor") == "es"
    assert find_language("hola") is None


def test_choice_order_explicit_then_metadata_then_text() -> None:
    assert choose_language("es", True, "zh", "hello there my friend") == "es"
    assert choose_language(None, False, "zh-TW", "hello there") == "zh"
    assert choose_language("en", False, None, "mi USDT no llego") == "es"
    assert choose_language("zh", False, None, "ok") == "zh"
    assert choose_language(None, False, None, "🙂") == "en"
