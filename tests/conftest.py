"""Fixtures shared by the whole suite: benign demo evidence, workspaces, the shared corpus."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cumberland.demo import generate
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace

# pytest-xdist starts its workers with COLUMNS/LINES set to the controller's terminal; a Rich
# console made at import would keep that width, while CLI tests set theirs per invocation.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus, skipping the test cleanly when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared corpus not present ({path})")
    return path


@pytest.fixture(scope="session")
def demo_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo evidence, generated once per session. Tests must not modify it."""
    root = tmp_path_factory.mktemp("demo") / "evidence"
    generate(root)
    return root


@pytest.fixture()
def demo_copy(demo_tree: Path, tmp_path: Path) -> Path:
    """A private copy of the demo evidence for tests that add files to it."""
    dest = tmp_path / "evidence"
    shutil.copytree(demo_tree, dest)
    return dest


@pytest.fixture()
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture()
def settings() -> Settings:
    return Settings(workers=2, chunk_size=4)


RdsRow = tuple[str | None, str | None, str | None]
RDS_SCHEMA = """
CREATE TABLE FILE (sha256 VARCHAR {nn}, sha1 VARCHAR {nn}, md5 VARCHAR {nn},
 crc32 VARCHAR {nn}, file_name VARCHAR {nn}, file_size INTEGER {nn}, package_id INTEGER {nn}
 {pk});
CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
 build_date TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
INSERT INTO VERSION VALUES ('2099.01.1', 'Test', '2099-01-01', '2099-01-01', 'test rows');
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""


@pytest.fixture()
def make_rds(tmp_path: Path) -> Callable[..., Path]:
    """An NSRL RDS v3 file in NIST's layout (FILE with its 7-column primary key, the
    DISTINCT_HASH view, VERSION); each hash triple sits in ``copies`` FILE rows, as in real
    releases. ``strict=False`` drops NOT NULL and the key, so malformed rows can be stored."""

    def _make(rows: Iterable[RdsRow], name: str = "rds.db", copies: int = 2,
              strict: bool = True) -> Path:
        path = tmp_path / name
        pk = (", CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5, crc32, file_name, "
              "file_size, package_id)") if strict else ""
        with closing(sqlite3.connect(path)) as db, db:
            db.executescript(RDS_SCHEMA.format(nn="NOT NULL" if strict else "", pk=pk))
            db.executemany("INSERT INTO FILE VALUES (?, ?, ?, '0000ABCD', ?, 1, ?)", [
                (*row, f"file{i}.dll", copy) for i, row in enumerate(rows)
                for copy in range(copies)])
        return path

    return _make


@pytest.fixture()
def case_of(tmp_path: Path) -> Callable[[list[bytes]], Workspace]:
    """A workspace whose case ``c`` (id 1) was triaged from one file per content given."""

    def _make(contents: list[bytes]) -> Workspace:
        from cumberland.pipeline.triage import TriageRequest, triage

        folder = tmp_path / "evidence"
        folder.mkdir()
        for i, data in enumerate(contents):
            (folder / f"f{i}.bin").write_bytes(data)
        ws = Workspace(tmp_path / "ws")
        triage(ws, TriageRequest(sources=[folder], case="c"))
        return ws

    return _make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first: `make test` spreads test files over two processes
    (pytest-xdist, ``--dist loadfile --no-loadscope-reorder``) in this order, so the long ones
    start at once instead of leaving one process alone with them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
