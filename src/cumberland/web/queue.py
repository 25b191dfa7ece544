"""Keeps review queues current without making a reviewer wait for a rebuild.

Rebuilding the queue of a million media takes tens of seconds. When a run has changed a large
case, the rebuild runs in a background thread while pages keep reading the previous queue (the
rebuild is one transaction, so readers see the old one until it commits). Small cases are
rebuilt within the request.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from cumberland.analysis.review import queue_state, refresh_queue
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace

log = logging.getLogger(__name__)
SYNC_LIMIT = 50_000  # items; smaller cases are rebuilt within the request


def _items(ws: Workspace, case: int) -> int:
    with ws.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Item)
                               .where(Item.case_id == case)) or 0)


class QueueKeeper:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._lock = threading.Lock()
        self._running: dict[int, threading.Thread] = {}

    def _rebuild(self, case: int) -> None:
        try:
            refresh_queue(self.ws, case)
        except Exception:  # a failed rebuild must not kill the server; the next page retries
            log.exception("review queue rebuild of case %s failed", case)
        finally:
            with self._lock:
                self._running.pop(case, None)

    def check(self, case: int) -> str:
        """The queue's state; a rebuild is started when it is not fresh.

        Returns ``fresh``, ``updating`` (pages show the previous queue) or ``building``
        (there is no queue yet; pages are empty until it is built).
        """
        state = queue_state(self.ws, case)
        if state == "fresh":
            return state
        if _items(self.ws, case) <= SYNC_LIMIT:  # seconds at most: just do it
            refresh_queue(self.ws, case)
            return "fresh"
        with self._lock:
            if case not in self._running:
                thread = threading.Thread(target=self._rebuild, args=(case,), daemon=True,
                                          name=f"review-queue-{case}")
                self._running[case] = thread
                thread.start()
        return "building" if state == "missing" else "updating"

    def wait(self, case: int) -> None:
        """Block until a running rebuild of ``case`` is done (tests, scripts)."""
        with self._lock:
            thread = self._running.get(case)
        if thread is not None:
            thread.join()
