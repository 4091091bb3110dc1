"""Write guard/ordinary_pairs.txt: pairs of BIP39 list words seen side by side in what
users say to the bot (its NLU examples, the knowledge base's English and Spanish titles
and questions, the bot's responses and button titles). The guard passes a short message
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
    body = "".join(f"{a} {b}\n" for a, b in sorted(pairs))
    return HEADER.format(sources=", ".join(SOURCES)) + body


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
