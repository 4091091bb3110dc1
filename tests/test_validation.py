import pytest

from bot.validation import (
    UNKNOWN,
    address_family,
    check_address,
    check_tx_hash,
    find_amount,
    find_chain,
    find_token,
    is_dont_know,
)

EVM_HASH = "0x" + "1f" * 32
HEX_HASH = "2e" * 32
CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"
TRON = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"  # a real, well-known TRON address


def test_tx_hash_format_depends_on_the_chain() -> None:
    assert check_tx_hash(EVM_HASH, "ethereum").value == EVM_HASH
    assert check_tx_hash(EVM_HASH, "tron").value is None
    assert check_tx_hash(HEX_HASH, "tron").value == HEX_HASH
    assert check_tx_hash(HEX_HASH, "bsc").value is None
    assert check_tx_hash(HEX_HASH, None).value == HEX_HASH


def test_tx_hash_inside_an_explorer_link() -> None:
    assert check_tx_hash(f"https://etherscan.io/tx/{EVM_HASH}", "ethereum").value == EVM_HASH


@pytest.mark.parametrize("bad", ["0xabc", "yesterday 3pm", "0x" + "g" * 64, "1" * 63, ""])
def test_bad_hashes_are_refused_with_the_expected_format(bad: str) -> None:
    check = check_tx_hash(bad, "ethereum")
    assert check.value is None
    assert "64" in check.expected


def test_evm_checksum_is_enforced_for_mixed_case() -> None:
    assert check_address(CHECKSUMMED, "ethereum").value == CHECKSUMMED
    assert check_address(CHECKSUMMED.lower(), "bsc").value == CHECKSUMMED.lower()
    typo = CHECKSUMMED[:-1] + "e"
    assert check_address(typo, "ethereum").value is None


def test_tron_addresses_need_a_valid_checksum() -> None:
    assert check_address(TRON, "tron").value == TRON
    assert check_address(TRON[:-1] + "9", "tron").value is None
    assert check_address(CHECKSUMMED, "tron").value is None
    assert address_family(TRON) == "tron"
    assert address_family(UNKNOWN) is None


@pytest.mark.parametrize(
    "text", ["I don't know", "dont know", "不知道", "不清楚", "no sé", "ni idea"]
)
def test_dont_know(text: str) -> None:
    assert is_dont_know(text)


@pytest.mark.parametrize("text", ["no", "TRON", "100u", "nothing arrived"])
def test_answers_are_not_dont_know(text: str) -> None:
    assert not is_dont_know(text)


def test_chain_token_amount_answers() -> None:
    assert find_chain("波场") == "tron"
    assert find_chain("bep20") == "bsc"
    assert find_chain("the blue one") is None
    assert find_token("usdt") == "USDT"
    assert find_token("PEPE") == "PEPE"
    assert find_token("I sent some stuff") is None
    assert find_amount("100u") == "100 USDT"
    assert find_amount("一百 USDT") == "100 USDT"
    assert find_amount("250") == "250"
    assert find_amount("a lot") is None
