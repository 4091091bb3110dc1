"""Build at start-up what the first form turn would otherwise build while a user waits.

The form validators and Rasa's entity extractor share the spaCy pipelines of
:mod:`bot.nlu.pipelines`, built on first use, one per language. The first build
imports spaCy's registry, which pulls in TensorFlow and JAX: on a fresh action server
the first form turn's first validator call took 2.8 s on a quiet machine and 7 s at
load 4 (docs/benchmarks.md, "The first form turn"), on top of Rasa's own first parse
(2.0 s for Chinese). Under load that outlasted the gateway's wait for Rasa. The time
parser's first call loads dateparser's data (0.5 s), and the first EVM address check
eth-utils' keccak (0.06 s).

:func:`warm_up` runs each of them once, on texts in every language the bot serves.
The action server calls it at import (bot/actions/__init__.py); the Rasa server parses
:data:`SAMPLES` through its agent before it accepts connections (bot/rasa_server.py).
"""

from __future__ import annotations

import time

from bot.nlu.extraction import extract
from bot.nlu.timeparse import parse_time
from bot.validation import check_address

# One message per language with every kind of entity the forms ask for.
SAMPLES = (
    "我昨天下午三点在波场上转了100u到TRC20地址，还没到账",
    "I sent 100 USDT on TRON yesterday at 3pm and it never arrived",
    "envié 100 USDT por TRON ayer a las 3 y no llegaron",
)
_TIMES = ("昨天下午三点", "yesterday at 3pm", "ayer a las 3", "2026-11-03 15:00")


def warm_up() -> float:
    """Build the pipelines and load the parsers; the seconds it took."""
    started = time.monotonic()
    for text in SAMPLES:
        extract(text)
    for when in _TIMES:
        parse_time(when)
    check_address("0x" + "12" * 20, None)
    return time.monotonic() - started
