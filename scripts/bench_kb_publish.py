"""Knowledge-base publishing (issue 18): publish -> served, and index build times.

    python scripts/bench_kb_publish.py served [--runs 10]   # real action server + Publisher
    python scripts/bench_kb_publish.py build [--synthetic 1000]

``served``: one real action server (polling every 2 s, the default) on a fresh SQLite
desk database; the gateway's Publisher with the real model builds each edit (one
English answer changed) and the clock runs from Publish until the action server
answers with the new text. ``build``: the index of the current articles, and of
*N* synthetic articles (title and two questions per language), with the real model.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.settings import kb_settings, service_settings
from faq_kb.embedder import SentenceTransformerEmbedder
from faq_kb.records import read_dir
from faq_kb.versions import build_records
from handoff.kb_publish import NEGATIVES


def served(runs: int) -> None:
    import os

    os.environ["KB_POLL_SECONDS"] = "2"
    from handoff.knowledge import Knowledge
    from store import kb as kb_store
    from store import make_engine, session_factory
    from tests.support.kb_swap import action_servers, ask

    with tempfile.TemporaryDirectory() as tmp, action_servers(Path(tmp), 1) as running:
        processes, url, index_dir = running
        [actions] = processes
        database = session_factory(make_engine(url))
        settings = kb_settings().copy(update={"index_dir": index_dir})
        knowledge = Knowledge(database, settings, service_settings())
        knowledge.seed()
        knowledge.publisher.embedder()  # loaded once, as in a gateway that published before
        totals, builds = [], []
        for run in range(runs):
            marker = f"bench-marker-{run}"
            with database.begin() as db:
                article = kb_store.get_article(db, "service-hours")
                texts = dict(article.texts)
                texts["en"] = {**texts["en"], "answer": f"We answer around the clock ({marker})."}
                record = {"id": article.id, "topic": article.topic, "texts": texts}
                kb_store.update_article(db, record, article.version, "bench")
                live = kb_store.live_version(db)[0]
            started = time.perf_counter()
            revision = knowledge.publisher.start("bench", live)
            question = "what are your customer service hours"
            while not any(marker in t for t in ask(actions, question)):
                time.sleep(0.1)
            totals.append(time.perf_counter() - started)
            with database() as db:
                done = kb_store.get_revision(db, revision)
                builds.append((done.finished_at - done.created_at).total_seconds())
            print(f"run {run}: publish -> served {totals[-1]:.1f}s (build {builds[-1]:.1f}s)")
        print(
            f"publish -> served p50 {statistics.median(totals):.1f}s "
            f"(min {min(totals):.1f}, max {max(totals):.1f}); build p50 {statistics.median(builds):.1f}s"
        )


def synthetic(count: int) -> list[dict[str, object]]:
    rng = random.Random(18)
    words = [w for w in Path(NEGATIVES).read_text(encoding="utf-8").split() if w.isalpha()]
    records = []
    for number in range(count):
        texts = {}
        for lang in ("zh", "en", "es"):
            phrase = " ".join(rng.choice(words) for _ in range(6))
            texts[lang] = {
                "title": f"{lang} topic {number} {phrase[:30]}",
                "questions": [
                    f"{lang} question {number} a {phrase}",
                    f"{lang} {number} b {phrase[::-1]}",
                ],
                "answer": f"Answer {number} in {lang}: {phrase}.",
            }
        records.append({"id": f"synthetic-{number}", "topic": "general", "texts": texts})
    return records


def build(count: int) -> None:
    settings = kb_settings()
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(settings.resolved_model_path(), threads=1)
    print(f"model loaded in {time.perf_counter() - started:.1f}s")
    for name, records in (
        ("current KB", read_dir(settings.articles_dir)),
        (f"{count} synthetic articles", synthetic(count)),
    ):
        started = time.perf_counter()
        index = build_records(records, embedder, NEGATIVES, settings.resolved_model_path())
        elapsed = time.perf_counter() - started
        print(
            f"{name}: {len(index.articles)} articles, {len(index.entries)} entries, {elapsed:.1f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["served", "build"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=1000)
    args = parser.parse_args()
    if args.what == "served":
        served(args.runs)
    else:
        build(args.synthetic)


if __name__ == "__main__":
    main()
