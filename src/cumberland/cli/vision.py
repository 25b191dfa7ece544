"""Text and faces of a case: ``cumberland search --text`` and ``cumberland faces``."""

from __future__ import annotations

import json
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

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command("search")
def search(
    case: CaseOpt,
    text: Annotated[str, typer.Option("--text", help="Words read in pictures (all must be "
                                                     "there; word* for a prefix).")],
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="Media listed at most.")] = 200,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Pictures of CASE whose text (OCR) holds every word of --text, with the words' boxes."""
    from cumberland.analysis.text_search import SearchError, search_text
    from cumberland.store.writer import case_id

    ws = open_workspace(workspace, db)
    try:
        hits = search_text(ws, case_id(ws, case, create=False), text, limit)
    except (LookupError, SearchError) as exc:
        fail(str(exc).strip("'\""))
    if as_json:
        console.print_json(json.dumps({"case": case, "query": text,
                                       "hits": [h.to_dict() for h in hits]}))
        return
    for hit in hits:
        where = hit.paths[0] if hit.paths else hit.sha256.hex()
        more = f" (+{len(hit.paths) - 1} more)" if len(hit.paths) > 1 else ""
        console.print(f"{where}{more}: {' | '.join(hit.text.splitlines())}", highlight=False,
                      soft_wrap=True)
    console.print(f"{len(hits)} picture(s) of {case} read {text!r}", highlight=False)


@app.command("faces")
def faces(
    case: CaseOpt,
    as_json: JsonOpt = False,
    like: Annotated[str | None, typer.Option(
        help="A face (<sha256>:<n>): list the faces most like it instead.")] = None,
    other_case: Annotated[list[str] | None, typer.Option(
        "--other-case", help="With --like: search these cases too.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """The persons of CASE (faces clustered by likeness) and their media."""
    from cumberland.analysis.persons import persons, similar
    from cumberland.signals.faces import SAME_PERSON
    from cumberland.store.writer import case_id

    ws = open_workspace(workspace, db)
    try:
        cid = case_id(ws, case, create=False)
        others = [case_id(ws, c, create=False) for c in other_case or []]
        if like is not None:
            ranked = similar(ws, like, cid, others)
        else:
            found = persons(ws, cid)
    except LookupError as exc:
        fail(str(exc).strip("'\""))
    if like is not None:
        rows = [{**f.to_dict(), "distance": round(d, 4), "same_person": d < SAME_PERSON,
                 "case_id": f.case_id} for f, d in ranked]
        if as_json:
            console.print_json(json.dumps({"case": case, "like": like, "faces": rows}))
        else:
            for row in rows:
                console.print(f"{row['face']}  distance {row['distance']:.3f}"
                              f"{'  same person' if row['same_person'] else ''}",
                              highlight=False)
        return
    if as_json:
        console.print_json(json.dumps({"case": case, "persons": [p.to_dict() for p in found]}))
        return
    for person in found:
        console.print(f"person {person.number}: {len(person.faces)} face(s) in "
                      f"{len(person.media)} picture(s): "
                      + ", ".join(f.ref for f in person.faces[:6])
                      + (" ..." if len(person.faces) > 6 else ""), highlight=False,
                      soft_wrap=True)
    console.print(f"{len(found)} person(s) in {case}", highlight=False)
