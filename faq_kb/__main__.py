"""Command line: ``python -m faq_kb {build,search,eval,export,import}``.

``export DIR`` writes the database's articles (what the console edits; seeded from
``faq_kb/articles/`` when empty) in the repository's YAML layout; ``import DIR``
validates such a directory as ``build`` does and makes it the database's articles,
to go live with the console's Publish. ``DATABASE_URL`` says which database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from common.settings import ROOT, kb_settings, service_settings
from faq_kb.articles import ArticleError
from faq_kb.manifest import IndexNotReady, fingerprint, stored_fingerprint

NEGATIVES = ROOT / "faq_kb" / "calibration" / "out_of_scope.tsv"
EVAL_FILE = ROOT / "faq_kb" / "eval" / "questions.tsv"


def _build(args: argparse.Namespace) -> int:
    from faq_kb.embedder import load_embedder, model_identity  # neither imports torch

    settings = kb_settings()
    model = settings.resolved_model_path()
    wanted = fingerprint(settings.articles_dir, model_identity(model), NEGATIVES)
    if not args.force and stored_fingerprint(settings.index_dir) == wanted:
        print(f"faq_kb: index {wanted} is up to date in {settings.index_dir}")
        return 0
    from faq_kb.index import build_index

    started = time.perf_counter()
    embedder = load_embedder(model, threads=settings.torch_threads)
    index = build_index(settings.articles_dir, embedder, NEGATIVES, embedder.name)
    index.save(settings.index_dir, embedder.name)
    print(
        f"faq_kb: built index {index.fingerprint}: {len(index.articles)} articles, "
        f"{len(index.entries)} entries in {time.perf_counter() - started:.1f}s "
        f"-> {settings.index_dir}"
    )
    return 0


def _load_kb():  # type: ignore[no-untyped-def]
    from faq_kb.search import HybridKnowledgeBase

    return HybridKnowledgeBase.load(kb_settings(), service_settings())


def _search(args: argparse.Namespace) -> int:
    kb = _load_kb()
    for line in sys.stdin:
        query = line.rstrip("\n")
        hits = kb.search(query, k=args.k)
        if args.json:
            payload = {"query": query, "hits": [h.as_dict() for h in hits]}
            print(json.dumps(payload, ensure_ascii=False), flush=True)
        else:
            best = ", ".join(f"{h.article_id} ({h.score:.2f})" for h in hits)
            print(f"{query}\n  -> {best or 'no hits'}", flush=True)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from faq_kb.evaluate import evaluate, read_labelled

    results = evaluate(_load_kb(), read_labelled(Path(args.file)))
    report = {lang: scores.as_dict() for lang, scores in sorted(results.items())}
    print(json.dumps(report, indent=2))
    if args.misses:
        for lang, scores in sorted(results.items()):
            for miss in scores.misses:
                print(f"[{lang}] {miss}", file=sys.stderr)
    return 0


def _database():  # type: ignore[no-untyped-def]
    from store import make_engine, migrate, session_factory

    engine = make_engine()
    migrate(engine)
    return session_factory(engine)


def _export(args: argparse.Namespace) -> int:
    from faq_kb.records import read_dir, write_dir
    from store import kb as kb_store

    database = _database()
    with database() as db:
        records = kb_store.snapshot(db)
    if not records:  # nothing edited yet: the database would be seeded with these
        records = read_dir(kb_settings().articles_dir)
    count = write_dir(records, Path(args.directory))
    print(f"faq_kb: exported {count} articles to {args.directory}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from faq_kb.records import read_dir
    from store import kb as kb_store

    records = read_dir(Path(args.directory))  # validated as a build validates
    with _database().begin() as db:
        kb_store.replace_all(db, records, args.author)
    print(f"faq_kb: imported {len(records)} articles from {args.directory}; publish to go live")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faq_kb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the index if the articles changed")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.set_defaults(run=_build)
    search = commands.add_parser("search", help="one question per stdin line")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    search.add_argument("-k", type=int, default=3, help="hits per question (default 3)")
    search.set_defaults(run=_search)
    evaluation = commands.add_parser("eval", help="hit@1, hit@3 and MRR per language")
    evaluation.add_argument("--file", default=str(EVAL_FILE), help="TSV: [lang] expect question")
    evaluation.add_argument("--misses", action="store_true", help="list wrong top hits on stderr")
    evaluation.set_defaults(run=_eval)
    export = commands.add_parser("export", help="write the database's articles as YAML files")
    export.add_argument("directory")
    export.set_defaults(run=_export)
    imported = commands.add_parser("import", help="make a directory of YAML files the articles")
    imported.add_argument("directory")
    imported.add_argument("--author", default="faq_kb import", help="recorded as the editor")
    imported.set_defaults(run=_import)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (ArticleError, IndexNotReady) as exc:
        print(f"faq_kb: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
