"""The code's shape, checked: one direction of imports, no cycles, small modules.

    gateway  ->  connectors, handoff  ->  store, events, guard, faq_kb  ->  common
    (faq_kb's command line reads and writes the database's articles: faq_kb -> store)
    bot (Rasa's processes)  ->  store, faq_kb, common

A package may import its own modules and the packages its layer lists, never
another package's private (``_name``) modules, and no two modules may import
each other, directly or around a loop. Imports under ``TYPE_CHECKING`` count for
the direction (a type is a dependency too) but not for cycles (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT

LAYERS: dict[str, set[str]] = {
    "common": set(),
    "guard": {"common"},
    "faq_kb": {"common", "store"},  # store: only the CLI's export and import
    "store": {"common"},
    "events": {"common"},
    "bot": {"store", "faq_kb", "common"},
    "handoff": {"store", "events", "guard", "faq_kb", "common"},
    "connectors": {"store", "events", "common"},
    "gateway": {"connectors", "handoff", "store", "events", "guard", "faq_kb", "common"},
}
MAX_LINES = 300
# Data, not logic: tables and migrations may run longer.
LONG_ALLOWED = {
    "common/texts.py",  # every user-facing sentence in zh, en and es
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module (or package), dotted
    line: int
    typing_only: bool


def modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Dotted name -> file, for every module of *packages* under *root*."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic loads these by path
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _typing_blocks(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(known: dict[str, Path]) -> Iterator[Import]:
    """Every import of a project module by a project module."""
    tops = {name.split(".")[0] for name in known}
    for source, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = _typing_blocks(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the importing module
                    anchor = source.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # "from pkg import module" imports pkg.module; "from mod import name", mod.
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                ]
            for target in dict.fromkeys(targets):  # once per module, however many names
                if target.split(".")[0] in tops:
                    yield Import(source, target, node.lineno, node.lineno in typing_only)


def layer_violations(known: dict[str, Path], layers: dict[str, set[str]]) -> list[str]:
    found = []
    for item in imports(known):
        source_top, target_top = item.source.split(".")[0], item.target.split(".")[0]
        where = f"{item.source}:{item.line} imports {item.target}"
        if source_top != target_top and target_top not in layers.get(source_top, set()):
            found.append(f"{where}: {source_top} may not import {target_top}")
        parts = item.target.split(".")
        for depth, part in enumerate(parts):
            private = part.startswith("_") and not part.startswith("__")
            owner = ".".join(parts[:depth])  # the package the private module belongs to
            if private and not (item.source == owner or item.source.startswith(owner + ".")):
                found.append(f"{where}: a private module of {owner}")
    return found


def cycles(known: dict[str, Path]) -> list[list[str]]:
    """Import cycles among modules (strongly connected components of two or more)."""
    graph: dict[str, set[str]] = {name: set() for name in known}
    for item in imports(known):
        if not item.typing_only and item.target in graph and item.target != item.source:
            graph[item.source].add(item.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_every_package_is_in_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(LAYERS)


def test_imports_go_one_way_and_never_into_another_package_s_private_modules() -> None:
    assert layer_violations(modules(ROOT, list(LAYERS)), LAYERS) == []


def test_no_module_imports_itself_back_around_a_loop() -> None:
    assert cycles(modules(ROOT, list(LAYERS))) == []


def test_modules_stay_small() -> None:
    sources = [*ROOT.glob("*/**/*.py"), *ROOT.glob("*/**/static/*.js")]
    long = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if path.parts[len(ROOT.parts)] in LAYERS and "migrations" not in path.parts
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert set(long) <= LONG_ALLOWED, long


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """A low package importing a high one, a private module, and a loop are all found."""
    files = {
        "low/__init__.py": "",
        "low/a.py": "import low.b\n",
        "low/b.py": "from low import a\nfrom high import api\n",
        "high/__init__.py": "",
        "low/c.py": "",
        "high/api.py": "from low.c import x\nfrom other._secret import y\n",
        "other/__init__.py": "",
        "other/_secret.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import high\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    known = modules(tmp_path, ["low", "high", "other"])
    layers = {"low": set(), "high": {"low", "other"}, "other": set()}
    assert layer_violations(known, layers) == [
        "low.b:2 imports high.api: low may not import high",
        "high.api:2 imports other._secret: a private module of other",
        "other._secret:3 imports high: other may not import high",
    ]
    assert cycles(known) == [["low.a", "low.b"]]
