"""Global rate limits. There is no per-sender limit because nothing identifies a sender: the
server never looks at addresses. Tips with a valid proof of work share a generous bucket that
protects the database; tips without one (a browser without JavaScript) share a strict one."""

from __future__ import annotations

import time
from collections.abc import Callable


class Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def wait(self) -> int:
        """Whole seconds until the next token (the Retry-After of a refusal)."""
        return max(1, int((1 - self._tokens) / self.rate + 0.999))
