"""The discrete-event replay engine: jobs arrive, a broker picks a center, the center's local
policy (FIFO or EASY backfill) starts them when capacity frees, and finishing jobs are billed.

One heap of finish events merged with the time-sorted arrival list; nothing else is an event,
so a start happens inside the arrival or finish that made room for it. Job attributes live in
plain Python lists (indexing them is faster than NumPy scalars in this hot loop). Money is
integer fen, priced with the domain's `charge_for_usage` and `subsidy_share` rounding rules.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from itertools import islice

from suanli.domain.money import charge_for_usage, subsidy_share
from suanli.sim.federation import SimFederation
from suanli.sim.traces import Trace

BACKFILL_DEPTH = 50  # queued jobs a backfill pass looks at, like Slurm's bf_max_job_test


class Replay:
    """State of one replay; `run(broker)` fills the per-job outcome lists."""

    def __init__(self, federation: SimFederation, trace: Trace) -> None:
        self.fed = federation
        self.centers = federation.centers
        n, c = len(trace), len(self.centers)
        self.submit = trace.submit.tolist()
        self.duration = trace.duration.tolist()
        self.gpu = trace.gpu_milli.tolist()
        self.cpu = trace.cpu_milli.tolist()
        self.estimate = trace.estimate.tolist()
        homes = federation.homes
        self.home = [homes[o % len(homes)] for o in trace.org.tolist()]
        self.cap_g = [x.gpu_milli for x in self.centers]
        self.cap_c = [x.cpu_milli for x in self.centers]
        self.free_g, self.free_c = self.cap_g[:], self.cap_c[:]
        self.price_g = [x.price_fen_per_device_hour for x in self.centers]
        self.eligible = [x.voucher_eligible for x in self.centers]
        self.queue: list[deque[int]] = [deque() for _ in range(c)]
        self.backlog = [0.0] * c  # queued milli-device-seconds, for wait estimates
        self.running: list[dict[int, float]] = [{} for _ in range(c)]  # job -> estimated end
        self.start = [-1.0] * n
        self.center = [-1] * n
        self.cost = [0] * n
        self.subsidy = [0] * n
        self.budget_left = federation.voucher.budget_fen
        self.budget_out_at: float | None = None
        self.subsidy_curve: list[tuple[float, int]] = [(0.0, 0)]
        self.busy_curve: list[list[tuple[float, int]]] = [[(0.0, 0)] for _ in range(c)]
        self.busy_area = [0.0] * c
        self.last_change = [0.0] * c
        self.events = 0
        self._finishes: list[tuple[float, int]] = []

    # -- capacity bookkeeping ------------------------------------------------------------
    def fits_ever(self, j: int, c: int) -> bool:
        return self.gpu[j] <= self.cap_g[c] and self.cpu[j] <= self.cap_c[c]

    def _account(self, c: int, now: float) -> None:
        busy = self.cap_g[c] - self.free_g[c]
        self.busy_area[c] += busy * (now - self.last_change[c])
        self.last_change[c] = now

    def _start(self, j: int, c: int, now: float) -> None:
        self._account(c, now)
        self.free_g[c] -= self.gpu[j]
        self.free_c[c] -= self.cpu[j]
        self.start[j] = now
        self.running[c][j] = now + self.estimate[j]
        self.busy_curve[c].append((now, self.cap_g[c] - self.free_g[c]))
        heapq.heappush(self._finishes, (now + self.duration[j], j))

    def _finish(self, j: int, now: float) -> None:
        c = self.center[j]
        self._account(c, now)
        self.free_g[c] += self.gpu[j]
        self.free_c[c] += self.cpu[j]
        del self.running[c][j]
        self.busy_curve[c].append((now, self.cap_g[c] - self.free_g[c]))
        self._bill(j, c, now)

    def _bill(self, j: int, c: int, now: float) -> None:
        center = self.centers[c]
        run = self.duration[j]
        cost = charge_for_usage(center.price_fen_per_device_hour, -int(-self.gpu[j] * run // 1000))
        cost += charge_for_usage(center.price_fen_per_cpu_hour, -int(-self.cpu[j] * run // 1000))
        self.cost[j] = cost
        if center.voucher_eligible and self.budget_left > 0:
            paid = min(subsidy_share(cost, self.fed.voucher.ratio), self.budget_left)
            if paid:
                self.subsidy[j] = paid
                self.budget_left -= paid
                self.subsidy_curve.append((now, self.fed.voucher.budget_fen - self.budget_left))
                if self.budget_left == 0:
                    self.budget_out_at = now

    # -- local policies --------------------------------------------------------------------
    def _schedule(self, c: int, now: float) -> None:
        q, gpu, cpu = self.queue[c], self.gpu, self.cpu
        while q and gpu[q[0]] <= self.free_g[c] and cpu[q[0]] <= self.free_c[c]:
            j = q.popleft()
            self.backlog[c] -= gpu[j] * self.estimate[j]
            self._start(j, c, now)
        if len(q) > 1 and self.centers[c].policy == "easy-backfill":
            self._backfill(c, now)

    def _backfill(self, c: int, now: float) -> None:
        """EASY: jobs behind the blocked head may start if they do not delay its reservation."""
        q, gpu, cpu = self.queue[c], self.gpu, self.cpu
        fg, fc = self.free_g[c], self.free_c[c]
        candidates = [j for j in islice(q, 1, BACKFILL_DEPTH + 1) if gpu[j] <= fg and cpu[j] <= fc]
        if not candidates:
            return
        head = q[0]
        shadow, extra_g, extra_c = float("inf"), 0, 0
        for j, end in sorted(self.running[c].items(), key=lambda item: item[1]):
            fg += gpu[j]
            fc += cpu[j]
            if fg >= gpu[head] and fc >= cpu[head]:
                shadow, extra_g, extra_c = end, fg - gpu[head], fc - cpu[head]
                break
        for j in candidates:
            if gpu[j] > self.free_g[c] or cpu[j] > self.free_c[c]:
                continue
            if now + self.estimate[j] > shadow:
                if gpu[j] > extra_g or cpu[j] > extra_c:
                    continue
                extra_g -= gpu[j]
                extra_c -= cpu[j]
            q.remove(j)
            self.backlog[c] -= gpu[j] * self.estimate[j]
            self._start(j, c, now)

    # -- the loop ----------------------------------------------------------------------------
    def run(self, choose: Callable[[Replay, int, float], int],
            progress: Callable[[int], None] | None = None) -> None:
        finishes, submit, n = self._finishes, self.submit, len(self.submit)
        i = 0
        while i < n or finishes:
            if finishes and (i >= n or finishes[0][0] <= submit[i]):
                now, j = heapq.heappop(finishes)
                self._finish(j, now)
                self._schedule(self.center[j], now)
            else:
                j, now = i, submit[i]
                i += 1
                c = choose(self, j, now)
                if c >= 0:
                    self.center[j] = c
                    self.queue[c].append(j)
                    self.backlog[c] += self.gpu[j] * self.estimate[j]
                    self._schedule(c, now)
            self.events += 1
            if progress is not None and not self.events & 0x1FFF:
                progress(self.events)
        end = max(self.last_change) if self.last_change else 0.0
        for c in range(len(self.centers)):
            self._account(c, end)
