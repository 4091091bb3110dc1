"""Train the Rasa model only when something it depends on changed.

The model's name is a hash of everything that shapes it: config, domain,
rules, NLU data, the custom NLU components' source and the pinned packages.
``python -m bot.train`` prints the model path, training first if needed.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from bot.nlu.kb_examples import ask_faq_examples, write_ask_faq
from common.settings import ROOT

MODELS = ROOT / "var" / "models"
INPUTS = ("config.yml", "bot/domain", "bot/data", "nlu_data", "bot/nlu", "requirements/lock.txt")
ARTICLES = ROOT / "faq_kb" / "articles"
# The articles' example questions are ask_faq training data (bot/nlu/kb_examples.py).
GENERATED = ROOT / "var" / "nlu_generated"


def _files() -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = ROOT / name
        files.extend(
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
    return files


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    for example in ask_faq_examples(ARTICLES, ROOT / "nlu_data"):
        digest.update(example.encode())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"{fingerprint()}.tar.gz"


def train(force: bool = False) -> Path:
    path = model_path()
    if path.exists() and not force:
        print(f"bot.train: model {path.name} is up to date", file=sys.stderr)
        return path
    MODELS.mkdir(parents=True, exist_ok=True)
    write_ask_faq(ARTICLES, ROOT / "nlu_data", GENERATED)
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        str(ROOT / "config.yml"),
        "--domain",
        str(ROOT / "bot" / "domain"),
        "--data",
        str(ROOT / "nlu_data"),
        str(ROOT / "bot" / "data"),
        str(GENERATED),
        "--out",
        str(MODELS),
        "--fixed-model-name",
        path.name.removesuffix(".tar.gz"),
    ]
    if force:
        command.append("--force")  # also bypass Rasa's own per-component cache
    print("bot.train: training", path.name, file=sys.stderr)
    subprocess.run(command, check=True, cwd=ROOT)
    for stale in MODELS.glob("*.tar.gz"):
        if stale != path:
            stale.unlink()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.train", description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if up to date")
    parser.add_argument("--print-path", action="store_true", help="only print the model path")
    args = parser.parse_args()
    if args.print_path:
        print(model_path())
        return 0
    print(train(force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
