"""Every presence the agent API can report has words in each console language.

Seen trying the console: a colleague whose console was closed showed in the transfer
list as "Admin (p_offline)", the text key itself (texts.js had only online and away).
"""

from __future__ import annotations

import re
import typing

from handoff.api.schemas import AgentOut
from tests.support import ROOT

TEXTS = ROOT / "handoff" / "console" / "static" / "texts.js"


def test_each_presence_the_api_reports_has_words_in_every_language() -> None:
    source = TEXTS.read_text(encoding="utf-8")
    table = source[source.index("const TEXT = {") : source.index("\n};\n")]
    # One block per language: `  en: {` … `  },`.
    blocks = re.findall(r"^  (\w\w): \{\n(.*?)^  \},", table, re.S | re.M)
    assert {code for code, _ in blocks} >= {"en", "zh"}
    presences = typing.get_args(AgentOut.__fields__["presence"].outer_type_)
    assert set(presences) >= {"online", "away", "offline"}
    for code, block in blocks:
        for presence in presences:
            assert re.search(rf"^\s+p_{presence}: \"[^\"]+\",", block, re.M), (code, presence)
