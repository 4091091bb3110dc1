"""Write guard/ordinary_pairs.txt: pairs of BIP39 list words seen side by side in what
users say to the bot (its NLU examples, the knowledge base's English and Spanish titles
and questions, the bot's responses and button titles, and the everyday chat below that
the bot's data doesn't spell out: "hello there", "one more"). The guard passes a short message
of list words to the bot only when every two neighbouring words are such a pair
(guard/_pieces.py). Run it after changing those files; ``--check`` fails if the file is
stale (tests/test_guard_pieces.py runs it).

    .venv/bin/python scripts/ordinary_pairs.py [--check]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guard import ORDINARY_PAIRS, neighbour_pairs  # noqa: E402

SOURCES = ["nlu_data/*.yml", "faq_kb/articles/*.yml", "bot/domain/responses.yml"]
SKIPPED = {"answer", "zh"}  # answers are the bot's prose; Chinese has no Latin pairs
HEADER = "# Written by scripts/ordinary_pairs.py from {sources}: do not edit.\n"
# Everyday chat made of list words only. Each pair added here is one more that two
# random words of a phrase can make (docs/security.md gives the odds): add what users
# say, not every pair of common words.
CHAT = """
hello there. hello again. hello hello. hello anyone there. hello support
thank you. thank you again. thank you very much. thank you so much. thank you anyway
one more. one more thing. one more question. one moment. one second. one minute
again please. human again. agent again. help again. same again. same issue again
you there. still there. anyone there. are you there. is anyone there
any update. any news. any answer. any progress. any luck. any idea. what update
news about case. update about case. about case number. case closed. case update
what now. now what. what next. what else. what about now. what about that. what time
what happened. what is this. what is that. what fee. what network. why not
all good. all right. all done. all set. that is all. that was fast. that helps
good morning. good afternoon. good evening. good night. good day. good job. good idea
very good. very nice. very helpful. very slow. very bad. very angry. too slow
great job. nice one. well done. fair enough. sure thing. of course. no problem
just now. right now. not now. not yet. later then. talk later. see you later. see you soon
just a moment. just a second. wait a moment. wait a minute. hold on. never mind
please help. help please. help me please. need help. urgent help. help needed
real human. real person. live person. live agent. human agent. human please. agent please
talk to human. talk to agent. speak to human. speak to agent. call me. call me please
wrong address. wrong network. wrong amount. wrong token. wrong chain. wrong account
frozen account. account frozen. account locked. lost access. lost phone. new phone
cancel that. cancel order. cancel transfer. cancel please. stop please. stop that
check balance. account balance. balance wrong. gas fee. network fee. service fee. fee too high
transfer pending. transfer failed. deposit missing. payment missing. still pending. still waiting
change language. switch language. english please. spanish please. chinese please
yes please. no thank you. okay thank you. ok thank you. awesome thank you. perfect thank you
"""


def _strings(node: Any, key: str = "") -> Iterator[str]:
    if key in SKIPPED:
        return
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from _strings(value, str(name))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)


def _unannotated(line: str) -> str:
    """An NLU example without its entity marks: "[USDT](token)" is "USDT"."""
    return re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip().removeprefix("- "))


def render() -> str:
    pairs: set[tuple[str, str]] = set()
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
                for line in text.splitlines():
                    pairs |= neighbour_pairs(_unannotated(line))
    pairs |= neighbour_pairs(CHAT)
    body = "".join(f"{a} {b}\n" for a, b in sorted(pairs))
    return HEADER.format(sources=", ".join([*SOURCES, "CHAT"])) + body


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if ORDINARY_PAIRS.read_text(encoding="utf-8") != text:
            print(f"{ORDINARY_PAIRS} is stale: run scripts/ordinary_pairs.py", file=sys.stderr)
            return 1
        return 0
    ORDINARY_PAIRS.write_text(text, encoding="utf-8")
    print(f"{ORDINARY_PAIRS}: {text.count(chr(10)) - 1} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
