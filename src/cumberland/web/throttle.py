"""Login throttling: per account and per address, separately, both with backoff.

An account is locked after ``login_attempts`` failures since its last successful login, for
``login_backoff`` seconds from the last failure, doubling with each further failure (capped):
that bounds guesses at one password. An address (one attacker, or a whole office behind one
proxy) is never locked: after ``address_attempts`` failures its attempts wait, one at a time,
``address_delay`` seconds doubling up to ``address_delay_max``. A correct login of an account
that is not itself locked therefore always succeeds, whoever failed from the same address.

Failures are counted from the audit log (``audit.login_history``), so every server process on
the workspace and a restarted one agree.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass

from cumberland.web.security import WebConfig


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    last: float  # epoch seconds of the newest failure (0 when none)


def clock() -> float:
    """Now, in epoch seconds (tests move it forward instead of waiting)."""
    return time.time()


async def pause(seconds: float) -> None:
    await asyncio.sleep(seconds)


def account_wait(failures: Failures, now: float, cfg: WebConfig) -> float:
    """Seconds the account stays locked (0: it may try)."""
    over = failures.count - cfg.login_attempts
    if over < 0:
        return 0
    lock = min(cfg.login_backoff_max, cfg.login_backoff * 2.0 ** min(over, 40))
    return max(0.0, failures.last + lock - now)


def address_delay(failures: Failures, cfg: WebConfig) -> float:
    """Seconds an attempt from this address waits before its password is checked."""
    over = failures.count - cfg.address_attempts
    if over < 0:
        return 0
    return float(min(cfg.address_delay_max, cfg.address_delay * 2.0 ** min(over, 40)))


class AddressQueue:
    """One attempt at a time per slowed address within this process, so a slowed address
    cannot get around its delay by sending attempts in parallel."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def lock(self, address: str) -> asyncio.Lock:
        found = self._locks.get(address)
        if found is None:
            found = asyncio.Lock()
            self._locks[address] = found
        return found
