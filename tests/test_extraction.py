import subprocess
import sys

import pytest

from bot.nlu.amounts import normalise_amount, parse_number
from bot.nlu.extraction import extract
from bot.nlu.pipelines import tokens

EVM_HASH = "0x" + "ab" * 32
TRON_HASH = "cd" * 32
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def entities(text: str) -> list[tuple[str, str]]:
    return [(f.entity, f.value) for f in extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "昨天下午三点转了一百USDT到TRC20地址",
            [("time", "昨天下午三点"), ("amount", "100 USDT"), ("chain", "tron")],
        ),
        ("两个小时前转的0.5 ETH还没到", [("time", "两个小时前"), ("amount", "0.5 ETH")]),
        ("my 100u on tron hasnt arrived", [("amount", "100 USDT"), ("chain", "tron")]),
        ("sent yesterday at 3pm", [("time", "yesterday at 3pm")]),
        (
            "envié 50 usdt por bep20 hace 2 horas",
            [("amount", "50 USDT"), ("chain", "bsc"), ("time", "hace 2 horas")],
        ),
        ("USDT没到账", [("token", "USDT")]),
        (
            "2024-05-01 14:00 sent 1,000 USDT",
            [("time", "2024-05-01 14:00"), ("amount", "1000 USDT")],
        ),
        ("三天前转的", [("time", "三天前")]),
    ],
)
def test_extracts_chains_tokens_amounts_times(text: str, expected: list[tuple[str, str]]) -> None:
    assert entities(text) == expected


def test_hashes_and_addresses_are_found_and_not_read_as_amounts() -> None:
    found = entities(f"hash {EVM_HASH} to {EVM_ADDRESS}, tron tx {TRON_HASH}")
    assert ("tx_hash", EVM_HASH) in found
    assert ("tx_hash", TRON_HASH) in found
    assert ("address", EVM_ADDRESS) in found
    assert not [e for e in found if e[0] == "amount"]


@pytest.mark.parametrize(
    "text", ["can u help me", "good morning", "hola, ahora no puedo", "", "   "]
)
def test_ordinary_text_has_no_entities(text: str) -> None:
    assert extract(text) == []


def test_entity_offsets_point_into_the_original_text() -> None:
    text = "我转了100u到波场"
    for found in extract(text):
        assert text[found.start : found.end] == found.text


def test_tokens_split_mixed_scripts_with_original_offsets() -> None:
    text = "我的USDT没到账 100u"
    assert [w for w, _ in tokens(text)][:3] == ["我", "的", "USDT"]
    for word, start in tokens(text):
        assert text[start : start + len(word)] == word


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100u", "100 USDT"),
        ("一百 USDT", "100 USDT"),
        ("0.5 ETH", "0.5 ETH"),
        ("0,5 eth", "0.5 ETH"),
        ("$50", "50 USD"),
        ("1.5万", "15000"),
        ("2k usdt", "2000 USDT"),
        ("abc", None),
        ("100 apples", None),
    ],
)
def test_amounts(raw: str, expected: str | None) -> None:
    assert normalise_amount(raw) == expected


def test_numbers() -> None:
    assert parse_number("两千五") == 2500
    assert parse_number("1,000.5") == 1000.5
    assert parse_number("") is None


def test_importing_leaves_jiebas_dictionary_alone() -> None:
    code = (
        "import jieba, bot.nlu.extraction, bot.validation, bot.nlu.components\n"
        "assert not jieba.dt.initialized\n"
        "from bot.nlu.pipelines import tokens\n"
        "assert [w for w, _ in tokens('三天前转的')][:2] == ['三天', '前']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
