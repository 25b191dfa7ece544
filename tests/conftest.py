"""Fixtures shared by the whole suite: benign demo evidence, workspaces, the shared corpus."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cumberland.demo import generate
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace

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
