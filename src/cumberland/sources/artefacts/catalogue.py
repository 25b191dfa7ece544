"""Artefact categories from where an item was found: one catalogue of path rules.

Examiners' tools sort a device by where things sit (a camera roll, a messaging app's media,
a browser cache, a system folder): that says more about a picture's origin than its bytes
do when, as with most shared pictures, there is no camera EXIF. The rules live in one data
file, ``catalogue.toml`` beside this module (versioned; an agency may add a file of its own
with ``Settings.catalogue``), and are compiled here into one regular expression per category.

Cost matters: a million small files are classified while they are enumerated. Folder rules
are evaluated once per folder (the answer is cached), and file-name rules only for names
that one combined expression says some rule could match, so an item costs a dictionary
look-up and one short match.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

BUILT_IN = Path(__file__).with_name("catalogue.toml")
PLATFORMS = ("windows", "macos", "linux", "ios", "android", "any")
SEPARATOR = ","  # categories of an item, as stored: sorted, comma-separated
_FOLDER_CACHE = 200_000  # folders remembered before the cache starts again


class CatalogueError(ValueError):
    """A catalogue file that cannot be used (the message names the file and the rule)."""


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    label: str
    inherit: bool  # whether members of a container in this category are in it too


@dataclass(frozen=True, slots=True)
class Rule:
    category: str
    platform: str
    path: str | None
    name: str | None
    app: str | None = None


def _component(glob: str) -> str:
    out = []
    for ch in glob:
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
    return "".join(out)


def _folder_regex(path: str) -> str:
    """``A/*/B`` as a pattern over ``/a/x/b/...`` (lower case, slashes around every name):
    any run of folders, or from the root when the rule starts with ``/``."""
    parts = [p for p in path.lower().strip("/").split("/") if p]
    body = "".join("(?:[^/]+/)*" if p == "**" else _component(p) + "/" for p in parts)
    return ("^/" if path.startswith("/") else "/") + body


Compiled = list[tuple[str, "re.Pattern[str]"]]


def _folder_index(rules: list[Rule]) -> tuple[dict[str, Compiled], Compiled]:
    """Folder rules by the first folder name they need, and those starting with a wildcard:
    a folder is tried only against rules whose first name it has, each name's rules of one
    category as one expression that starts with that name (which ``re`` scans for fast)."""
    by_name: dict[str, dict[tuple[str, bool], list[str]]] = {}
    globbed: dict[str, list[str]] = {}
    for rule in rules:
        if rule.name is not None or rule.path is None:
            continue
        parts = [p for p in rule.path.lower().strip("/").split("/") if p] or ["*"]
        first = parts[0]
        if "*" in first or "?" in first:
            globbed.setdefault(rule.category, []).append(_folder_regex(rule.path))
            continue
        rest = "".join("(?:[^/]+/)*" if p == "**" else _component(p) + "/" for p in parts[1:])
        key = (rule.category, rule.path.startswith("/"))
        by_name.setdefault(first, {}).setdefault(key, []).append(rest)

    def starting(name: str, table: dict[tuple[str, bool], list[str]]) -> Compiled:
        return [(c, re.compile(f"{'^' if anchored else ''}/{re.escape(name)}/"
                               f"(?:{'|'.join(rests)})"))
                for (c, anchored), rests in sorted(table.items())]

    return ({name: starting(name, t) for name, t in by_name.items()},
            [(c, re.compile("|".join(p))) for c, p in sorted(globbed.items())])


class Catalogue:
    """Compiled rules: ``classify`` gives an item's categories from its path."""

    def __init__(self, version: str, categories: dict[str, Category], rules: list[Rule]
                 ) -> None:
        self.version = version
        self.categories = categories
        self.rules = tuple(rules)
        named: dict[str, list[str]] = {}
        for rule in rules:
            if rule.name is not None:
                where = _folder_regex(rule.path) if rule.path else "/"
                named.setdefault(rule.category, []).append(
                    f"{where}(?:[^/]+/)*{_component(rule.name.lower())}$")
        self._by_name, self._globbed = _folder_index(rules)
        self._named = [(c, re.compile("|".join(p))) for c, p in sorted(named.items())]
        names = [_component(r.name.lower()) for r in rules if r.name is not None]
        self._any_name = re.compile(f"(?:{'|'.join(names)})$") if names else None
        self._inherit = frozenset(c.name for c in categories.values() if c.inherit)
        self._cache: dict[str, frozenset[str]] = {}
        self._stored: dict[frozenset[str], str | None] = {}  # categories as stored

    def _in_folder(self, head: str) -> frozenset[str]:
        found = self._cache.get(head)
        if found is None:
            folder = f"/{head.strip('/')}/" if head.strip("/") else "/"
            hits: set[str] = set()
            for part in set(folder.split("/")):  # only rules that start with a name present
                hits.update(c for c, rx in self._by_name.get(part, ()) if c not in hits
                            and rx.search(folder))
            hits.update(c for c, rx in self._globbed if c not in hits and rx.search(folder))
            found = frozenset(hits)
            if len(self._cache) >= _FOLDER_CACHE:
                self._cache.clear()
            self._cache[head] = found
        return found

    def classify(self, path: str, inherited: str | None = None) -> str | None:
        """The categories of an item at ``path`` (relative to the root of its source,
        volume or archive; ``/`` or ``\\`` between names), plus the inheritable ones of the
        container it was found in: sorted and comma-separated, or None."""
        text = path.replace("\\", "/").lower()
        head, _, name = text.rpartition("/")
        found = self._in_folder(head)
        if self._any_name is not None and self._any_name.match(name):
            whole = (f"/{head.strip('/')}/" if head.strip("/") else "/") + name
            found = found | {c for c, rx in self._named if rx.search(whole)}
        if inherited:
            found = found | (set(inherited.split(SEPARATOR)) & self._inherit)
        stored = self._stored.get(found, "")  # a handful of distinct answers: joined once
        if stored == "":
            stored = self._stored[found] = SEPARATOR.join(sorted(found)) if found else None
        return stored

    def labels(self) -> dict[str, str]:
        return {name: c.label for name, c in self.categories.items()}

    def describe(self) -> dict[str, Any]:
        """What a report says of the catalogue its categories came from."""
        return {"version": self.version, "rules": len(self.rules),
                "categories": self.labels()}


def split(stored: str | None) -> list[str]:
    """An item's stored categories as a list."""
    return stored.split(SEPARATOR) if stored else []


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except OSError as exc:
        raise CatalogueError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not a TOML catalogue: {exc}") from exc
    return data


def _categories(path: Path, data: dict[str, Any]) -> dict[str, Category]:
    out: dict[str, Category] = {}
    table = data.get("categories", {})
    if not isinstance(table, dict):
        raise CatalogueError(f"{path}: [categories] must be a table")
    for name, spec in table.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str) or \
                SEPARATOR in name:
            raise CatalogueError(f"{path}: category {name!r} needs a label (and no comma)")
        out[name] = Category(name, spec["label"], bool(spec.get("inherit", True)))
    return out


def _rules(path: Path, data: dict[str, Any], known: dict[str, Category]) -> list[Rule]:
    rules = []
    entries = data.get("rules", [])
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: [[rules]] must be an array of tables")
    for n, spec in enumerate(entries, 1):
        where = f"{path}: rule {n}"
        if not isinstance(spec, dict):
            raise CatalogueError(f"{where}: not a table")
        category, platform = spec.get("category"), spec.get("platform", "any")
        folder, name = spec.get("path"), spec.get("name")
        if category not in known:
            raise CatalogueError(f"{where}: unknown category {category!r}")
        if platform not in PLATFORMS:
            raise CatalogueError(f"{where}: platform must be one of {', '.join(PLATFORMS)}")
        if folder is None and name is None:
            raise CatalogueError(f"{where}: needs a path or a name")
        for value in (folder, name, spec.get("app")):
            if value is not None and (not isinstance(value, str) or not value.strip("/")):
                raise CatalogueError(f"{where}: path, name and app are non-empty strings")
        if name is not None and "/" in name:
            raise CatalogueError(f"{where}: a name has no '/' (put the folder in path)")
        rules.append(Rule(category, platform, folder, name, spec.get("app")))
    return rules


def load_catalogue(extra: str | Path | None = None) -> Catalogue:
    """The built-in catalogue, plus an agency's own file (its categories added, its rules
    appended; its ``version`` is recorded after the built-in one's)."""
    data = _load(BUILT_IN)
    categories = _categories(BUILT_IN, data)
    rules = _rules(BUILT_IN, data, categories)
    version = str(data.get("version", "?"))
    if extra is not None:
        path = Path(extra)
        more = _load(path)
        categories.update(_categories(path, more))
        rules += _rules(path, more, categories)
        version = f"{version}+{path.name}:{more.get('version', '?')}"
    return Catalogue(version, categories, rules)


@lru_cache(maxsize=4)
def catalogue(extra: str | None = None) -> Catalogue:
    """One compiled catalogue per process (workers and the writer each build theirs)."""
    return load_catalogue(extra)
