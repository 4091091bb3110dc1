"""The index's manifest: which articles, model and format an index on disk was built from.

Apart from :mod:`faq_kb.index` (which imports faiss and scikit-learn, seconds of CPU),
so that ``python -m faq_kb build`` finds an up-to-date index cheaply on every ``make run``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from faq_kb.articles import content_hash

FORMAT_VERSION = "6"
_FILES = ("manifest.json", "entries.json", "dense.faiss", "lexical.joblib", "calibration.json")
# The articles the index was built from: an index published from the database carries
# its own, so loading it needs no article files (older indexes read articles_dir).
ARTICLES_FILE = "articles.json"


class IndexNotReady(RuntimeError):
    """The index is missing or stale; the message says which command fixes it."""


def fingerprint(articles_dir: Path, model_name: str, negatives: Path) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT_VERSION, model_name, content_hash(articles_dir)):
        digest.update(part.encode())
    if negatives.exists():
        digest.update(negatives.read_bytes())
    return digest.hexdigest()[:16]


def stored_fingerprint(directory: Path) -> str | None:
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if not all((directory / name).exists() for name in _FILES):
        return None
    value = manifest.get("fingerprint")
    return value if isinstance(value, str) else None
