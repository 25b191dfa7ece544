"""``cumberland inspect FILE``: every signal of one file, for a person or a script."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cumberland.cli.common import PluginsOpt, TrustAnchorsOpt, app, console, fail
from cumberland.settings import Settings

if TYPE_CHECKING:
    from cumberland.records import Result

# Prompt text is evidence: kept in the store and --json, never printed in the summary view.
_PROMPT_TEXT = ("prompt", "negative_prompt")


def _as_dict(result: Result) -> dict[str, Any]:
    media = result.media
    out: dict[str, Any] = {"status": result.status, "reason": result.reason, "type": result.mime,
                           "extension_mismatch": result.ext_mismatch, "size": result.size}
    if media is not None:
        out.update({
            "md5": media.md5.hex(), "sha1": media.sha1.hex(), "sha256": media.sha256.hex(),
            "kind": media.kind, "width": media.width, "height": media.height,
            "pdq": media.pdq.hex() if media.pdq else None, "pdq_quality": media.pdq_quality,
            "ai_level": media.ai_level, "meta": media.meta,
        })
    out["signals"] = {s.name: s.data for s in result.signals}
    out["contents"] = len(result.children)
    return out


def _print(path: Path, info: dict[str, Any]) -> None:
    table = Table(title=str(path), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key in ("status", "reason", "type", "kind", "size", "extension_mismatch", "width",
                "height", "md5", "sha1", "sha256", "pdq", "pdq_quality", "ai_level"):
        if info.get(key) is not None:
            table.add_row(key, str(info[key]))
    for key, value in (info.get("meta", {}).get("exif") or {}).items():
        table.add_row(f"exif {key}", str(value))
    console.print(table)
    prov = info["signals"].get("provenance")
    if not prov:
        return
    console.print(f"[bold]Synthetic-media assessment:[/] {prov['level']} "
                  "(absence of a signal proves nothing)", highlight=False)
    for reason in prov.get("reasons", []):
        console.print(f"  • {reason}", highlight=False, soft_wrap=True)
    for conflict in prov.get("conflicts", []):
        console.print(f"  [yellow]conflict:[/] {conflict}", highlight=False, soft_wrap=True)
    for error in prov.get("errors", []):
        console.print(f"  [red]error:[/] {error}", highlight=False, soft_wrap=True)
    for finding in prov.get("findings", []):
        data = {k: v for k, v in finding["data"].items() if k not in _PROMPT_TEXT}
        prompt = (" (prompt text present: see --json)"
                  if any(finding["data"].get(k) for k in _PROMPT_TEXT) else "")
        console.print(f"  [dim]{finding['signal']} v{finding['version']} {finding['kind']}: "
                      f"{json.dumps(data, ensure_ascii=False)[:300]}{prompt}[/]",
                      highlight=False, soft_wrap=True)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="One file (opened read-only).")],
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    trust_anchors: TrustAnchorsOpt = None,
    plugins: PluginsOpt = None,
    spool_dir: Annotated[Path | None, typer.Option(
        help="Where archive members too large for memory are spooled while decoded (without "
             "it they are hashed, not decoded).")] = None,
) -> None:
    """Print every signal of one file: hashes, type, EXIF, PDQ, AI-provenance with reasons."""
    if not file.is_file():
        fail(f"{file}: no such file")
    settings = Settings(trust_anchors=str(trust_anchors) if trust_anchors else None,
                        plugins_dir=str(plugins) if plugins else None)
    from cumberland.pipeline.fingerprint import fingerprint
    from cumberland.records import Task

    task = Task(0, os.fsencode(file.absolute()), file.name, None)
    if spool_dir is None:
        result = fingerprint(task, settings)
    else:  # a private folder (0700), removed however this ends
        with tempfile.TemporaryDirectory(prefix="cumberland-inspect-", dir=spool_dir) as spool:
            result = fingerprint(task, replace(settings, spool_dir=spool))
    info = _as_dict(result)
    if json_out:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    else:
        _print(file, info)
