"""The scam warning is precise: ordinary support questions that mention support,
verification, fees or accounts don't get it, and every real report does.

The labelled set is guard/eval/scam_reports.tsv (zh, en, es); docs/benchmarks.md has
the figures and how the detector was developed against half of it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from common.settings import ServiceSettings
from gateway.assembly import trusted_domains
from guard import reports_scam, scam_signals
from tests.support import ROOT

ROWS = [
    line.split("\t")
    for line in (ROOT / "guard" / "eval" / "scam_reports.tsv").read_text().splitlines()[1:]
    if line.strip()
]
DOMAINS = trusted_domains(ServiceSettings())


def test_the_set_is_big_enough() -> None:
    counts = Counter((language, label) for language, label, _ in ROWS)
    assert sum(n for (_, label), n in counts.items() if label == "ordinary") >= 100
    assert all(counts[(language, "report")] >= 15 for language in ("zh", "en", "es"))


@pytest.mark.parametrize("language", ["zh", "en", "es"])
def test_at_most_two_percent_false_warnings(language: str) -> None:
    ordinary = [text for lang, label, text in ROWS if lang == language and label == "ordinary"]
    warned = [text for text in ordinary if reports_scam(text, DOMAINS)]
    assert len(warned) / len(ordinary) <= 0.02, warned


@pytest.mark.parametrize("language", ["zh", "en", "es"])
def test_every_report_gets_the_warning(language: str) -> None:
    reports = [text for lang, label, text in ROWS if lang == language and label == "report"]
    assert [text for text in reports if not reports_scam(text, DOMAINS)] == []


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("客服让我先交保证金才能解冻", "fee_to_release"),
        ("客服让我交解冻费", "fee_to_release"),
        ("我已经交了解冻费还是提不出来", "fee_to_release"),
        ("support DMed me about my locked funds", "contacted"),
        ("they want me to sync my wallet at their site", "verify_wallet"),
        ("he sent me wallet-pro.apk", "sent_app"),
        ("download the new version from acme-wallet.cc/app", "link"),
        ("un tipo se hace pasar por soporte de Acme", "claims_to_be_support"),
        ("someone asked for my 12 words to verify my account, is that normal?", "asked_for_secret"),
        ("有人问我要私钥", "asked_for_secret"),
        ("me pidieron mi frase de recuperación", "asked_for_secret"),
    ],
)
def test_each_kind_of_report_is_named(text: str, signal: str) -> None:
    assert signal in scam_signals(text, DOMAINS)


@pytest.mark.parametrize(
    "text",
    [
        "how do I tell a real agent from a fake one?",
        "do you ever DM users on Telegram?",
        "is there a fee to withdraw to an exchange",
        "提现到交易所要手续费吗",
        "解冻费是什么意思",
        "账户冻结了怎么解冻",
        "where is the official download page",
        "my account is frozen after too many wrong passwords",
        "the explorer link is https://tronscan.org/#/transaction/abc",
        "will support ever ask for my recovery phrase?",
        "客服会问我要助记词吗",
        "¿ustedes piden la frase de recuperación?",
        "导入钱包的时候让我输入助记词，正常吗",
        "la app me pidió la frase al reinstalar",
    ],
)
def test_asking_about_scams_or_fees_is_not_a_report(text: str) -> None:
    assert scam_signals(text, DOMAINS) == []


@pytest.mark.parametrize(
    "text",
    [
        # The contact named after the verb: "me escribió un supuesto agente".
        "ayer me escribió un supuesto agente de soporte y quiere que le pase mis datos",
        # An installer sent by someone, in English and Spanish.
        "a stranger on telegram forwarded me an apk and says support wants me to use it",
        "someone sent me a link to grab the new pro version of the wallet, is that ok?",
        "me pasaron por telegram un enlace para instalar una versión mejorada de la app",
        # A fee to make the wallet work again; an installer named a few words on.
        "they emailed me that the wallet is disabled and I need to pay 20 USDT to reactivate",
        "对方说要付50U才能恢复提现",
        "朋友转发了一个钱包的“极速版”apk给我，能装吗",
        "me pasaron un apk con recompensas de staking, ¿lo instalo?",
    ],
)
def test_reports_worded_the_other_way_round_are_warned(text: str) -> None:
    assert reports_scam(text, DOMAINS)


@pytest.mark.parametrize(
    "text",
    [
        "my friend sent me a link to your official site",
        "¿me pueden mandar el enlace para descargar la app oficial?",
        "me llamó mi banco por otra cosa, ¿ustedes llaman a los clientes?",
        "after reinstalling, do I have to activate the wallet again?",
        # An amount sent and "arrive": an ordinary transfer question, not a fee.
        "转100U到交易所，多久能到账",
        "¿dónde descargo el apk oficial para instalarlo?",
    ],
)
def test_being_sent_something_ordinary_is_not_a_report(text: str) -> None:
    assert not reports_scam(text, DOMAINS)
