"""``python -m faq_kb export DIR`` / ``import DIR``: the database's articles to the
repository's YAML layout and back, unchanged; a bad directory changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import kb_settings
from faq_kb.__main__ import main
from faq_kb.records import read_dir
from store import kb as kb_store
from store import make_engine, session_factory


def _database_records(url: str) -> list[dict[str, object]]:
    engine = make_engine(url)
    with session_factory(engine)() as db:
        records = kb_store.snapshot(db)
    engine.dispose()
    return records


def test_export_then_import_round_trips_the_articles(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    repository = read_dir(kb_settings().articles_dir)
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["export", str(first)]) == 0  # an empty database: the repository's articles
    assert read_dir(first) == repository

    edited = first / "service-hours.yml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("24/7", "24 / 7"), "utf-8")
    (first / "fake-app.yml").unlink()
    assert main(["import", str(first)]) == 0
    assert _database_records(database_url) == read_dir(first)

    assert main(["export", str(second)]) == 0
    assert sorted(p.name for p in second.iterdir()) == sorted(p.name for p in first.iterdir())
    assert read_dir(second) == read_dir(first)
    for path in second.iterdir():  # export(import(x)) is x, file by file
        assert path.read_text(encoding="utf-8") == (first / path.name).read_text(encoding="utf-8")


def test_a_directory_with_a_bad_article_is_refused_and_nothing_changes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    good, bad = tmp_path / "good", tmp_path / "bad"
    assert main(["export", str(good)]) == 0
    assert main(["import", str(good)]) == 0
    before = _database_records(database_url)
    assert main(["export", str(bad)]) == 0
    broken = bad / "phone-support.yml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("{phone_number}", "{phone}"))
    assert main(["import", str(bad)]) == 2
    assert _database_records(database_url) == before
