"""Failed sign-ins per client address, in this process's memory.

The per-username lock in `services.accounts` stops guessing one account's password; this stops one
client from trying a common password across many usernames. It is per process (each API replica
counts its own), which bounds an attacker by replicas × limit: enough for a city platform's door.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class FailedSignIns:
    def __init__(self, limit: int = 20, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until this client may try again, or None when it may try now."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.limit:
                return None
            return int(times[0] + self.window_s - now) + 1

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 100_000:  # bound memory under a spray from many addresses
                self._failures.clear()
