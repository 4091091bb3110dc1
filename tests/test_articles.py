import csv
from pathlib import Path

import pytest
import yaml

from common.settings import kb_settings, service_settings
from faq_kb.articles import ArticleError, load_articles

ARTICLES = kb_settings().articles_dir
REQUIRED = [
    "contact-channels",
    "service-hours",
    "phone-support",
    "submit-ticket",
    "ticket-reply-time",
    "complaint-feedback",
    "faster-support",
    "password-reset",
    "login-failure",
    "account-locked",
    "missing-transfer",
    "pending-transaction",
    "wrong-transfer",
    "transaction-dispute",
    "languages-supported",
    "identity-verification",
    "seed-phrase-safety",
    "scam-impersonation",
    "fake-app",
    "stolen-funds",
    "transaction-history",
    "security-measures",
]
EVAL = Path(__file__).resolve().parent.parent / "faq_kb" / "eval" / "questions.tsv"


def test_every_required_article_exists_in_three_languages() -> None:
    articles = {a.id: a for a in load_articles(ARTICLES)}
    assert set(REQUIRED) <= set(articles)
    for article in articles.values():
        assert set(article.texts) == {"zh", "en", "es"}


def test_answers_take_facts_from_configuration() -> None:
    service = service_settings().copy(update={"phone_number": "+34 900 000 000"})
    article = {a.id: a for a in load_articles(ARTICLES)}["phone-support"]
    for language in ("zh", "en", "es"):
        answer = article.answer(language, service)
        assert "+34 900 000 000" in answer
        assert "{" not in answer


def test_no_answer_asks_for_the_recovery_phrase() -> None:
    # Every mention of the phrase must be a warning, never a request.
    for article in load_articles(ARTICLES):
        for language, text in article.texts.items():
            lowered = text.answer.lower()
            assert "send us your recovery phrase" not in lowered, (article.id, language)
            assert "请提供助记词" not in text.answer, (article.id, language)


def _write(directory: Path, name: str, data: object) -> None:
    (directory / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True))


def _valid(article_id: str) -> dict[str, object]:
    section = {"title": "t", "questions": ["q?"], "answer": "call {phone_number}"}
    return {"id": article_id, "topic": "contact", "zh": section, "en": section, "es": section}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["es"].pop("answer"), "es.answer"),
        (lambda d: d["en"].update(questions=[]), "en.questions"),
        (lambda d: d.pop("zh"), "zh"),
        (lambda d: d.pop("topic"), "topic"),
        (lambda d: d["en"].update(answer="call {phone_numbr}"), "en.answer"),
    ],
)
def test_a_broken_article_names_its_file_and_field(tmp_path: Path, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    data = _valid("broken")
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    mutate(data)
    _write(tmp_path, "broken", data)
    with pytest.raises(ArticleError) as error:
        load_articles(tmp_path)
    assert "broken.yml" in str(error.value)
    assert f"'{field}'" in str(error.value)


def test_evaluation_questions_are_not_training_questions() -> None:
    seen = {
        q.strip().lower()
        for article in load_articles(ARTICLES)
        for text in article.texts.values()
        for q in text.questions
    }
    with EVAL.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) >= 200
    leaked = [r["question"] for r in rows if r["question"].strip().lower() in seen]
    assert leaked == []
