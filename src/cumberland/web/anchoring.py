"""Signed audit anchors from the server: on a schedule while the log grows, and after exports.

Only when the agency's key is configured (``cumberland serve --audit-key``); see
``cumberland.store.anchors`` for what an anchor proves.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from cumberland.store.anchors import Anchor, AnchorError, default_anchors, last_anchor, write_anchor
from cumberland.store.anchors import verify_key as public_key
from cumberland.store.models import AuditEntry
from cumberland.store.workspace import Workspace
from cumberland.web.security import WebConfig

log = logging.getLogger(__name__)


class AnchorSchedule:
    def __init__(self, ws: Workspace, cfg: WebConfig) -> None:
        self.ws = ws
        self.cfg = cfg
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def anchor(self, reason: str) -> Anchor | None:
        """Write an anchor now (None without a key). A broken chain is logged, not anchored."""
        if self.cfg.audit_key is None:
            return None
        try:
            return write_anchor(self.ws, self.cfg.audit_key, self.cfg.audit_anchors, reason)
        except AnchorError as exc:
            log.error("audit anchor (%s) not written: %s", reason, exc)
            return None

    def tick(self) -> Anchor | None:
        """One scheduled anchor, written only when the log grew since the last one."""
        key = self.cfg.audit_key
        if key is None:
            return None
        anchors = self.cfg.audit_anchors or default_anchors(key)
        try:
            previous = last_anchor(self.ws, anchors, public_key(key))
        except AnchorError as exc:
            log.error("audit anchors not readable: %s", exc)
            return None
        with self.ws.engine.connect() as conn:
            tail = int(conn.scalar(select(func.max(AuditEntry.id))) or 0)
        if previous is not None and previous.entry >= tail:
            return None
        return self.anchor("scheduled")

    def _run(self) -> None:
        while not self._stop.wait(self.cfg.anchor_interval):
            try:
                self.tick()
            except Exception:  # the schedule must outlive one failed write
                log.exception("scheduled audit anchor failed")

    def start(self) -> None:
        if self.cfg.audit_key is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="audit-anchors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
