"""Deconfliction with other agencies (PSI files or an mTLS endpoint) and other teams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cumberland.cli.common import (
    DEFAULT_WS,
    ActorOpt,
    DbOpt,
    WorkersOpt,
    WorkspaceOpt,
    app,
    console,
    fail,
    open_workspace,
)

if TYPE_CHECKING:
    from cumberland.intel.deconflict.exchange import Finished

deconflict_app = typer.Typer(
    help="Deconfliction: which of a case's media another agency or team also holds.",
    no_args_is_help=True)
app.add_typer(deconflict_app, name="deconflict")

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


@contextmanager
def _guarded(*also: type[Exception]) -> Iterator[None]:
    """A refusal from the deconfliction core (bad file, unknown peer, wrong case), or one of
    ``also``, is one line."""
    from cumberland.intel.deconflict.errors import DeconflictError

    caught: tuple[type[Exception], ...] = (DeconflictError, *also)
    try:
        yield
    except caught as exc:
        fail(str(exc))


@deconflict_app.command("init")
def init(
    agency: Annotated[str, typer.Option(help="This agency's name, as peers will see it.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Create this workspace's agency signing key (Ed25519)."""
    from cumberland.intel.deconflict.identity import create_agency
    from cumberland.store import audit

    ws = open_workspace(workspace, db)
    with _guarded():
        made = create_agency(ws, agency)
    audit.append(ws, "cli", "deconflict-init", target=agency,
                 details={"fingerprint": made.fingerprint})
    say(f"agency {agency}: key fingerprint {made.fingerprint}")


