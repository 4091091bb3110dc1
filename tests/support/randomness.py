"""Seeded randomness: every test that wants random data takes a ``random.Random`` from
here, so a failure can be reproduced. The seed is printed in pytest's header; set
``TEST_SEED`` to run with another one."""

from __future__ import annotations

import os
import random

SEED = int(os.environ.get("TEST_SEED", "20261124"))


def seeded(name: str) -> random.Random:
    """A generator of its own for *name* (a test), derived from the run's seed."""
    return random.Random(f"{SEED}:{name}")


def recovery_phrase(rng: random.Random, language: str = "english", bits: int = 128) -> str:
    """A valid BIP-39 recovery phrase, from *rng* (``Mnemonic.generate`` uses the OS)."""
    from mnemonic import Mnemonic

    return str(Mnemonic(language).to_mnemonic(rng.randbytes(bits // 8)))
