"""Deconfliction: ECDH-PSI (exact) beside salted hashes and Bloom filters, in one run; and the
measurements behind not shipping near-duplicate (PDQ) PSI.

Exact: a responder holding R digests (default 10 M) and a requester with Q (100 k), 1 % of the
requester's held by the responder. Each party's step runs in its own process (peak RSS is that
process and its workers); bytes are the files' lengths. The responder's one-off blinding of its
own set (what its cache saves on later requests) is timed on ``--cold`` elements and scaled
linearly (it is one hash-to-curve and one scalar multiplication per element, nothing else); the
warm answer uses a cache holding R entries, real PRF values for the shared elements and random
ones for the rest (indistinguishable, and never matched). Every held media is given a released
reference, the largest response.

PDQ: a responder with 1 M hashes and a requester with 10 k, 1 % of them near-duplicates at
distances 0-31 (uniform), plus the distance spread of benign images under everyday edits. For
candidate nomination by PSI over multi-index substrings it reports recall by distance, the
share of requester hashes nominated falsely, the PSI elements and bytes each way, the projected
PSI time from the exact run's per-element cost, and what a hit reveals.

    python bench/deconflict.py                       # 10 M vs 100 k, 1 M vs 10 k PDQ
    python bench/deconflict.py --responder 1000000   # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from cumberland.intel.deconflict import group, identity, protocol, responder
from cumberland.store.workspace import Workspace

MiB = 1024 * 1024


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _isolated(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run one party's step in a fresh process: its time, and its own peak memory."""
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as pool:
        return pool.submit(fn, *args).result()


def _elements(seed: int, n: int) -> np.ndarray:
    """``n`` distinct random 32-byte stand-ins for SHA-256 digests."""
    return np.unique(np.frombuffer(np.random.default_rng(seed).bytes(32 * n), dtype="S32"))


def _sets(n_req: int, n_resp: int, overlap: float) -> tuple[np.ndarray, np.ndarray, int]:
    mine = _elements(1, n_req)
    shared = int(n_req * overlap)
    theirs = np.unique(np.concatenate([_elements(2, n_resp - shared), mine[:shared]]))
    return mine, theirs, shared


# --- the PSI run, one process per party step ---------------------------------------------


def step_request(folder: str, n_req: int, workers: int) -> dict[str, Any]:
    mine = _elements(1, n_req)
    start = time.perf_counter()
    made = protocol.make_request(responder.split(mine, 32), "ids", "sha256", workers=workers)
    seconds = time.perf_counter() - start
    Path(folder, "request.body").write_bytes(made.body)
    Path(folder, "request.header").write_text(json.dumps(made.header))
    Path(folder, "pending.bin").write_bytes(pickle.dumps(made.pending))
    return {"seconds": seconds, "bytes": len(made.body), "peak_mib": _peak_mib()}


def step_cold(n_cold: int, workers: int) -> dict[str, Any]:
    elements = responder.split(_elements(3, n_cold), 32)
    start = time.perf_counter()
    group.outputs(group.new_scalar(), elements, workers)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "per_element_us": seconds / n_cold * 1e6,
            "peak_mib": _peak_mib()}


def _warm_cache(folder: str, n_req: int, n_resp: int, overlap: float, workers: int) -> None:
    """The responder's cache as a long-lived epoch would hold it (outside the timed step)."""
    mine, theirs, shared = _sets(n_req, n_resp, overlap)
    ws = Workspace(Path(folder, "responder-ws"))
    epoch, scalar = responder.current_key(ws)
    outs = np.frombuffer(np.random.default_rng(4).bytes(32 * len(theirs)),
                         dtype=np.uint8).reshape(-1, 32).copy()
    real = group.outputs(scalar, responder.split(mine[:shared], 32), workers)
    at = np.searchsorted(theirs, mine[:shared])
    outs[at] = np.frombuffer(b"".join(real), dtype=np.uint8).reshape(-1, 32)
    cache = identity.folder(ws) / "cache" / f"{epoch}-sha256.npz"
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, elements=theirs, outs=outs)
    ws.close()


