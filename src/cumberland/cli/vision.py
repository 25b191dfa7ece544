"""Text and faces of a case: ``cumberland search --text``, ``cumberland faces`` and its
face libraries (``cumberland faces library add|list|remove``)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cumberland.cli.common import (
    DEFAULT_WS,
    ActorOpt,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    err,
    fail,
    open_workspace,
)

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class KindChoice(StrEnum):
    """Whose faces a library holds (analysis.face_library.LibraryKind)."""

    VICTIMS = "victims"
    OFFENDERS = "offenders"
    UNSPECIFIED = "unspecified"


class LabelChoice(StrEnum):
    """Where a gallery picture's label comes from (analysis.face_library.LabelFrom)."""

    FILENAME = "filename"
    FOLDER = "folder"


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
        times = sorted({b["t"] for b in hit.boxes if "t" in b})
        at = f" at {', '.join(f'{t:.1f} s' for t in times)}" if times else ""
        console.print(f"{where}{more}{at}: {' | '.join(hit.text.splitlines())}",
                      highlight=False, soft_wrap=True)
    console.print(f"{len(hits)} picture(s) of {case} read {text!r}", highlight=False)


faces_app = typer.Typer(help="The persons of a case (faces clustered by likeness), and face "
                        "libraries of known persons.", invoke_without_command=True)
face_library_app = typer.Typer(help="Face libraries: an agency's known victims and offenders, "
                                    "matched at triage and enrich.", no_args_is_help=True)
app.add_typer(faces_app, name="faces")
faces_app.add_typer(face_library_app, name="library")


@faces_app.callback()
def faces(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help="Case name.")] = None,
    as_json: JsonOpt = False,
    like: Annotated[str | None, typer.Option(
        help="A face (<sha256>:<n>): list the faces most like it instead.")] = None,
    other_case: Annotated[list[str] | None, typer.Option(
        "--other-case", help="With --like: search these cases too.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """The persons of CASE (faces clustered by likeness), their media and the face-library
    matches of their faces."""
    if ctx.invoked_subcommand is not None:
        return
    if case is None:
        fail("--case is required (or a subcommand: cumberland faces library --help)")
    from cumberland.analysis.face_library import by_face, case_matches
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
    known = by_face(case_matches(ws, cid))
    if as_json:
        console.print_json(json.dumps({"case": case, "persons": [
            {**p.to_dict(), "library": [m.to_dict() for f in p.faces for m in known.get(f.ref, [])]}
            for p in found]}))
        return
    for person in found:
        console.print(f"person {person.number}: {len(person.faces)} face(s) in "
                      f"{len(person.media)} picture(s): "
                      + ", ".join(f.ref if f.t is None else f"{f.ref} (video, {f.t:.1f} s)"
                                  for f in person.faces[:6])
                      + (" ..." if len(person.faces) > 6 else ""), highlight=False,
                      soft_wrap=True)
        for face in person.faces:
            for m in known.get(face.ref, []):
                console.print(f"  {face.ref} in face library {m.library} ({m.kind}): "
                              f"{m.label} (distance {m.distance:.3f})", highlight=False,
                              soft_wrap=True)
    console.print(f"{len(found)} person(s) in {case}, "
                  f"{sum(1 for v in known.values() if v)} face(s) in a face library",
                  highlight=False)


@face_library_app.command("add")
def face_library_add(
    source: Annotated[Path, typer.Argument(
        help="Folder of pictures (one person each), or a CSV of embeddings (columns label, "
             "embedding).")],
    name: Annotated[str, typer.Option(help="Face library name.")],
    label_from: Annotated[LabelChoice, typer.Option(
        help="A picture's label: its file name (without extension) or its folder's "
             "name.")] = LabelChoice.FILENAME,
    kind: Annotated[KindChoice | None, typer.Option(
        help="Whose faces: a match with a victims' library brings a media forward in the "
             "review queue, an offenders' one too, less; unspecified (a new library's "
             "default) moves nothing. Given for an existing library, it replaces its "
             "kind.")] = None,
    actor: ActorOpt = "cli",
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Store the faces of SOURCE (label, embedding, origin; never the pictures); a face the
    library holds already (the same picture or embedding) is not stored again. The faces
    already found in the workspace's cases are matched at once and their media ranked again
    in the review queue."""
    from cumberland.analysis.face_library import (
        FaceLibraryError,
        LabelFrom,
        LibraryKind,
        add_face_library,
    )
    from cumberland.signals.models import ModelError

    ws = open_workspace(workspace, db)
    try:
        out = add_face_library(ws, source, name, LabelFrom(label_from.value), actor=actor,
                               kind=LibraryKind(kind.value) if kind is not None else None)
    except (FaceLibraryError, ModelError) as exc:
        fail(str(exc))
    for problem in out.problems:
        err.print(f"skipped {problem}", highlight=False, soft_wrap=True)
    console.print(f"face library {out.name}: {out.added:,} face(s) added, {out.already:,} "
                  f"already present, {len(out.problems):,} note(s); {out.matched:,} case "
                  "face(s) matched", highlight=False, soft_wrap=True)


@face_library_app.command("list")
def face_library_list(as_json: JsonOpt = False, workspace: WorkspaceOpt = DEFAULT_WS,
                      db: DbOpt = None) -> None:
    """The face libraries, with their faces and labels."""
    from cumberland.analysis.face_library import list_face_libraries

    found = list_face_libraries(open_workspace(workspace, db))
    if as_json:
        console.print_json(json.dumps({"face_libraries": found}))
        return
    for lib in found:
        console.print(f"{lib['name']} ({lib['kind']}): {lib['faces']:,} face(s), "
                      f"{lib['labels']:,} label(s), from {lib['source']}", highlight=False,
                      soft_wrap=True)
    console.print(f"{len(found)} face librar{'y' if len(found) == 1 else 'ies'}",
                  highlight=False)


@face_library_app.command("remove")
def face_library_remove(name: Annotated[str, typer.Argument(help="Face library name.")],
                        actor: ActorOpt = "cli", workspace: WorkspaceOpt = DEFAULT_WS,
                        db: DbOpt = None) -> None:
    """Remove a face library, its faces and their matches in every case."""
    from cumberland.analysis.face_library import FaceLibraryError, remove_face_library

    try:
        count = remove_face_library(open_workspace(workspace, db), name, actor)
    except FaceLibraryError as exc:
        fail(str(exc))
    console.print(f"face library {name} removed ({count:,} face(s))", highlight=False)
