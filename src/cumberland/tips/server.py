"""``cumberland tips serve``: the site's files, and its tip form's endpoint.

A plain ASGI application (the endpoint is one POST; Starlette serves the files) under
uvicorn with its access log off, no Server header and no proxy headers read: nothing of a
request's sender (address, user agent, cookies, other headers) is read into the tip, stored
or logged. What happens to a tip:

1. the body is read up to the form's size limit (a larger one: 413, unread);
2. it is parsed strictly (``form``) and its object must be listed in the current feed;
   every refusal is the same 400 page, so an unknown or withdrawn id reads like any bad form;
3. with a proof of work: its minute within the window, the work done (two hashes), then the
   generous global bucket, then the token spent once (a replay: 400); without one (no
   JavaScript): the strict global bucket; an empty bucket answers 429 with Retry-After;
4. stored (``db``; tips that arrive together share a commit), and the sender is sent to the
   thanks page (303) once the tip is in the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from cumberland.tips import feed, form, proof
from cumberland.tips.db import NewTip, TipsDb, TipsDbError
from cumberland.tips.limits import Bucket

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("cumberland.tips")
RELOAD_SECONDS = 2.0
HEADERS = [(b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"),
           (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"cross-origin-resource-policy", b"same-origin")]
ANSWER_CSP = (b"content-security-policy",
              b"default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
              b"form-action 'none'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class Limits:
    """Global rates (tips a second) and bursts of the two lanes."""

    pow_rate: float = 2000.0
    pow_burst: float = 2000.0
    plain_rate: float = 0.1  # one tip every ten seconds from browsers without JavaScript
    plain_burst: float = 5.0


def apart(site: Path, db_path: Path) -> None:
    """Refuse a tips database inside the site: it would be served to anyone (and a publish
    swaps the folder whole)."""
    if db_path.absolute().resolve().is_relative_to(site.absolute().resolve()):
        raise TipsDbError(f"{db_path} is inside the site folder, which is served to anyone: "
                          "keep the tips database elsewhere")


class TipsApp:
    def __init__(self, site: Path, db: TipsDb, limits: Limits = Limits(),
                 clock: Callable[[], float] = time.time) -> None:
        self.folder, self.db, self.clock = site.absolute(), db, clock
        apart(self.folder, db.path)
        self.site = feed.load(self.folder)
        self.db.list_objects(self.site.objects)
        self.pow_bucket = Bucket(limits.pow_rate, limits.pow_burst)
        self.plain_bucket = Bucket(limits.plain_rate, limits.plain_burst)
        self.files = StaticFiles(directory=self.folder, check_dir=False)
        self.counts: Counter[str] = Counter()  # outcomes only: for tests and the bench
        self._checked = time.monotonic()
        self._pruned = 0
        self._pending: list[tuple[NewTip, asyncio.Future[bool]]] = []

    def _refresh(self) -> None:
        """Take a republished site's feed (the folder is swapped whole by ``publish``)."""
        now = time.monotonic()
        if now - self._checked < RELOAD_SECONDS:
            return
        self._checked = now
        if feed.stamp(self.folder) == self.site.stamp:
            return
        try:
            site = feed.load(self.folder)
        except feed.FeedError as exc:
            log.warning("kept the previous feed: %s", exc)
            return
        self.site = site
        self.db.list_objects(site.objects)
        log.info("feed reloaded: %d objects", len(site.objects))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # uvicorn runs it with lifespan off
            return
        self._refresh()
        method = scope["method"]
        if scope["path"] == self.site.tip_path and method == "POST":
            status, headers, body = await self._tip(scope, receive)
            await send({"type": "http.response.start", "status": status,
                        "headers": [*HEADERS, *headers, (b"content-length",
                                                         str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
        elif method in ("GET", "HEAD") and scope["path"] != self.site.tip_path:
            try:
                await self.files(scope, receive, _with_headers(send))
            except HTTPException as exc:  # StaticFiles' "not found" (before any response)
                await _empty(send, exc.status_code)
        else:
            await _empty(send, 405, [(b"allow", b"GET, HEAD")])

    async def _store(self, tip: NewTip) -> bool:
        """Queue the tip for the next commit and wait for it: tips that arrive together share
        one transaction (a commit per tip was a third of the cost of taking one), and each is
        answered only once it is in the database."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._pending.append((tip, done))
        if len(self._pending) == 1:
            loop.call_soon(self._commit)
        return await done

    def _commit(self) -> None:
        batch, self._pending = self._pending, []
        try:
            stored = self.db.add_many([tip for tip, _ in batch], self.clock())
        except Exception as exc:  # a full disk, a locked file: these tips fail, not the server
            for _, done in batch:
                done.set_exception(exc)
            return
        for (_, done), ok in zip(batch, stored, strict=True):
            done.set_result(ok)

    def _answer(self, status: int, answer: str, lang: str,
                extra: list[tuple[bytes, bytes]] | None = None
                ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        self.counts[answer] += 1
        page = self.site.answers.get((answer, lang)) or self.site.answers[(answer, "en")]
        return status, [(b"content-type", b"text/html; charset=utf-8"), ANSWER_CSP,
                        *(extra or [])], page

    async def _tip(self, scope: Scope, receive: Receive
                   ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > form.MAX_BODY:
            return self._answer(413, "refused", "en")
        if headers.get(b"content-type", b"").split(b";")[0].strip() != \
                b"application/x-www-form-urlencoded":
            return self._answer(415, "refused", "en")
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > form.MAX_BODY:
                return self._answer(413, "refused", "en")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        lang = form.lang_of(body)
        lang = lang if lang in self.site.languages else "en"
        try:
            tip = form.parse(body)
        except form.FormError:
            return self._answer(400, "refused", lang)
        if tip.object_id not in self.site.objects or tip.lang not in self.site.languages:
            return self._answer(400, "refused", lang)
        now = self.clock()
        minute = int(now // 60)
        if minute != self._pruned:
            self._pruned = minute
            self.db.forget_spent(minute - self.site.pow_window - 1)
        work = None
        if tip.pow_minute is not None and tip.pow_nonce is not None:
            if abs(tip.pow_minute - minute) > self.site.pow_window:
                return self._answer(400, "refused", lang)
            work = proof.work(proof.inner(tip.object_id, tip.lang, tip.pow_minute, tip.text,
                                          tip.contact), tip.pow_nonce)
            if not proof.enough(work, self.site.pow_bits):
                return self._answer(400, "refused", lang)
            bucket, lane = self.pow_bucket, "pow"
        else:
            bucket, lane = self.plain_bucket, "plain"
        if not bucket.take():
            return self._answer(429, "busy", lang,
                                [(b"retry-after", str(bucket.wait()).encode())])
        if not await self._store(NewTip(tip.object_id, tip.lang, tip.text.strip(),
                                        tip.contact.strip(), lane, work, tip.pow_minute)):
            return self._answer(400, "refused", lang)  # a spent token: a replay
        self.counts["accepted"] += 1
        return 303, [(b"location", f"/{tip.lang}/thanks.html".encode())], b""


async def _empty(send: Send, status: int, extra: list[tuple[bytes, bytes]] | None = None
                 ) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*HEADERS, *(extra or []), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
        await send(message)

    return wrapped


def uvicorn_config(app: TipsApp, host: str = "127.0.0.1", port: int = 0) -> Any:
    """How the server runs under uvicorn: no access log, no Server or Date header, no
    forwarded-for headers read, keep-alive short, connections bounded."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning",
                          server_header=False, date_header=False, proxy_headers=False,
                          lifespan="off", timeout_keep_alive=5, limit_concurrency=1024,
                          log_config=None)


def serve(site: Path, db_path: Path, host: str, port: int, limits: Limits = Limits()) -> None:
    """Run the server until interrupted."""
    import uvicorn

    apart(site, db_path)
    app = TipsApp(site, TipsDb(db_path), limits)
    log.warning("taking tips for %d objects of %s on %s:%d (no addresses are kept or logged)",
                len(app.site.objects), site, host, port)
    uvicorn.Server(uvicorn_config(app, host, port)).run()
