"""``cumberland places``: a case's media with GPS, grouped and named offline; GeoJSON/KML."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cumberland.cli.common import (
    DEFAULT_WS,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    fail,
    open_workspace,
)

places_app = typer.Typer(help="Places: media with GPS, grouped and named offline.",
                         no_args_is_help=True)
app.add_typer(places_app, name="places")
CaseOpt = Annotated[str, typer.Option(help="Case name.")]


class MapFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"


def _case_id(workspace: Path, db: str | None, case: str) -> tuple[object, int]:
    from sqlalchemy import select

    from cumberland.store.models import Case

    ws = open_workspace(workspace, db)
    with ws.engine.connect() as conn:
        found = conn.scalar(select(Case.id).where(Case.name == case))
    if found is None:
        fail(f"no case named {case!r}")
    return ws, int(found)


@places_app.command("list")
def places_list(case: CaseOpt, json_out: Annotated[bool, typer.Option(
        "--json", help="One JSON object per place.")] = False,
        workspace: WorkspaceOpt = DEFAULT_WS, db: DbOpt = None) -> None:
    """The case's places: name, centre, media and series, most media first."""
    from cumberland.analysis.places import case_places

    ws, case_id = _case_id(workspace, db, case)
    places = case_places(ws, case_id)  # type: ignore[arg-type]
    for p in places:
        if json_out:
            print(json.dumps(p.as_json()))
        else:
            series = f"  series {', '.join(map(str, p.series))}" if p.series else ""
            console.print(f"{p.number:>3}  {p.name}  {p.lat:.5f},{p.lon:.5f}  "
                          f"{len(p.members)} media{series}", highlight=False, soft_wrap=True)
    if not places and not json_out:
        console.print("no media of the case has GPS coordinates", highlight=False)


@places_app.command("export")
def places_export(
    case: CaseOpt,
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[MapFormat, typer.Option("--format", help="geojson or kml.")] =
        MapFormat.GEOJSON,
    workspace: WorkspaceOpt = DEFAULT_WS, db: DbOpt = None,
) -> None:
    """Write the case's places and their media as GeoJSON or KML for a map tool."""
    from cumberland.analysis.places import case_places, geojson, kml

    ws, case_id = _case_id(workspace, db, case)
    places = case_places(ws, case_id)  # type: ignore[arg-type]
    text = geojson(places) if fmt is MapFormat.GEOJSON else kml(places, f"Case {case}")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    console.print(f"{len(places)} places, {sum(len(p.members) for p in places)} media -> "
                  f"{out}", highlight=False, soft_wrap=True)