def step_respond(folder: str, n_req: int, n_resp: int, overlap: float,
                 workers: int) -> dict[str, Any]:
    _mine, theirs, _shared = _sets(n_req, n_resp, overlap)
    header = json.loads(Path(folder, "request.header").read_text())
    body = Path(folder, "request.body").read_bytes()
    ws = Workspace(Path(folder, "responder-ws"))
    start = time.perf_counter()
    scalar, outs, blinded = responder.held_outputs(ws, theirs, 32, "sha256", workers=workers)
    held = protocol.Held(outs, [protocol.Release("B-2025-0042", "desk@agency-b.example")],
                         np.arange(len(outs), dtype=np.int64),
                         np.zeros(len(outs), dtype=np.int64))
    out_header, out_body = protocol.answer(header, body, scalar, held, header["exchange_id"],
                                           workers)
    seconds = time.perf_counter() - start
    assert blinded == 0
    Path(folder, "response.body").write_bytes(out_body)
    Path(folder, "response.header").write_text(json.dumps(out_header))
    ws.close()
    return {"seconds": seconds, "bytes": len(out_body), "entries": out_header["m"],
            "peak_mib": _peak_mib()}


def step_finish(folder: str, workers: int) -> dict[str, Any]:
    pending = pickle.loads(Path(folder, "pending.bin").read_bytes())
    header = json.loads(Path(folder, "response.header").read_text())
    body = Path(folder, "response.body").read_bytes()
    start = time.perf_counter()
    outcome = protocol.finish(pending, header, body, workers)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "held": outcome.held,
            "released": sum(len(h.releases) for h in outcome.hits), "peak_mib": _peak_mib()}


# --- baselines ----------------------------------------------------------------------------


def _salted(items: np.ndarray, salt: bytes) -> np.ndarray:
    data = items.tobytes()
    out = b"".join(hashlib.sha256(salt + data[i:i + 32]).digest()
                   for i in range(0, len(data), 32))
    return np.frombuffer(out, dtype="S32")


def step_salted(n_req: int, n_resp: int, overlap: float) -> dict[str, Any]:
    """Both hash with a shared salt; the requester sends its salted digests. Fast, but the
    responder learns the intersection and can test any digest it likes."""
    mine, theirs, _ = _sets(n_req, n_resp, overlap)
    salt = os.urandom(16)
    start = time.perf_counter()
    sent = _salted(mine, salt)
    found = int(np.isin(sent, _salted(theirs, salt)).sum())
    return {"seconds": time.perf_counter() - start, "bytes_to_responder": sent.nbytes,
            "bytes_to_requester": found * 4, "held": found, "peak_mib": _peak_mib()}


def _bloom_positions(items: np.ndarray, bits: int, k: int) -> np.ndarray:
    words = np.frombuffer(items.tobytes(), dtype="<u8").reshape(-1, 4)
    h1, h2 = words[:, 0], words[:, 1] | np.uint64(1)
    i = np.arange(k, dtype=np.uint64)
    return ((h1[:, None] + i[None, :] * h2[:, None]) % np.uint64(bits)).astype(np.int64)


def step_bloom(n_req: int, n_resp: int, overlap: float) -> dict[str, Any]:
    """The responder sends a Bloom filter of its digests (false positives 1e-6). Small and
    fast, but the requester can test any digest it likes against it, offline, for ever."""
    mine, theirs, _ = _sets(n_req, n_resp, overlap)
    start = time.perf_counter()
    bits = int(np.ceil(-len(theirs) * np.log(1e-6) / np.log(2) ** 2))
    k = 20
    field = np.zeros(bits, dtype=bool)
    for lo in range(0, len(theirs), 1_000_000):
        field[_bloom_positions(theirs[lo:lo + 1_000_000], bits, k).ravel()] = True
    packed = np.packbits(field)
    seconds_build = time.perf_counter() - start
    found = int(np.unpackbits(packed)[_bloom_positions(mine, bits, k)].all(axis=1).sum())
    return {"seconds": time.perf_counter() - start, "build_seconds": seconds_build,
            "bytes_to_requester": packed.nbytes, "held": found, "peak_mib": _peak_mib()}


# --- PDQ: what near-duplicate PSI by substrings would give and cost -----------------------


