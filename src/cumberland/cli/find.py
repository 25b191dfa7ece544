"""``cumberland find``: the media showing an object or a scene (region search), and, with an
embedding plug-in, pictures like one picture or like a few words (``matching/pictures``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.table import Table

from cumberland.cli.common import (
    DEFAULT_WS,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    err,
    fail,
    open_workspace,
    workspace_errors,
)
from cumberland.settings import Settings


@app.command()
def find(
    case: Annotated[str, typer.Option(help="Case the search starts from.")],
    media: Annotated[str | None, typer.Option(
        help="SHA-256 (hex) of an image of the case to draw the region on, or of a video "
             "(its keyframes are the query, results one per media).")] = None,
    image: Annotated[Path | None, typer.Option(
        help="A picture brought to the case (a hotel room, a product) instead of --media.")
    ] = None,
    region: Annotated[str | None, typer.Option(
        help="x,y,w,h in pixels of the picture (default with --image or a video: all of "
             "it).")] = None,
    like: Annotated[str | None, typer.Option(
        help="SHA-256 (hex) of a picture or video of the case: pictures like it (embedding "
             "plug-in).")
    ] = None,
    text_query: Annotated[str | None, typer.Option(
        help="Words describing the pictures wanted, e.g. \"red floral bedspread\" "
             "(a text-embedding plug-in).")] = None,
    plugins: Annotated[Path | None, typer.Option(
        help="Folder of ONNX plug-ins for --like and --text-query (default: the one the "
             "case's latest run was given).")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="Search only the cases this user is a member of (login name).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Media of this case and every case you may see that show the region, ranked by the
    inliers of a verified match, each with the region's outline in it; or (--like,
    --text-query) the pictures most like a picture or a text, ranked by cosine similarity."""
    from cumberland.matching import scenes
    from cumberland.store.accounts import AccountError, user_id

    if sum(x is not None for x in (media, image, like, text_query)) != 1:
        fail("give one of --media SHA256, --image FILE, --like SHA256 or --text-query TEXT")
    if like is not None or text_query is not None:
        if region is not None:
            fail("--region goes with --media or --image")
        _find_like(case, like, text_query, plugins, user, limit, json_out, workspace, db)
        return
    settings = Settings()
    note = None
    keyframes: list[scenes.Query] = []
    try:
        box = scenes.parse_region(region) if region is not None else None
        with workspace_errors(workspace):
            ws = open_workspace(workspace, db)
            cases = scenes.cases_for(ws, case, user_id(ws, user) if user else None)
            if media is not None:
                digest = _sha256(media, "--media")
                if scenes.media_kind(ws, case, digest) == "video":
                    keyframes = scenes.keyframe_queries(ws, case, digest, box)
                    query = keyframes[0]
                    found = scenes.search_keyframes(ws, keyframes, cases, limit)
                else:
                    if box is None:
                        fail("--media needs --region x,y,w,h (for a video it is optional)")
                    query, note = scenes.media_query(ws, case, digest, box, settings)
                    found = scenes.search(ws, query, cases, limit)
            else:
                assert image is not None
                query = scenes.image_query(image, box, settings)
                found = scenes.search(ws, query, cases, limit)
    except (scenes.SearchError, AccountError) as exc:
        fail(str(exc))
    if note:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if json_out:
        _print_json(scenes.dumps(found, query, keyframes), found.hits, case)
        return
    console.print(f"{len(found.hits)} media show the region ({found.nominated} of "
                  f"{found.pictures:,} pictures verified; cases: {', '.join(found.cases)})",
                  highlight=False, soft_wrap=True)
    if not found.hits:
        return
    _print_also_in(found.hits, case)
    table = Table()
    columns = ["sha256", "kind", "inliers", "at", "cases", "outline"]
    if keyframes:
        columns.insert(3, "found by keyframes")
    for column in columns:
        table.add_column(column, no_wrap=column == "sha256")
    for h in found.hits:
        outline = " ".join(f"{x:.0f},{y:.0f}" for x, y in h.outline)
        row = [h.sha256.hex(), h.kind, str(h.inliers),
               "" if h.at is None else f"{h.at:.1f}s", ", ".join(h.cases), outline]
        if keyframes:
            row.insert(3, " ".join(f"{t:.1f}s" for t in h.query_at))
        table.add_row(*row)
    console.print(table)


class _Held(Protocol):
    @property
    def cases(self) -> Sequence[str]: ...


def also_in(hits: Iterable[_Held], case: str) -> list[tuple[str, int]]:
    """The other cases searched (those the user may see) holding results, with how many:
    the investigator's cue that the scene is known elsewhere."""
    counts: dict[str, int] = {}
    for hit in hits:
        for name in hit.cases:
            if name != case:
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items())


def _print_also_in(hits: Iterable[_Held], case: str) -> None:
    held = also_in(hits, case)
    if held:
        console.print("also in: " + ", ".join(
            f"{name} ({n} result{'s' if n != 1 else ''})" for name, n in held),
            highlight=False, soft_wrap=True)


def _print_json(text: str, hits: Iterable[_Held], case: str) -> None:
    """The results' JSON with ``also_in`` ([{case, results}]) added."""
    out = json.loads(text)
    out["also_in"] = [{"case": name, "results": n} for name, n in also_in(hits, case)]
    print(json.dumps(out))


def _sha256(text: str, option: str) -> bytes:
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        fail(f"{option} {text!r} is not a SHA-256 (64 hex digits)")
    return digest


def _find_like(case: str, like: str | None, text_query: str | None, plugins: Path | None,
               user: str | None, limit: int, json_out: bool, workspace: Path,
               db: str | None) -> None:
    from cumberland.matching import pictures, scenes
    from cumberland.signals.plugins import PluginError
    from cumberland.store.accounts import AccountError, user_id
    from cumberland.store.writer import case_id

    digest = _sha256(like, "--like") if like is not None else None
    try:
        with workspace_errors(workspace):
            ws = open_workspace(workspace, db)
            cases = scenes.cases_for(ws, case, user_id(ws, user) if user else None)
            space = pictures.space(ws, case_id(ws, case, create=False),
                                   plugins.absolute() if plugins else None)
            if digest is not None:
                found = pictures.like(ws, space, case, digest, cases, limit)
            else:
                assert text_query is not None
                found = pictures.text(ws, space, case, text_query[:1000], cases, limit)
    except (scenes.SearchError, pictures.PicturesError, PluginError, AccountError) as exc:
        fail(str(exc))
    if json_out:
        _print_json(pictures.dumps(found, {"like": like, "text": text_query}), found.hits, case)
        return
    what = f"like {like[:16]}" if like is not None else f"described by {found.words}"
    console.print(f"{len(found.hits)} pictures {what} (model {found.model}, "
                  f"{found.pictures:,} pictures, {found.index} index; cases: "
                  f"{', '.join(found.cases)})", highlight=False, soft_wrap=True)
    if not found.hits:
        return
    _print_also_in(found.hits, case)
    table = Table()
    for column in ("sha256", "cosine", "at", "cases"):
        table.add_column(column, no_wrap=column == "sha256")
    for h in found.hits:
        table.add_row(h.sha256.hex(), f"{h.score:.3f}", "" if h.at is None else f"{h.at:.1f}s",
                      ", ".join(h.cases))
    console.print(table)