@deconflict_app.command("export-key")
def export_key(
    out: Annotated[Path, typer.Option("--out", help="File to write (give it to peers).")],
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Write this agency's public key for peers to `deconflict trust`."""
    from cumberland.intel.deconflict.identity import load_agency

    with _guarded():
        agency = load_agency(open_workspace(workspace, db))
    out.write_text(json.dumps(agency.public_record(), indent=1) + "\n")
    say(f"{out}: {agency.name}, fingerprint {agency.fingerprint}")


@deconflict_app.command("trust")
def trust(
    key_file: Annotated[Path, typer.Argument(help="A peer's `deconflict export-key` file.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Trust a peer agency's key (check its fingerprint with the peer out of band)."""
    from cumberland.intel.deconflict.identity import read_public_record
    from cumberland.intel.deconflict.identity import trust as add_peer
    from cumberland.store import audit

    ws = open_workspace(workspace, db)
    with _guarded():
        name, public = read_public_record(key_file)
    fpr = add_peer(ws, name, public)
    audit.append(ws, "cli", "deconflict-trust", target=name, details={"fingerprint": fpr})
    say(f"trusting {name}: fingerprint {fpr}")


@deconflict_app.command("approve")
def approve(case: CaseOpt, actor: ActorOpt = "cli", workspace: WorkspaceOpt = DEFAULT_WS,
            db: DbOpt = None) -> None:
    """Approve a case for deconfliction requests (others are refused)."""
    from cumberland.intel.deconflict.cases import approve as approve_case

    with _guarded():
        approve_case(open_workspace(workspace, db), case, actor)
    say(f"case {case} approved for deconfliction")


@deconflict_app.command("release")
def release(
    case: CaseOpt,
    reference: Annotated[str, typer.Option(help="Case reference shown to a peer on a hit.")],
    contact: Annotated[str, typer.Option(help="Contact point shown with it.")],
    actor: ActorOpt = "cli",
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Set what a hit on this case's media shows another agency (nothing otherwise)."""
    from cumberland.intel.deconflict.cases import release as set_release

    with _guarded():
        set_release(open_workspace(workspace, db), case, reference, contact, actor)
    say(f"case {case}: hits release {reference!r} ({contact})")


@deconflict_app.command("owner")
def owner(case: CaseOpt, user: Annotated[str, typer.Option(help="The owner's login name.")],
          actor: ActorOpt = "cli", workspace: WorkspaceOpt = DEFAULT_WS,
          db: DbOpt = None) -> None:
    """Name the owner other teams are pointed to when their media is also in this case."""
    from cumberland.intel.deconflict.cases import set_owner

    with _guarded():
        set_owner(open_workspace(workspace, db), case, user, actor)
    say(f"case {case}: owner {user}")


@deconflict_app.command("request")
def request(
    case: CaseOpt,
    out: Annotated[Path, typer.Option("--out", help="Request file to write.")],
    count_only: Annotated[bool, typer.Option(
        "--count-only", help="Learn only how many media the peer holds, not which.")] = False,
    digest: Annotated[str, typer.Option(help="sha256, sha1 or md5.")] = "sha256",
    to: Annotated[str | None, typer.Option(help="Only this agency may answer.")] = None,
    pad_to: Annotated[int, typer.Option(help="Add dummies up to this many elements.")] = 0,
    actor: ActorOpt = "cli",
    workers: WorkersOpt = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Write a signed request for CASE's media; its secret stays in this workspace."""
    from cumberland.intel.deconflict.exchange import request as make

    with _guarded():
        made = make(open_workspace(workspace, db), case, out, actor,
                    "count" if count_only else "ids", digest, to, pad_to, workers)
    say(f"{out}: exchange {made.exchange_id}, {made.elements:,} media "
                  f"({made.sent:,} elements sent)")


@deconflict_app.command("respond")
def respond(
    request_file: Annotated[Path, typer.Argument(help="A peer's request file.")],
    out: Annotated[Path, typer.Option("--out", help="Response file to write.")],
    case: Annotated[list[str] | None, typer.Option(
        "--case", help="Answer over this case (repeatable; default: all cases).")] = None,
    max_request: Annotated[int, typer.Option(help="Largest request answered.")] = 1_000_000,
    fresh_key: Annotated[bool, typer.Option(
        "--fresh-key", help="Blind everything under a one-off secret (slow; no reuse).")
    ] = False,
    actor: ActorOpt = "cli",
    workers: WorkersOpt = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Answer a peer's request; this workspace learns only the request's size."""
    from cumberland.intel.deconflict import wire
    from cumberland.intel.deconflict.exchange import Limits
    from cumberland.intel.deconflict.exchange import respond as answer

    with _guarded():
        done = answer(open_workspace(workspace, db), request_file, case, actor,
                      Limits(max_request=max_request), fresh_key, workers)
        wire.write(out, done.data)
    say(f"{out}: answered {done.requester}'s {done.asked:,} elements over "
                  f"{done.held_elements:,} held media ({done.released_cases} case references "
                  "releasable)")


def _print_finished(done: Finished, json_out: bool) -> None:
    if json_out:
        print(json.dumps({
            "exchange": done.exchange_id, "responder": done.responder, "mode": done.mode,
            "asked": done.asked, "held": done.held,
            "hits": [{"sha256": h.sha256.hex(), "sha1": h.sha1.hex(), "md5": h.md5.hex(),
                      "releases": [{"reference": r.reference, "contact": r.contact}
                                   for r in h.releases]} for h in done.hits]}))
        return
    say(f"{done.responder} holds {done.held:,} of {done.asked:,} media "
                  f"(exchange {done.exchange_id})")
    for hit in done.hits:
        refs = "; ".join(f"{r.reference} ({r.contact})" for r in hit.releases) or \
            "no reference released"
        say(f"  {hit.sha256.hex()}  sha1 {hit.sha1.hex()}  md5 {hit.md5.hex()}  "
                      f"{refs}")


@deconflict_app.command("finish")
def finish(
    response_file: Annotated[Path, typer.Argument(help="The peer's response file.")],
    case: CaseOpt,
    json_out: JsonOpt = False,
    actor: ActorOpt = "cli",
    workers: WorkersOpt = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Read the response to this workspace's request: which media the peer holds."""
    from cumberland.intel.deconflict.exchange import finish as read_response

    with _guarded():
        done = read_response(open_workspace(workspace, db), response_file, case, actor,
                             workers=workers)
    _print_finished(done, json_out)


@deconflict_app.command("rotate-key")
def rotate_key(workspace: WorkspaceOpt = DEFAULT_WS, db: DbOpt = None) -> None:
    """Start a new responder epoch: a new secret, cached blinded media dropped."""
    from cumberland.intel.deconflict.responder import rotate
    from cumberland.store import audit

    ws = open_workspace(workspace, db)
    epoch = rotate(ws)
    audit.append(ws, "cli", "deconflict-rotate", target=epoch)
    say(f"responder epoch {epoch}")


TlsCert = Annotated[Path, typer.Option("--cert", help="This agency's TLS certificate (PEM).")]
TlsKey = Annotated[Path, typer.Option("--key", help="Its private key (PEM).")]
TlsCa = Annotated[Path, typer.Option("--ca", help="CA certificates of trusted peers (PEM).")]


@deconflict_app.command("serve")
def serve(
    cert: TlsCert,
    key: TlsKey,
    ca: TlsCa,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8443,
    case: Annotated[list[str] | None, typer.Option(
        "--case", help="Answer over this case (repeatable; default: all cases).")] = None,
    max_request: Annotated[int, typer.Option(help="Largest request answered.")] = 1_000_000,
    workers: WorkersOpt = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Answer peers' requests over HTTPS with mutual TLS (client certificates required)."""
    import ssl

    import uvicorn

    from cumberland.intel.deconflict.exchange import Limits
    from cumberland.web.deconflict_peer import PeerConfig, create_peer_app

    ws = open_workspace(workspace, db)
    config = PeerConfig(case, Limits(max_request=max_request), workers)
    say(f"deconfliction endpoint on https://{host}:{port}/ (client certificates required)")
    uvicorn.run(create_peer_app(ws, config), host=host, port=port, log_level="warning",
                ssl_certfile=str(cert), ssl_keyfile=str(key), ssl_ca_certs=str(ca),
                ssl_cert_reqs=ssl.CERT_REQUIRED, server_header=False, proxy_headers=False)


@deconflict_app.command("ask")
def ask(
    case: CaseOpt,
    url: Annotated[str, typer.Option(help="The peer's endpoint, https://HOST:PORT.")],
    cert: TlsCert,
    key: TlsKey,
    ca: TlsCa,
    count_only: Annotated[bool, typer.Option(
        "--count-only", help="Learn only how many media the peer holds, not which.")] = False,
    digest: Annotated[str, typer.Option(help="sha256, sha1 or md5.")] = "sha256",
    to: Annotated[str | None, typer.Option(help="Only this agency may answer.")] = None,
    json_out: JsonOpt = False,
    actor: ActorOpt = "cli",
    workers: WorkersOpt = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Request, send to a peer's endpoint over mutual TLS, and finish, in one go."""
    from cumberland.intel.deconflict.exchange import finish as read_response
    from cumberland.intel.deconflict.exchange import request as make
    from cumberland.intel.deconflict.transport import exchange_over_tls, tls_context

    ws = open_workspace(workspace, db)
    with _guarded():
        context = tls_context(cert, key, ca)
        made = make(ws, case, None, actor, "count" if count_only else "ids", digest, to, 0,
                    workers)
        answer = exchange_over_tls(url, made.data, context)
        done = read_response(ws, answer, case, actor, workers=workers)
    _print_finished(done, json_out)


UserOpt = Annotated[str, typer.Option("--user", help="Whose view (login name).")]


@deconflict_app.command("elsewhere")
def elsewhere(case: CaseOpt, user: UserOpt, json_out: JsonOpt = False,
              workspace: WorkspaceOpt = DEFAULT_WS, db: DbOpt = None) -> None:
    """Media of CASE that other cases hold: named if USER is a member, else owner only."""
    from cumberland.intel.deconflict.cases import case_of
    from cumberland.intel.deconflict.org import elsewhere as find
    from cumberland.store.accounts import AccountError, user_id

    ws = open_workspace(workspace, db)
    with _guarded(AccountError):
        rows = find(ws, user_id(ws, user), case_of(ws, case))
    for r in rows:
        record = {"sha256": r.sha256.hex(), "member_cases": list(r.member_cases),
                  "other_cases": r.other_cases, "owners": list(r.owners),
                  "access_requested": r.requested}
        if json_out:
            print(json.dumps(record))
        else:
            hidden = (f"; {r.other_cases} case(s) you cannot see, owner(s) "
                      f"{', '.join(r.owners)}" if r.other_cases else "")
            say(f"{record['sha256']}  {', '.join(r.member_cases) or '-'}{hidden}")


@deconflict_app.command("request-access")
def request_access(
    case: CaseOpt,
    user: UserOpt,
    media: Annotated[str, typer.Option(help="SHA-256 of the media (hex).")],
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Ask the owners of the cases that hold MEDIA (and USER cannot see) for access."""
    from cumberland.intel.deconflict.cases import case_of
    from cumberland.intel.deconflict.org import request_access as ask_owner
    from cumberland.store.accounts import AccountError, user_id

    ws = open_workspace(workspace, db)
    with _guarded(AccountError, ValueError):
        ask_owner(ws, user_id(ws, user), case_of(ws, case), bytes.fromhex(media))
    say("access request filed with the owners")


@deconflict_app.command("access-requests")
def access_requests(
    owner_name: Annotated[str | None, typer.Option(
        "--owner", help="Only requests to this owner's cases.")] = None,
    json_out: JsonOpt = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Access requests to cases (of one owner, or all)."""
    from cumberland.intel.deconflict.org import access_requests as listing
    from cumberland.store.accounts import AccountError, user_id

    ws = open_workspace(workspace, db)
    try:
        rows = listing(ws, user_id(ws, owner_name) if owner_name else None)
    except AccountError as exc:
        fail(str(exc))
    for r in rows:
        if json_out:
            print(json.dumps({"id": r.id, "case": r.case, "user": r.user,
                              "from_case": r.from_case, "sha256": r.sha256.hex(),
                              "requested_at": r.requested_at, "status": r.status}))
        else:
            say(f"#{r.id} {r.status:<8} {r.user} (case {r.from_case}) -> {r.case}: "
                f"{r.sha256.hex()}")


@deconflict_app.command("decide-access")
def decide_access(
    request_id: Annotated[int, typer.Argument(help="Request number (access-requests).")],
    grant: Annotated[bool, typer.Option("--grant/--decline", help="Grant or decline.")],
    actor: ActorOpt = "cli",
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Grant (membership of the case) or decline an access request."""
    from cumberland.intel.deconflict.org import decide

    with _guarded():
        done = decide(open_workspace(workspace, db), request_id, grant, actor)
    say(f"#{request_id}: {done.user} {'granted' if grant else 'declined'} access to {done.case}")
