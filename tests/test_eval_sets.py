"""The labelled evaluation sets stay honest.

bot/eval/{test,dev,dev2,dev3,dev4}.tsv (lang, expect, question), bot/eval/off_topic.tsv (lang, question)
and guard/eval/scam_reports.tsv (lang, label, text) measure the assistant end to end. This
checks that they parse, use only known article ids and flows, keep their minimum sizes and
coverage, and that no sentence in them copies or nearly copies a sentence the bot was
trained or tuned on, or public evaluation data (``../shared/benchmarks``). Test and dev are
kept apart the same way, so tuning on dev says nothing false about test. dev2 is a fresh
development split (dev was leaked: article examples were written from its failures); it is
kept apart from test, dev and the off-topic set the same way. dev4 is the test split of
2026-11-27 to 2026-12-01, retired after it had been run a dozen times and its failures
were read; test.tsv is a fresh one, written from the articles' titles and answers only,
and kept apart from every other set.

``python tests/test_eval_sets.py`` prints the closest pairs found, for a human to read.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTICLES_DIR = ROOT / "faq_kb" / "articles"
BOT_EVAL = ROOT / "bot" / "eval"
TEST_TSV = BOT_EVAL / "test.tsv"
DEV_TSV = BOT_EVAL / "dev.tsv"
DEV2_TSV = BOT_EVAL / "dev2.tsv"
DEV3_TSV = BOT_EVAL / "dev3.tsv"
DEV4_TSV = BOT_EVAL / "dev4.tsv"
OFF_TOPIC_TSV = BOT_EVAL / "off_topic.tsv"
SCAM_TSV = ROOT / "guard" / "eval" / "scam_reports.tsv"

LANGS = ("zh", "en", "es")
FLOWS = frozenset(
    {
        "flow:missing_transfer",
        "flow:dispute",
        "flow:password_reset",
        "flow:complaint",
        "flow:human",
        "flow:ticket_status",
    }
)
SCAM_PREFIX = "scam:"
SCAM_LABELS = ("ordinary", "report")

# Minimum rows per language, and per article / flow per language in test.tsv.
MIN_TEST, MIN_DEV, MIN_OFF_TOPIC = 80, 50, 60
MIN_ORDINARY, MIN_REPORT = 34, 15
MIN_ARTICLE_COVERAGE, MIN_FLOW_COVERAGE = 2, 3

# Two sentences whose character 3-gram sets have a Jaccard similarity at or above this are
# near-duplicates. 0.8 only catches typos and punctuation: swapping one word of a reference
# sentence ("recovery phrase" for "seed phrase") scores about 0.66. At 0.6 those are caught,
# while every sentence written for these sets stays below it (the highest, 0.57, is a
# different question that contains a short reference one: "火币的客服电话多少" ~ "客服电话多少").
# Rewordings that keep few characters score 0.4-0.5 and can't be told from unrelated
# sentences this way: the 0.4-0.6 band was read by hand (``python tests/test_eval_sets.py``).
NEAR_DUPLICATE = 0.6


# --- Loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    path: Path
    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def text(self) -> str:
        return self.cells.get("question") or self.cells["text"]


class TsvError(ValueError):
    pass


def read_tsv(path: Path, columns: tuple[str, ...]) -> list[Row]:
    """Rows of a UTF-8 tab-separated file with exactly this header; no empty or padded cells."""
    raw = path.read_bytes().decode("utf-8")  # strict: a bad byte raises
    if not raw.endswith("\n"):
        raise TsvError(f"{path}: the last line has no newline")
    lines = raw.split("\n")[:-1]
    if not lines or tuple(lines[0].split("\t")) != columns:
        raise TsvError(f"{path}: header must be {'<TAB>'.join(columns)}, got {lines[:1]}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise TsvError(f"{path}:{number}: {len(cells)} cells, expected {len(columns)}")
        for name, cell in zip(columns, cells, strict=True):
            if not cell or cell != cell.strip() or "\r" in cell:
                raise TsvError(f"{path}:{number}: cell {name!r} is empty or padded: {cell!r}")
        rows.append(Row(path, number, dict(zip(columns, cells, strict=True))))
    return rows


@cache
def articles() -> dict[str, dict[str, list[str]]]:
    """Article id -> language -> example questions, from faq_kb/articles/*.yml."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in sorted(ARTICLES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["id"]] = {lang: list(data[lang]["questions"]) for lang in LANGS}
    return out


@cache
def load_test() -> list[Row]:
    return read_tsv(TEST_TSV, ("lang", "expect", "question"))


@cache
def load_dev() -> list[Row]:
    return read_tsv(DEV_TSV, ("lang", "expect", "question"))


@cache
def load_dev2() -> list[Row]:
    return read_tsv(DEV2_TSV, ("lang", "expect", "question"))


def load_dev3() -> list[Row]:
    return read_tsv(DEV3_TSV, ("lang", "expect", "question"))


def load_dev4() -> list[Row]:
    return read_tsv(DEV4_TSV, ("lang", "expect", "question"))


@cache
def load_off_topic() -> list[Row]:
    return read_tsv(OFF_TOPIC_TSV, ("lang", "question"))


@cache
def load_scam() -> list[Row]:
    return read_tsv(SCAM_TSV, ("lang", "label", "text"))


_ENTITY_PAREN = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [100](amount)
_ENTITY_JSON = re.compile(r"\[([^\]]*)\]\{[^}]*\}")  # [English]{"entity": ...}


def strip_entities(example: str) -> str:
    return _ENTITY_JSON.sub(r"\1", _ENTITY_PAREN.sub(r"\1", example))


def rasa_examples(path: Path) -> list[str]:
    """The intent examples of a Rasa NLU file, with entity annotations removed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data.get("nlu") or []:
        if "intent" not in item:
            continue
        for line in str(item.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append(strip_entities(line[2:].strip()))
    return out


def tsv_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle, delimiter="\t")]


@cache
def reference_sentences() -> dict[str, list[str]]:
    """Every sentence the eval sets must not copy, by source."""
    sources: dict[str, list[str]] = {}
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        sources[f"nlu_data/{path.name}"] = rasa_examples(path)
    for path in sorted((ROOT / "tests" / "data").glob("nlu_test_*.yml")):
        sources[f"tests/data/{path.name}"] = rasa_examples(path)
    sources["faq_kb/articles"] = [
        q for by_lang in articles().values() for qs in by_lang.values() for q in qs
    ]
    sources["faq_kb/eval/questions.tsv"] = tsv_column(
        ROOT / "faq_kb" / "eval" / "questions.tsv", "question"
    )
    sources["faq_kb/calibration/out_of_scope.tsv"] = tsv_column(
        ROOT / "faq_kb" / "calibration" / "out_of_scope.tsv", "question"
    )
    banking = SHARED / "benchmarks" / "banking77_mapped.tsv"
    if banking.exists():
        sources["shared/benchmarks/banking77_mapped.tsv"] = tsv_column(banking, "question")
    return sources


# --- Similarity ----------------------------------------------------------------------


def normalise(text: str) -> str:
    """NFKC, lower case, without punctuation, symbols or whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def _fold(text: str) -> str:
    """normalise() and without accents: users often drop them ("cómo" / "como")."""
    decomposed = unicodedata.normalize("NFKD", normalise(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def trigrams(text: str) -> frozenset[str]:
    s = _fold(text)
    if len(s) < 3:
        return frozenset({s}) if s else frozenset()
    return frozenset(s[i : i + 3] for i in range(len(s) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(a: str, b: str) -> float:
    return jaccard(trigrams(a), trigrams(b))


@dataclass(frozen=True)
class Match:
    score: float
    text: str
    other: str
    source: str


class NearIndex:
    """Character 3-gram sets with an inverted index, so a lookup touches only candidates."""

    def __init__(self, sentences: Iterable[tuple[str, str]]) -> None:
        self.items: list[tuple[str, str, frozenset[str]]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for source, sentence in sentences:
            grams = trigrams(sentence)
            if not grams:
                continue
            for gram in grams:
                self.postings[gram].append(len(self.items))
            self.items.append((source, sentence, grams))

    def closest(self, text: str) -> Match | None:
        grams = trigrams(text)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.postings.get(gram, ()))
        best: Match | None = None
        for i, common in shared.items():
            source, sentence, other = self.items[i]
            score = common / (len(grams) + len(other) - common)
            if best is None or score > best.score:
                best = Match(score, text, sentence, source)
        return best


@cache
def reference_index() -> NearIndex:
    return NearIndex(
        (source, sentence)
        for source, sentences in reference_sentences().items()
        for sentence in sentences
    )


@cache
def reference_exact() -> dict[str, str]:
    return {
        normalise(sentence): source
        for source, sentences in reference_sentences().items()
        for sentence in sentences
    }


def load_bot_sets() -> list[Row]:
    return load_test() + load_dev() + load_dev2() + load_dev3() + load_dev4() + load_off_topic()


# --- Parsing and labels ----------------------------------------------------------------

ALL_FILES = {
    "test": load_test,
    "dev": load_dev,
    "dev2": load_dev2,
    "dev3": load_dev3,
    "dev4": load_dev4,
    "off_topic": load_off_topic,
    "scam_reports": load_scam,
}


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_file_parses_with_known_languages(name: str) -> None:
    rows = ALL_FILES[name]()
    assert rows, f"{name} is empty"
    bad = [f"{r.where}: {r.cells['lang']!r}" for r in rows if r.cells["lang"] not in LANGS]
    assert not bad, f"unknown languages: {bad}"


def expect_problem(expect: str) -> str | None:
    """Why an expect value is invalid, or None."""
    known = articles()
    if expect in FLOWS:
        return None
    if expect.startswith(SCAM_PREFIX):
        article = expect[len(SCAM_PREFIX) :]
        return None if article in known else f"unknown article after scam: {article!r}"
    parts = expect.split("|")
    if len(parts) != len(set(parts)):
        return "an article is repeated"
    unknown = [p for p in parts if p not in known]
    if unknown:
        return f"neither an article id nor a flow: {unknown}"
    return None


def test_expect_problem_rejects_what_it_should() -> None:
    assert expect_problem("login-failure") is None
    assert expect_problem("phone-support|service-hours") is None
    assert expect_problem("flow:dispute") is None
    assert expect_problem("scam:fake-app") is None
    for bad in (
        "login_failure",
        "flow:refund",
        "scam:flow:human",
        "a|a",
        "login-failure|flow:human",
    ):
        assert expect_problem(bad), bad


@pytest.mark.parametrize("name", ["test", "dev", "dev2", "dev3", "dev4"])
def test_every_expect_is_a_known_article_or_flow(name: str) -> None:
    rows = ALL_FILES[name]()
    bad = [
        f"{r.where}: {r.cells['expect']!r}: {problem}"
        for r in rows
        if (problem := expect_problem(r.cells["expect"]))
    ]
    assert not bad, "\n".join(bad)


def test_scam_labels_are_known() -> None:
    bad = [
        f"{r.where}: {r.cells['label']!r}"
        for r in load_scam()
        if r.cells["label"] not in SCAM_LABELS
    ]
    assert not bad, bad


# --- Sizes and coverage ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("test", MIN_TEST),
        ("dev", MIN_DEV),
        ("dev2", MIN_DEV),
        ("dev3", MIN_DEV),
        ("dev4", MIN_DEV),
        ("off_topic", MIN_OFF_TOPIC),
    ],
)
def test_minimum_rows_per_language(name: str, minimum: int) -> None:
    counts = Counter(r.cells["lang"] for r in ALL_FILES[name]())
    short = {lang: counts[lang] for lang in LANGS if counts[lang] < minimum}
    assert not short, f"{name}: fewer than {minimum} rows in {short}"


def test_scam_reports_minimum_per_language_and_label() -> None:
    counts = Counter((r.cells["lang"], r.cells["label"]) for r in load_scam())
    minimum = {"ordinary": MIN_ORDINARY, "report": MIN_REPORT}
    short = {
        (lang, label): counts[lang, label]
        for lang in LANGS
        for label in SCAM_LABELS
        if counts[lang, label] < minimum[label]
    }
    assert not short, f"too few: {short}"


def test_every_article_is_covered_in_every_language_of_test() -> None:
    """Rows that accept either of two articles don't count: they test neither on its own."""
    counts = Counter(
        (r.cells["lang"], r.cells["expect"].removeprefix(SCAM_PREFIX)) for r in load_test()
    )
    missing = [
        f"{lang}/{article}: {counts[lang, article]}"
        for lang in LANGS
        for article in sorted(articles())
        if counts[lang, article] < MIN_ARTICLE_COVERAGE
    ]
    assert not missing, f"articles under {MIN_ARTICLE_COVERAGE} questions: {missing}"


def test_every_flow_is_covered_in_every_language_of_test() -> None:
    counts = Counter((r.cells["lang"], r.cells["expect"]) for r in load_test())
    missing = [
        f"{lang}/{flow}: {counts[lang, flow]}"
        for lang in LANGS
        for flow in sorted(FLOWS)
        if counts[lang, flow] < MIN_FLOW_COVERAGE
    ]
    assert not missing, f"flows under {MIN_FLOW_COVERAGE} questions: {missing}"


def test_every_language_has_scam_reports_in_test() -> None:
    langs = {r.cells["lang"] for r in load_test() if r.cells["expect"].startswith(SCAM_PREFIX)}
    assert langs == set(LANGS)


# --- Honesty: no copies, no near-copies, no leaks between test and dev -----------------


def test_reference_sentences_were_found() -> None:
    """A loader that silently finds nothing would make the copy checks pass vacuously."""
    sources = reference_sentences()
    for source, sentences in sources.items():
        assert len(sentences) >= 50, f"{source}: only {len(sentences)} sentences loaded"
    assert "](" in (ROOT / "nlu_data" / "en.yml").read_text(encoding="utf-8")
    nlu = [s for source, sentences in sources.items() if source.endswith(".yml") for s in sentences]
    assert not any("](" in s or "]{" in s for s in nlu), "entity annotations left in"
    assert strip_entities("sent [100u](amount) on [TRC20](chain)") == "sent 100u on TRC20"
    assert (
        strip_entities('[English]{"entity": "language", "value": "en"} please') == "English please"
    )


def test_similarity_flags_copies_and_passes_different_sentences() -> None:
    copied = "I sent 100 USDT but it hasnt arrived yet"
    assert similarity(copied, "I sent [100 USDT] but it hasn't arrived") >= NEAR_DUPLICATE
    assert (
        similarity(
            "¿Cómo contacto con atención al cliente?", "como contacto con atencion al cliente"
        )
        == 1.0
    )
    assert similarity("怎么联系客服", "怎么联系客服呢") >= NEAR_DUPLICATE
    one_word = "is it safe to keep my recovery phrase in google drive"
    assert (
        similarity(one_word, "is it safe to keep my seed phrase in google drive") >= NEAR_DUPLICATE
    )
    assert (
        similarity("how long does a ticket take", "how long does a dispute take") < NEAR_DUPLICATE
    )
    assert similarity("转账一直没到账", "转账一直在确认中") < NEAR_DUPLICATE


def test_no_duplicates_inside_the_bot_sets() -> None:
    seen: dict[str, Row] = {}
    dupes = []
    for r in load_bot_sets():
        key = normalise(r.text)
        if key in seen:
            dupes.append(f"{r.where} repeats {seen[key].where}: {r.text}")
        seen.setdefault(key, r)
    assert not dupes, "\n".join(dupes)


def test_no_duplicates_inside_scam_reports() -> None:
    counts = Counter(normalise(r.text) for r in load_scam())
    assert not [t for t, n in counts.items() if n > 1]


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_no_sentence_copies_a_reference_sentence(name: str) -> None:
    exact = reference_exact()
    copies = [
        f"{r.where}: {r.text!r} is in {exact[normalise(r.text)]}"
        for r in ALL_FILES[name]()
        if normalise(r.text) in exact
    ]
    assert not copies, "\n".join(copies)


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_no_sentence_nearly_copies_a_reference_sentence(name: str) -> None:
    index = reference_index()
    near = []
    for r in ALL_FILES[name]():
        match = index.closest(r.text)
        if match and match.score >= NEAR_DUPLICATE:
            near.append(
                f"{r.where}: {r.text!r} ~ {match.other!r} ({match.source}, {match.score:.2f})"
            )
    assert not near, "\n".join(near)


def test_test_shares_no_sentence_or_near_duplicate_with_any_other_set() -> None:
    """Every other set has been tuned on or read: none of their sentences may be in test."""
    rows = load_dev() + load_dev2() + load_dev3() + load_dev4() + load_off_topic()
    others = NearIndex((r.path.name, r.text) for r in rows)
    exact = {normalise(r.text) for r in rows}
    leaks = []
    for r in load_test():
        match = others.closest(r.text)
        if normalise(r.text) in exact or (match and match.score >= NEAR_DUPLICATE):
            where = f"{match.source} {match.other!r}" if match else "an exact copy"
            leaks.append(f"{r.where}: {r.text!r} ~ {where}")
    assert not leaks, "\n".join(leaks)


def test_dev2_shares_no_sentence_or_near_duplicate_with_dev4_or_dev() -> None:
    """dev2 chooses the thresholds: a sentence of test in it would leak test into the
    choice, and one of dev would carry over what the data work learned from dev."""
    others = NearIndex(
        [("dev4", r.text) for r in load_dev4()] + [("dev", r.text) for r in load_dev()]
    )
    exact = {normalise(r.text) for r in load_dev4() + load_dev()}
    leaks = []
    for r in load_dev2():
        match = others.closest(r.text)
        if normalise(r.text) in exact or (match and match.score >= NEAR_DUPLICATE):
            where = f"{match.source} {match.other!r}" if match else "an exact copy"
            leaks.append(f"{r.where}: {r.text!r} ~ {where}")
    assert not leaks, "\n".join(leaks)


def test_dev3_shares_no_sentence_or_near_duplicate_with_the_other_sets() -> None:
    """dev3 (written after dev2 had been read, in the register of users telling what
    happened) chooses thresholds with dev2: no sentence of test, dev, dev2 or the
    off-topic set may be in it."""
    rows = load_dev4() + load_dev() + load_dev2() + load_off_topic()
    others = NearIndex((r.path.name, r.text) for r in rows)
    exact = {normalise(r.text) for r in rows}
    leaks = []
    for r in load_dev3():
        match = others.closest(r.text)
        if normalise(r.text) in exact or (match and match.score >= NEAR_DUPLICATE):
            where = f"{match.source} {match.other!r}" if match else "an exact copy"
            leaks.append(f"{r.where}: {r.text!r} ~ {where}")
    assert not leaks, "\n".join(leaks)


def test_off_topic_shares_no_sentence_with_test_or_dev() -> None:
    labelled = NearIndex(
        ("labelled", r.text) for r in load_test() + load_dev() + load_dev2() + load_dev4()
    )
    near = []
    for r in load_off_topic():
        match = labelled.closest(r.text)
        if match and match.score >= NEAR_DUPLICATE:
            near.append(f"{r.where}: {r.text!r} ~ {match.other!r}")
    assert not near, "\n".join(near)


# --- A report for humans ---------------------------------------------------------------


def closest_pairs(limit: int = 15) -> list[tuple[str, Match]]:
    index = reference_index()
    found = []
    for name, load in ALL_FILES.items():
        for r in load():
            match = index.closest(r.text)
            if match:
                found.append((name, match))
    dev = NearIndex(("dev.tsv", r.text) for r in load_dev())
    for r in load_test():
        match = dev.closest(r.text)
        if match:
            found.append(("test~dev", match))
    others = NearIndex(
        [("test.tsv", r.text) for r in load_test()] + [("dev.tsv", r.text) for r in load_dev()]
    )
    for r in load_dev2():
        match = others.closest(r.text)
        if match:
            found.append(("dev2~test/dev", match))
    return sorted(found, key=lambda item: -item[1].score)[:limit]


if __name__ == "__main__":
    for name, m in closest_pairs(int(sys.argv[1]) if len(sys.argv) > 1 else 15):
        print(f"{m.score:.3f}  [{name}] {m.text!r}\n       ~ {m.other!r} ({m.source})")
