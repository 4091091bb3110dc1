"""Published indexes: one directory per version under ``<index_dir>/versions/``.

A publish builds into a new directory and only then names it live (in the
database), so a reader never sees a half-written index and a failed build leaves
the live one as it was. Old directories are pruned, the newest few kept: an
action server still loading the previous one finds it there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from faq_kb.embedder import Embedder
from faq_kb.index import FORMAT_VERSION, KBIndex, Progress, build_from_articles, load_index
from faq_kb.records import Record, validate

KEEP = 5


def versions_dir(index_dir: Path) -> Path:
    return index_dir / "versions"


def version_path(index_dir: Path, name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad index version name {name!r}")
    return versions_dir(index_dir) / name


def records_fingerprint(records: list[Record], model_name: str, negatives: Path) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT_VERSION, model_name, json.dumps(records, sort_keys=True)):
        digest.update(part.encode())
    if negatives.exists():
        digest.update(negatives.read_bytes())
    return digest.hexdigest()[:16]


def build_records(
    records: list[Record],
    embedder: Embedder,
    negatives: Path,
    model_name: str,
    progress: Progress | None = None,
) -> KBIndex:
    """The index of *records*, validated as ``faq_kb build`` validates files."""
    articles = validate(records)
    fingerprint = records_fingerprint(records, model_name, negatives)
    return build_from_articles(articles, embedder, negatives, fingerprint, progress)


def publish_version(index: KBIndex, index_dir: Path, name: str, model_name: str) -> Path:
    """Save *index* as version *name* and prune old versions (never *name*)."""
    target = version_path(index_dir, name)
    index.save(target, model_name)
    prune(index_dir, keep={name})
    return target


def load_version(index_dir: Path, name: str) -> KBIndex:
    # A published version carries its articles; the directory argument is unused then.
    path = version_path(index_dir, name)
    return load_index(path, path)


def prune(index_dir: Path, keep: set[str]) -> None:
    found = [p for p in versions_dir(index_dir).iterdir() if p.is_dir()]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[KEEP:]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