def _planted(n_resp: int, n_req: int, share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    theirs = np.frombuffer(rng.bytes(32 * n_resp), dtype=np.uint8).reshape(-1, 32).copy()
    mine = np.frombuffer(rng.bytes(32 * n_req), dtype=np.uint8).reshape(-1, 32).copy()
    planted = int(n_req * share)
    distance = rng.integers(0, 32, planted)
    for i in range(planted):
        bits = np.unpackbits(theirs[i])
        flip = rng.choice(256, int(distance[i]), replace=False)
        bits[flip] ^= 1
        mine[i] = np.packbits(bits)
    return theirs, mine, distance


def _edit_distances() -> dict[str, list[int]]:
    """PDQ distances between benign synthetic pictures and their everyday edits."""
    import io

    from PIL import Image, ImageFilter

    from cumberland.demo import synthetic_image
    from cumberland.signals.pdq import pdq_from_rgb

    def pdq(image: Image.Image) -> np.ndarray:
        return np.unpackbits(np.frombuffer(pdq_from_rgb(np.asarray(image.convert("RGB")))[0],
                                           dtype=np.uint8))

    def jpeg(image: Image.Image, quality: int) -> Image.Image:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        return Image.open(out)

    edits: dict[str, Callable[[Image.Image], Image.Image]] = {
        "jpeg q40": lambda im: jpeg(im, 40),
        "resize 0.5": lambda im: im.resize((im.width // 2, im.height // 2)),
        "blur 2": lambda im: im.filter(ImageFilter.GaussianBlur(2)),
        "crop 5%": lambda im: im.crop((im.width // 20, im.height // 20, im.width, im.height)),
        "rotate 3 deg": lambda im: im.rotate(3, expand=False),
    }
    out: dict[str, list[int]] = {name: [] for name in edits}
    for seed in range(60):
        image = synthetic_image(5000 + seed, (640, 480))
        base = pdq(image)
        for name, edit in edits.items():
            out[name].append(int((pdq(edit(image)) != base).sum()))
    return out


def _chunks(codes: np.ndarray, length: int) -> np.ndarray:
    """(n, 256/length) chunk values: consecutive bytes of each hash, big-endian."""
    return codes.view(f">u{length // 8}").astype(np.uint64)


def _nominate(theirs: np.ndarray, mine: np.ndarray, length: int, radius: int
              ) -> tuple[np.ndarray, int, int]:
    """Requester hashes PSI would nominate (a chunk equal to, or within ``radius`` bit of, the
    responder's chunk at the same position) and the elements each side would blind."""
    held, asked = _chunks(theirs, length), _chunks(mine, length)
    flips = [np.uint64(0)] + ([np.uint64(1) << np.uint64(b) for b in range(length)]
                              if radius else [])
    hit = np.zeros(len(mine), dtype=bool)
    for position in range(held.shape[1]):
        column = np.unique(held[:, position])
        for flip in flips:
            hit |= np.isin(asked[:, position] ^ flip, column)
    return hit, asked.size * len(flips), held.size


def pdq_part(n_resp: int, n_req: int, per_element_us: float) -> dict[str, Any]:
    from cumberland.index.pdq import PDQIndex

    theirs, mine, distance = _planted(n_resp, n_req, 0.01)
    start = time.perf_counter()
    index = PDQIndex(theirs, np.arange(len(theirs), dtype=np.int64))
    qi, _ids, _d = index.search_arrays(mine, 31)
    clear_seconds = time.perf_counter() - start
    truly = np.zeros(len(mine), dtype=bool)
    truly[qi] = True
    salt = os.urandom(16)
    salted_mine = {hashlib.sha256(salt + h.tobytes()).digest() for h in mine}
    start = time.perf_counter()
    salted_theirs = {hashlib.sha256(salt + h.tobytes()).digest() for h in theirs}
    salted_found = len(salted_mine & salted_theirs)
    salted_seconds = time.perf_counter() - start
    planted = len(distance)
    schemes = {}
    for length, radius in ((16, 0), (16, 1), (32, 0), (32, 1), (64, 0), (64, 1)):
        hit, asked, held = _nominate(theirs, mine, length, radius)
        recall = {f"d<={hi}": float(hit[:planted][(distance <= hi) & (distance > hi - 8)].mean())
                  for hi in (7, 15, 23, 31)}
        false = float(hit[planted:][~truly[planted:]].mean())
        schemes[f"{length}-bit chunks, radius {radius}"] = {
            "recall_by_distance": recall, "recall_all": float(hit[:planted].mean()),
            "false_nominations": false,
            "elements_requester": asked, "elements_responder": held,
            "bytes_to_responder": asked * group.POINT,
            "bytes_to_requester": asked * group.POINT + held * protocol.TAG,
            # the requester blinds and unblinds its probes, the responder blinds them and its
            # own chunks: about one hash-and-multiply per element and pass (per_element_us is
            # the wall time per element with the run's workers)
            "projected_psi_hours": (asked * 3 + held) * per_element_us / 1e6 / 3600,
            # a hit tells the requester one exact chunk of one of the responder's hashes
            "revealed_per_hit_bits": length,
        }
    edits = _edit_distances()
    planted_by_edit = {name: {"median": float(np.median(d)), "within_31": float(np.mean(
        np.asarray(d) <= 31))} for name, d in edits.items()}
    return {
        "responder": n_resp, "requester": n_req, "planted": planted,
        "cleartext_exchange": {"seconds": clear_seconds, "bytes_to_responder": mine.nbytes,
                               "found_planted": int(truly[:planted].sum())},
        "salted_exact_pdq": {"seconds": salted_seconds, "found_planted": salted_found,
                             "bytes_to_responder": len(salted_mine) * 32},
        "schemes": schemes,
        "edit_distances": planted_by_edit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responder", type=int, default=10_000_000)
    parser.add_argument("--requester", type=int, default=100_000)
    parser.add_argument("--overlap", type=float, default=0.01)
    parser.add_argument("--cold", type=int, default=200_000,
                        help="elements blinded to time the responder's first, uncached pass")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pdq-responder", type=int, default=1_000_000)
    parser.add_argument("--pdq-requester", type=int, default=10_000)
    parser.add_argument("--skip-pdq", action="store_true")
    args = parser.parse_args()
    q, r, w = args.requester, args.responder, args.workers
    report: dict[str, Any] = {"requester": q, "responder": r, "overlap": args.overlap,
                              "workers": w, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="deconflict-bench-") as folder:
        _warm_cache(folder, q, r, args.overlap, w)
        report["request"] = _isolated(step_request, folder, q, w)
        report["respond_warm"] = _isolated(step_respond, folder, q, r, args.overlap, w)
        report["finish"] = _isolated(step_finish, folder, w)
        report["cold"] = _isolated(step_cold, args.cold, w)
    report["salted"] = _isolated(step_salted, q, r, args.overlap)
    report["bloom"] = _isolated(step_bloom, q, r, args.overlap)
    cold_full = report["cold"]["per_element_us"] * r / 1e6
    psi_warm = sum(report[k]["seconds"] for k in ("request", "respond_warm", "finish"))
    report["psi"] = {
        "seconds_warm": psi_warm, "seconds_first_time": psi_warm + cold_full,
        "responder_first_blinding_seconds": cold_full,
        "bytes_to_responder": report["request"]["bytes"],
        "bytes_to_requester": report["respond_warm"]["bytes"],
        "held_found": report["finish"]["held"], "held_expected": int(q * args.overlap),
        "vs_salted_time": psi_warm / report["salted"]["seconds"],
        "vs_bloom_time": psi_warm / report["bloom"]["seconds"],
        "vs_bloom_bytes": (report["request"]["bytes"] + report["respond_warm"]["bytes"])
        / report["bloom"]["bytes_to_requester"],
    }
    if not args.skip_pdq:
        report["pdq"] = pdq_part(args.pdq_responder, args.pdq_requester,
                                 report["cold"]["per_element_us"])
    print(json.dumps(report, indent=1, default=float))
    p = report["psi"]
    print(f"\nexact PSI {q:,} vs {r:,}: warm {p['seconds_warm']:.1f} s, first time "
          f"{p['seconds_first_time']:.0f} s; {p['bytes_to_responder'] / MiB:.1f} MiB to the "
          f"responder, {p['bytes_to_requester'] / MiB:.1f} MiB back; found "
          f"{p['held_found']}/{p['held_expected']}")
    print(f"salted hashes {report['salted']['seconds']:.1f} s (PSI warm x"
          f"{p['vs_salted_time']:.1f}); Bloom filter {report['bloom']['seconds']:.1f} s, "
          f"{report['bloom']['bytes_to_requester'] / MiB:.1f} MiB (PSI x{p['vs_bloom_time']:.1f} "
          f"time, x{p['vs_bloom_bytes']:.1f} bytes)")


if __name__ == "__main__":
    main()
