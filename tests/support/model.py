"""The trained Rasa model, found (and trained, when stale) in one place.

``python -m bot.train`` is what ``make run`` runs: it trains only when the model's
inputs changed, and prints the path ``bot.train.model_path()`` names, which is also
where ``scripts/serve.sh rasa`` looks. Every test that starts Rasa calls
:func:`trained_model` first, whichever test runs first.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

TRAIN_SECONDS = 1800


@functools.cache
def trained_model(tree: Path = ROOT) -> Path:
    """The model of the checkout at *tree* (this one, or another revision's export)."""
    from bot.train import model_path

    done = subprocess.run(
        [sys.executable, "-m", "bot.train"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=TRAIN_SECONDS,
    )
    assert done.returncode == 0, f"python -m bot.train failed:\n{done.stderr[-3000:]}"
    printed = Path(done.stdout.strip().splitlines()[-1])
    if tree == ROOT:  # this process imports this checkout's bot.train
        expected = model_path()
        assert printed == expected, f"bot.train printed {printed}, model_path() is {expected}"
    assert printed.is_file(), f"no model at {printed} after training"
    return printed
