"""docs/writing-a-signal.md: its example is real code, registered through the public
registry, computed at ingest and by `cumberland enrich` for a case triaged before it."""

from __future__ import annotations

import io
import re
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.pipeline.enrich import EnrichRequest, enrich
from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.signals.base import Signal
from cumberland.store.models import Media, SignalRecord
from cumberland.store.workspace import Workspace
from enrich.inline import Inline

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-signal.md"


def example() -> Signal:
    """The doc's example, run as the module it tells the reader to save."""
    block = re.search(r"<!-- example -->\s*```python\n(.*?)```\s*<!-- /example -->",
                      DOC.read_text(), re.S)
    assert block, "the example block of docs/writing-a-signal.md is gone"
    module = types.ModuleType("brightness")
    exec(compile(block.group(1), str(DOC), "exec"), module.__dict__)
    signal: Signal = module.SIGNAL
    return signal


@pytest.fixture()
def brightness() -> Iterator[Signal]:
    signal = example()
    registry.register(signal)
    yield signal
    registry.unregister(signal.name)


def _png(value: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (value, value, value)).save(buf, "PNG")
    return buf.getvalue()


def test_the_example_computes_with_reasons(brightness: Signal) -> None:
    out = registry.describe(_png(230), Settings(), {"brightness"})["brightness"]
    assert out is not None and out.data == {"mean": 230.0}
    assert out.reasons == ["mean brightness 230 of 255: bright"]
    assert out.row() == {"mean": 230.0, "reasons": ["mean brightness 230 of 255: bright"]}
    listed = CliRunner().invoke(app, ["signals", "list", "--json"])
    assert '"name": "brightness", "version": 1, "kinds": ["image"], "consumes": ["pixels"]' in (
        listed.stdout)


def test_enrich_adds_it_to_a_case_triaged_before_it(
        case_of: Callable[[list[bytes]], Workspace]) -> None:
    ws = case_of([_png(20), _png(230), b"not a picture"])
    with ws.engine.connect() as conn:
        assert not conn.scalars(select(SignalRecord).where(
            SignalRecord.name == "brightness")).all()
    signal = example()
    registry.register(signal)
    try:
        settings = Settings()
        done = enrich(ws, EnrichRequest("c", settings=settings), executor=Inline(settings))
    finally:
        registry.unregister(signal.name)
    assert done.outcome.computed == {"brightness": 2} and done.outcome.decodes == 2
    with ws.engine.connect() as conn:
        rows = sorted(d["mean"] for d in conn.scalars(select(SignalRecord.data).where(
            SignalRecord.name == "brightness")))
        ledgers = conn.scalars(select(Media.signal_versions).where(Media.kind == "image"))
        assert all(v["brightness"] == 1 for v in ledgers)
    assert rows == [20.0, 230.0]
    ws.close()
