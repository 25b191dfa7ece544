"""Data flows one way: no module imports a layer above its own (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "cumberland"


def layers() -> dict[str, int]:
    """Top-level module -> rank, from the list between the layer markers of the doc."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers -->\s*```\n(.*?)```\s*<!-- /layers -->", text, re.S)
    assert block, "docs/architecture.md lost its <!-- layers --> list"
    return {name: rank for rank, line in enumerate(block.group(1).splitlines())
            for name in line.split()}


def top(module: str) -> str | None:
    """``cumberland.signals.pdq`` -> ``signals``; None outside Cumberland or for the root."""
    parts = module.split(".")
    return parts[1] if parts[0] == "cumberland" and len(parts) > 1 else None


def imports(source: str, package: str) -> list[tuple[int, str]]:
    """Every module a file of ``package`` imports, anywhere in it (lazy imports count)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def owner(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0]


def test_every_module_has_a_layer() -> None:
    rank = layers()
    missing = sorted({owner(p) for p in SRC.rglob("*.py")} - set(rank) - {"__init__", "__main__"})
    assert not missing, (f"{missing} sit in no layer: add them to the <!-- layers --> list in "
                         "docs/architecture.md")


def test_no_module_imports_a_layer_above_it() -> None:
    rank = layers()
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        me = owner(path)
        if me not in rank:  # cumberland/__init__.py, __main__.py: the package root, the edge
            continue
        package = ".".join(("cumberland", *path.relative_to(SRC).parts[:-1]))
        for line, module in imports(path.read_text(), package):
            target = top(module)
            if target is not None and target in rank and rank[target] > rank[me]:
                upward.append(f"{path.relative_to(SRC)}:{line} ({me}) imports {module}")
    assert not upward, "imports against the flow:\n" + "\n".join(upward)


def test_the_check_sees_lazy_and_relative_imports() -> None:
    source = ("import cumberland.index.pdq\n"
              "def f():\n    from cumberland.pipeline import triage\n"
              "from ..store import models\nfrom . import pdq\n")
    found = sorted(str(top(m)) for _, m in imports(source, "cumberland.signals"))
    assert found == ["index", "pipeline", "signals", "store"]
