"""An indexable key for path-prefix filters.

Paths can exceed what a B-tree index entry may hold (PostgreSQL refuses ~2.7 KB keys), so the
index covers the first ``PREFIX_CHARS`` characters only, compared byte-wise (PostgreSQL's
``COLLATE "C"``; SQLite's default BINARY), so that a prefix is a contiguous key range.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

PREFIX_CHARS = 200
_TOP = "\U0010ffff"  # sorts after every character in UTF-8 byte order


class path_prefix_key(FunctionElement[str]):
    type = Text()
    name = "path_prefix_key"
    inherit_cache = True


@compiles(path_prefix_key)
def _key_default(element: path_prefix_key, compiler: Any, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, {PREFIX_CHARS})"


@compiles(path_prefix_key, "postgresql")
def _key_postgresql(element: path_prefix_key, compiler: Any, **kw: Any) -> str:
    return f'(substr({compiler.process(element.clauses, **kw)}, 1, {PREFIX_CHARS}) COLLATE "C")'


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_condition(path: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """``path`` starts with ``prefix``: an index range on the key, then the exact check."""
    head = prefix[:PREFIX_CHARS]
    key = path_prefix_key(path)
    return and_(key >= head, key < head + _TOP,
                path.like(_like_escape(prefix) + "%", escape="\\"))


INDEX_SQL = {
    "sqlite": f"CREATE INDEX ix_items_case_path_prefix ON items (case_id, substr(path, 1, "
              f"{PREFIX_CHARS}))",
    "postgresql": f'CREATE INDEX ix_items_case_path_prefix ON items (case_id, (substr(path, 1, '
                  f'{PREFIX_CHARS}) COLLATE "C"))',
}
