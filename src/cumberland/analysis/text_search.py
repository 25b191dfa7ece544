"""Text search over a case's pictures: the words OCR read, found through the database's own
full-text index (SQLite FTS5, PostgreSQL tsvector; migration 0020).

The query is folded like the stored text (lower case, no diacritics), split into words,
and every word must appear (a trailing ``*`` makes a word a prefix). Each hit names the
media, the case's items holding it, the line texts and the boxes of the words that matched,
so the viewer can draw them on the (blurred until revealed) picture; in a video, each box
says the time of the keyframe it was read on (``t``, seconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, text

from cumberland.signals.ocr import fold
from cumberland.store.workspace import Workspace

SIGNAL = "ocr"
_WORD = re.compile(r"\w+\*?")


class SearchError(ValueError):
    """A query with no word in it."""


@dataclass(slots=True)
class TextHit:
    sha256: bytes
    text: str
    paths: list[str] = field(default_factory=list)
    boxes: list[dict[str, Any]] = field(default_factory=list)  # {"text", "box", "confidence"}

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256.hex(), "text": self.text, "paths": self.paths,
                "matches": self.boxes}


def query_words(query: str) -> list[str]:
    words = _WORD.findall(fold(query))
    if not words:
        raise SearchError(f"no word to search for in {query!r}")
    return words


def _sqlite_match(words: list[str]) -> str:
    return " ".join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in words)


def _pg_query(words: list[str]) -> str:
    return " & ".join(f"{w[:-1]}:*" if w.endswith("*") else w for w in words)


def search_text(ws: Workspace, case_id: int, query: str, limit: int = 200) -> list[TextHit]:
    """The case's media whose OCR text holds every word of ``query``, in media order."""
    words = query_words(query)
    in_case = "SELECT media_sha256 FROM items WHERE case_id = :case AND media_sha256 IS NOT NULL"
    if ws.engine.dialect.name == "postgresql":
        sql = text(f"SELECT s.media_sha256, s.data FROM signals s WHERE s.name = '{SIGNAL}' "
                   "AND to_tsvector('simple', coalesce(s.data->>'search', '')) @@ "
                   "to_tsquery('simple', :q) "
                   f"AND s.media_sha256 IN ({in_case}) ORDER BY s.media_sha256 LIMIT :limit")
        params: dict[str, Any] = {"q": _pg_query(words)}
    else:
        sql = text("SELECT s.media_sha256, s.data FROM text_index "
                   "JOIN text_index_ids t ON t.id = text_index.rowid "
                   f"JOIN signals s ON s.media_sha256 = t.media_sha256 AND s.name = '{SIGNAL}' "
                   f"WHERE text_index MATCH :q AND t.media_sha256 IN ({in_case}) "
                   "ORDER BY t.media_sha256 LIMIT :limit")
        params = {"q": _sqlite_match(words)}
    with ws.engine.connect() as conn:
        rows = conn.execute(sql, {**params, "case": case_id, "limit": limit}).all()
        hits = [_hit(bytes(sha), data if isinstance(data, dict) else _json(data), words)
                for sha, data in rows]
        if hits:
            paths = conn.execute(text(
                "SELECT media_sha256, path FROM items WHERE case_id = :case "
                "AND media_sha256 IN :shas ORDER BY id").bindparams(
                    bindparam("shas", expanding=True)),
                {"case": case_id, "shas": [h.sha256 for h in hits]}).all()
            by_sha = {h.sha256: h for h in hits}
            for sha, path in paths:
                by_sha[bytes(sha)].paths.append(path)
    return hits


def _json(raw: Any) -> dict[str, Any]:
    import json

    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


def _matches(word: str, wanted: list[str]) -> bool:
    folded = fold(word)
    return any(folded.startswith(w[:-1]) if w.endswith("*") else folded == w for w in wanted)


def keyframe_words(data: dict[str, Any], query: str = "") -> \
        dict[float | None, list[dict[str, Any]]]:
    """Every word of an ``ocr`` row with its box, by the time of the video keyframe it was
    read on (None: a picture's own words), each marked ``matched`` when it is one of
    ``query``'s words (the viewer boxes them all and highlights what a search found)."""
    try:
        wanted = query_words(query) if query.strip() else []
    except SearchError:
        wanted = []
    out: dict[float | None, list[dict[str, Any]]] = {}
    for t, line in lines_of(data):
        out.setdefault(t, []).extend(
            {"text": str(word.get("text", "")), "box": word["box"],
             "matched": bool(wanted) and _matches(str(word.get("text", "")), wanted)}
            for word in line.get("words", [])
            if isinstance(word.get("box"), list) and len(word["box"]) == 4)
    return out


def lines_of(data: dict[str, Any]) -> Iterator[tuple[float | None, dict[str, Any]]]:
    """The lines of an ``ocr`` row with the time of their video keyframe (None in a
    picture): a video's row keeps them per keyframe (signals/ocr.py)."""
    for line in data.get("lines", []):
        yield None, line
    for frame in data.get("frames", []):
        for line in frame.get("lines", []):
            yield frame.get("t"), line


def _hit(sha: bytes, data: dict[str, Any], words: list[str]) -> TextHit:
    hit = TextHit(sha, str(data.get("text", "")))
    for t, line in lines_of(data):
        for word in line.get("words", []):
            if _matches(str(word.get("text", "")), words):
                box = {"text": word["text"], "box": word["box"],
                       "confidence": word.get("confidence")}
                hit.boxes.append(box if t is None else {**box, "t": t})
    return hit


def case_text(conn: Connection, case_id: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """The text read in the case's pictures, per media (report.json): how many media have
    some, and the first ``limit`` by SHA-256 with their first path, lines and boxes."""
    rows = conn.execute(text(
        f"SELECT s.media_sha256, s.data FROM signals s WHERE s.name = '{SIGNAL}' "
        "AND s.media_sha256 IN (SELECT media_sha256 FROM items WHERE case_id = :case) "
        "ORDER BY s.media_sha256"), {"case": case_id}).all()
    out: list[dict[str, Any]] = []
    for sha, raw in rows[:limit]:
        data = raw if isinstance(raw, dict) else _json(raw)
        path = conn.scalar(text("SELECT path FROM items WHERE case_id = :case AND "
                                "media_sha256 = :sha ORDER BY id LIMIT 1"),
                           {"case": case_id, "sha": bytes(sha)})
        out.append({"sha256": bytes(sha).hex(), "path": path, "text": data.get("text", ""),
                    "capped": bool(data.get("capped")),
                    "lines": [{**{k: line.get(k) for k in ("text", "confidence", "quad")},
                               **({} if t is None else {"t": t})}
                              for t, line in lines_of(data)]})
    return len(rows), out
