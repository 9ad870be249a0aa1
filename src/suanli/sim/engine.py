"""The discrete-event replay engine: jobs arrive, a broker picks a center, the center's local
policy (FIFO or EASY backfill) starts them when capacity frees, and finishing jobs are billed.

Jobs keep their resource kind: accelerators, CPU cores (or whole nodes) and memory are placed
on a center's node pools, and a job larger than one node spans nodes only where the pool allows
multi-node jobs. One heap of finish events merged with the time-sorted arrival list; nothing else is an event,
so a start happens inside the arrival or finish that made room for it. Job attributes live in
plain Python lists (indexing them is faster than NumPy scalars in this hot loop). Money is
integer fen, priced with the domain's `charge_for_usage` and `subsidy_share` rounding rules.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable
from itertools import islice

import numpy as np

from suanli.domain.money import charge_for_usage, subsidy_share
from suanli.sim.federation import SimFederation, SimPool
from suanli.sim.traces import Trace

BACKFILL_DEPTH = 50  # queued jobs a backfill pass looks at, like Slurm's bf_max_job_test


UNTRACKED = 1 << 62  # free memory of a pool that does not track memory: never short
REASONS = {
    "gpu": "asks for more accelerators than any pool can give (on one node, or across nodes where allowed)",
    "cpu": "asks for more CPU cores than any pool can give (on one node, or across nodes where allowed)",
    "memory": "asks for more memory than any pool can give",
    "combination": "no pool has enough accelerators, cores and memory together",
    "broker": "some center could run it, but not the one the broker picked (e.g. the home center)",
}


def pool_fits(pool: SimPool, gpu: np.ndarray, cpu: np.ndarray, mem: np.ndarray,
              nodes: np.ndarray) -> np.ndarray:
    """Per job: could this pool ever run it, on one node or, if the pool allows, across nodes?"""
    width = pool.nodes if pool.multi_node else 1
    need = np.maximum(nodes, 1)
    dg, dc, dm = pool.devices_per_node * 1000, pool.cpus_per_node * 1000, pool.memory_gib_per_node * 1024
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.maximum(need, np.where(gpu > 0, -(-gpu // max(dg, 1)) if dg else width + 1, 0))
        need = np.maximum(need, -(-cpu // dc))
        if dm:
            need = np.maximum(need, -(-mem // dm))
    ok: np.ndarray = need <= width
    return ok


def pool_cpu(pool: SimPool, cpu: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """CPU milli a job takes on this pool: its cores, or all cores of the whole nodes it asks for."""
    out: np.ndarray = np.where(nodes > 0, nodes * pool.cpus_per_node * 1000, cpu)
    return out


class Replay:
    """State of one replay; `run(broker)` fills the per-job outcome lists.

    Capacity is kept per node pool (free accelerator milli, CPU milli, memory MiB) and summed
    per center for the brokers. `mask[c][j]` has bit i set when pool i of center c could ever
    run job j; a center's pools are tried CPU-only first, so a CPU job lands on CPU partitions
    and uses GPU nodes' spare cores only when the center has no CPU pool that fits it.
    """

    def __init__(self, federation: SimFederation, trace: Trace) -> None:
        self.fed = federation
        self.centers = federation.centers
        n, c = len(trace), len(self.centers)
        self.kind = trace.kind
        self.submit = trace.submit.tolist()
        self.duration = trace.duration.tolist()
        self.gpu = trace.gpu_milli.tolist()
        self.estimate = trace.estimate.tolist()
        assert trace.mem_mib is not None and trace.nodes is not None
        mem_np, nodes_np = trace.mem_mib, trace.nodes
        self.mem = mem_np.tolist()
        homes = federation.homes
        self.home = [homes[o % len(homes)] for o in trace.org.tolist()]
        # pools, flattened: pool p belongs to center pool_center[p]
        self.pools: list[SimPool] = []
        self.pool_center: list[int] = []
        self.center_pools: list[list[tuple[int, int]]] = []  # per center: (bit, pool), CPU-only first
        self.mask: list[list[int]] = []
        by_nodes = bool(nodes_np.any())
        self.pcpu: list[list[int]] = []  # per pool: CPU milli each job takes there
        shared_cpu = trace.cpu_milli.tolist()
        for ci, center in enumerate(self.centers):
            pools = sorted(center.node_pools(), key=lambda pool: pool.devices_per_node > 0)
            mask = np.zeros(n, np.int64)
            entries = []
            for i, pool in enumerate(pools):
                cpu_np = pool_cpu(pool, trace.cpu_milli, nodes_np) if by_nodes else trace.cpu_milli
                mask |= pool_fits(pool, trace.gpu_milli, cpu_np, mem_np, nodes_np).astype(np.int64) << i
                entries.append((1 << i, len(self.pools)))
                self.pools.append(pool)
                self.pool_center.append(ci)
                self.pcpu.append(cpu_np.tolist() if by_nodes else shared_cpu)
            self.center_pools.append(entries)
            self.mask.append(mask.tolist())
        # a job's nominal CPU demand at a center (wait estimates, brokers): on its first pool there
        self.cpu = shared_cpu
        self.ccpu = [self.pcpu[pools[0][1]] for pools in self.center_pools] if by_nodes else [shared_cpu] * c
        self.pcap_g = [p.nodes * p.devices_per_node * 1000 for p in self.pools]
        self.pcap_c = [p.nodes * p.cpus_per_node * 1000 for p in self.pools]
        self.pcap_m = [p.nodes * p.memory_gib_per_node * 1024 or UNTRACKED for p in self.pools]
        self.pfree_g, self.pfree_c, self.pfree_m = self.pcap_g[:], self.pcap_c[:], self.pcap_m[:]
        self.cap_g = [sum(self.pcap_g[p] for _, p in pools) for pools in self.center_pools]
        self.cap_c = [sum(self.pcap_c[p] for _, p in pools) for pools in self.center_pools]
        self.inv_g = [1.0 / x if x else 0.0 for x in self.cap_g]
        self.inv_c = [1.0 / x if x else 0.0 for x in self.cap_c]
        self.free_g, self.free_c = self.cap_g[:], self.cap_c[:]
        self.price_g = [x.price_fen_per_device_hour for x in self.centers]
        self.price_c = [x.price_fen_per_cpu_hour for x in self.centers]
        self.eligible = [x.voucher_eligible for x in self.centers]
        self.queue: list[deque[int]] = [deque() for _ in range(c)]
        self.backlog = [0.0] * c  # queued center-share-seconds (demand / capacity x estimate), for waits
        self.running: list[dict[int, float]] = [{} for _ in range(c)]  # job -> estimated end
        self.ends: list[list[tuple[float, int]]] = [[] for _ in range(c)]  # (estimated end, job), sorted
        self.settled = [False] * c  # the last backfill pass saw the whole window and nothing changed since
        self.start = [-1.0] * n
        self.center = [-1] * n
        self.pool_of = [-1] * n
        self.cost = [0] * n
        self.subsidy = [0] * n
        self.budget_left = federation.voucher.budget_fen
        self.budget_out_at: float | None = None
        self.subsidy_curve: list[tuple[float, int]] = [(0.0, 0)]
        self.busy_curve: list[list[tuple[float, int]]] = [[(0.0, 0)] for _ in range(c)]
        self.busy_area = [0.0] * c  # accelerator milli-seconds
        self.busy_area_c = [0.0] * c  # CPU milli-seconds
        self.last_change = [0.0] * c
        self.events = 0
        self.trace_start: str | None = None  # set by the caller from the trace header
        self._finishes: list[tuple[float, int]] = []

    # -- capacity bookkeeping ------------------------------------------------------------
    def fits_ever(self, j: int, c: int) -> bool:
        return self.mask[c][j] != 0

    def share(self, j: int, c: int) -> float:
        """The job's dominant share of center c (accelerators or cores)."""
        g, cpu = self.gpu[j] * self.inv_g[c], self.ccpu[c][j] * self.inv_c[c]
        return max(cpu, g)

    def fit_now(self, j: int, c: int) -> int:
        """The first pool of center c with room for job j now, else -1."""
        mask, g, m = self.mask[c][j], self.gpu[j], self.mem[j]
        for bit, p in self.center_pools[c]:
            if mask & bit and g <= self.pfree_g[p] and self.pcpu[p][j] <= self.pfree_c[p] and m <= self.pfree_m[p]:
                return p
        return -1

    def _account(self, c: int, now: float) -> None:
        span = now - self.last_change[c]
        self.busy_area[c] += (self.cap_g[c] - self.free_g[c]) * span
        self.busy_area_c[c] += (self.cap_c[c] - self.free_c[c]) * span
        self.last_change[c] = now

    def _busy(self, c: int) -> int:
        return self.cap_g[c] - self.free_g[c] if self.kind == "gpu" else self.cap_c[c] - self.free_c[c]

    def _start(self, j: int, c: int, p: int, now: float) -> None:
        self._account(c, now)
        g, cpu = self.gpu[j], self.pcpu[p][j]
        self.pfree_g[p] -= g
        self.pfree_c[p] -= cpu
        self.pfree_m[p] -= self.mem[j]
        self.free_g[c] -= g
        self.free_c[c] -= cpu
        self.pool_of[j] = p
        self.start[j] = now
        end = now + self.estimate[j]
        self.running[c][j] = end
        insort(self.ends[c], (end, j))
        self.busy_curve[c].append((now, self._busy(c)))
        heapq.heappush(self._finishes, (now + self.duration[j], j))

    def _finish(self, j: int, now: float) -> None:
        c, p = self.center[j], self.pool_of[j]
        self._account(c, now)
        g, cpu = self.gpu[j], self.pcpu[p][j]
        self.pfree_g[p] += g
        self.pfree_c[p] += cpu
        self.pfree_m[p] += self.mem[j]
        self.free_g[c] += g
        self.free_c[c] += cpu
        ends = self.ends[c]
        del ends[bisect_left(ends, (self.running[c].pop(j), j))]
        self.settled[c] = False  # room freed: every queued job deserves another look
        self.busy_curve[c].append((now, self._busy(c)))
        self._bill(j, c, cpu, now)

    def _bill(self, j: int, c: int, cpu: int, now: float) -> None:
        center = self.centers[c]
        run = self.duration[j]
        cost = charge_for_usage(center.price_fen_per_device_hour, -int(-self.gpu[j] * run // 1000))
        cost += charge_for_usage(center.price_fen_per_cpu_hour, -int(-cpu * run // 1000))
        self.cost[j] = cost
        if center.voucher_eligible and self.budget_left > 0:
            paid = min(subsidy_share(cost, self.fed.voucher.ratio), self.budget_left)
            if paid:
                self.subsidy[j] = paid
                self.budget_left -= paid
                self.subsidy_curve.append((now, self.fed.voucher.budget_fen - self.budget_left))
                if self.budget_left == 0:
                    self.budget_out_at = now

    def refusal(self, j: int) -> str:
        """Why job j was not placed (a key of REASONS)."""
        if any(self.mask[c][j] for c in range(len(self.centers))):
            return "broker"
        g, m = np.array([self.gpu[j]]), np.array([self.mem[j]])
        zero = np.zeros(1, np.int64)
        alone = {"gpu": False, "cpu": False, "memory": False}
        for p, pool in enumerate(self.pools):
            cpu = np.array([self.pcpu[p][j]])
            nodes = np.array([0])
            alone["gpu"] |= bool(pool_fits(pool, g, zero, zero, nodes)[0])
            alone["cpu"] |= bool(pool_fits(pool, zero, cpu, zero, nodes)[0])
            alone["memory"] |= bool(pool_fits(pool, zero, zero, m, nodes)[0])
        for reason in ("gpu", "cpu", "memory"):
            if not alone[reason]:
                return reason
        return "combination"

    # -- local policies --------------------------------------------------------------------
    def _schedule(self, c: int, now: float, arrived: int = -1) -> None:
        """Start what the local policy allows. `arrived` is the job just queued (an arrival event):
        if nothing freed or started since the last backfill pass found nothing, only that job is
        new to look at, so the pass looks at it alone (or not at all, beyond the window)."""
        q = self.queue[c]
        started = False
        while q:
            j = q[0]
            p = self.fit_now(j, c)
            if p < 0:
                break
            q.popleft()
            self.backlog[c] -= self.share(j, c) * self.estimate[j]
            self._start(j, c, p, now)
            started = True
        if len(q) > 1 and self.centers[c].policy == "easy-backfill":
            if started or arrived < 0 or not self.settled[c]:
                self._backfill(c, now, list(islice(q, 1, BACKFILL_DEPTH + 1)))
            elif len(q) <= BACKFILL_DEPTH + 1:  # the new job is inside the window
                self._backfill(c, now, [arrived])

    def _backfill(self, c: int, now: float, window: list[int]) -> None:
        """EASY: jobs behind the blocked head may start if they do not delay its reservation.

        The head's reservation is on its first pool: the time enough running jobs there end.
        A job that would still run then may start on that pool only in what the head leaves.
        """
        q, gpu, mem, ccpu = self.queue[c], self.gpu, self.mem, self.ccpu[c]
        free_g, free_c = self.free_g[c], self.free_c[c]
        self.settled[c] = True
        if len(self.center_pools[c]) == 1:  # one pool: its free room is the center's
            free_m = self.pfree_m[self.center_pools[c][0][1]]
            candidates = [j for j in window if gpu[j] <= free_g and ccpu[j] <= free_c and mem[j] <= free_m]
        else:  # the center's totals bound every pool's free room: a cheap first filter
            candidates = [j for j in window if gpu[j] <= free_g and ccpu[j] <= free_c and self.fit_now(j, c) >= 0]
        if not candidates:
            return
        head = q[0]
        p0 = next(p for bit, p in self.center_pools[c] if self.mask[c][head] & bit)
        pcpu0 = self.pcpu[p0]
        fg, fc, fm = self.pfree_g[p0], self.pfree_c[p0], self.pfree_m[p0]
        shadow, extra_g, extra_c, extra_m = float("inf"), 0, 0, 0
        pool_of = self.pool_of
        for end, j in self.ends[c]:
            if pool_of[j] != p0:
                continue
            fg += gpu[j]
            fc += pcpu0[j]
            fm += mem[j]
            if fg >= gpu[head] and fc >= pcpu0[head] and fm >= mem[head]:
                shadow, extra_g, extra_c, extra_m = end, fg - gpu[head], fc - pcpu0[head], fm - mem[head]
                break
        single = len(self.center_pools[c]) == 1
        pfree_g, pfree_c, pfree_m = self.pfree_g, self.pfree_c, self.pfree_m
        for j in candidates:
            if single:  # inline fit_now: the one pool is p0
                p = p0 if gpu[j] <= pfree_g[p0] and pcpu0[j] <= pfree_c[p0] and mem[j] <= pfree_m[p0] else -1
            else:
                p = self.fit_now(j, c)
            if p < 0:
                continue
            if p == p0 and now + self.estimate[j] > shadow:
                if gpu[j] > extra_g or pcpu0[j] > extra_c or mem[j] > extra_m:
                    continue
                extra_g -= gpu[j]
                extra_c -= pcpu0[j]
                extra_m -= mem[j]
            q.remove(j)
            self.backlog[c] -= self.share(j, c) * self.estimate[j]
            self._start(j, c, p, now)
            self.settled[c] = False  # the window moved: jobs behind it are new to the next pass

    # -- the reference loop ------------------------------------------------------------------
    def run_reference(self, choose: Callable[[Replay, int, float], int],
                      progress: Callable[[int], None] | None = None) -> None:
        """The event loop step by step through the methods above: the definition `run` must match
        (tests/unit/sim/test_replay_fast.py replays both and compares every outcome)."""
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
                    self.backlog[c] += self.share(j, c) * self.estimate[j]
                    self._schedule(c, now, j)
            self.events += 1
            if progress is not None and not self.events & 0x1FFF:
                progress(self.events)
        end = max(self.last_change) if self.last_change else 0.0
        for c in range(len(self.centers)):
            self._account(c, end)

    # -- the fused loop ----------------------------------------------------------------------
    def run(self, choose: Callable[[Replay, int, float], int],
            progress: Callable[[int], None] | None = None) -> None:
        """Replay the trace: the steps of `run_reference`, in the same order and with the same
        floating-point operations, fused into one loop over local names (no method call, no
        attribute look-up, no object per event beyond the heap entry). The project's broker is
        inlined when `choose` is it; the others are called as usual and see the same state.
        Bills are computed after the loop in NumPy, except while the voucher budget lasts (the
        subsidy of a finish depends on the budget left at that moment)."""
        heappush, heappop = heapq.heappush, heapq.heappop
        finishes, submit, n = self._finishes, self.submit, len(self.submit)
        duration, estimate, gpu, mem = self.duration, self.estimate, self.gpu, self.mem
        pcpu, ccpu, mask = self.pcpu, self.ccpu, self.mask
        pfree_g, pfree_c, pfree_m = self.pfree_g, self.pfree_c, self.pfree_m
        free_g, free_c, cap_g, cap_c = self.free_g, self.free_c, self.cap_g, self.cap_c
        inv_g, inv_c = self.inv_g, self.inv_c
        busy_area, busy_area_c, last_change, busy_curve = self.busy_area, self.busy_area_c, self.last_change, \
            self.busy_curve
        queue, backlog, ends, settled = self.queue, self.backlog, self.ends, self.settled
        start, center, pool_of, subsidy = self.start, self.center, self.pool_of, self.subsidy
        center_pools = self.center_pools
        n_centers = len(self.centers)
        gpu_kind = self.kind == "gpu"
        easy = [x.policy == "easy-backfill" for x in self.centers]
        single = [pools[0][1] if len(pools) == 1 else -1 for pools in center_pools]
        end_of = [0.0] * n  # estimated end of a running job (`running` of the reference loop)
        depth = BACKFILL_DEPTH
        inf = float("inf")
        # billing while the voucher budget lasts
        voucher = self.fed.voucher
        num, den = voucher.ratio.numerator, voucher.ratio.denominator
        budget_fen = voucher.budget_fen
        eligible = self.eligible
        price_g, price_c = self.price_g, self.price_c
        subsidy_curve = self.subsidy_curve

        def fit(j: int, c: int) -> int:
            mj, g, m = mask[c][j], gpu[j], mem[j]
            for bit, p in center_pools[c]:
                if mj & bit and g <= pfree_g[p] and pcpu[p][j] <= pfree_c[p] and m <= pfree_m[p]:
                    return p
            return -1

        def begin(j: int, c: int, p: int, now: float) -> None:
            span = now - last_change[c]
            if span:
                busy_area[c] += (cap_g[c] - free_g[c]) * span
                busy_area_c[c] += (cap_c[c] - free_c[c]) * span
                last_change[c] = now
            g, cpu = gpu[j], pcpu[p][j]
            pfree_g[p] -= g
            pfree_c[p] -= cpu
            pfree_m[p] -= mem[j]
            free_g[c] -= g
            free_c[c] -= cpu
            pool_of[j] = p
            start[j] = now
            if easy[c]:  # only a backfill pass reads the estimated ends
                end = now + estimate[j]
                end_of[j] = end
                insort(ends[c], (end, j))
            busy_curve[c].append((now, cap_g[c] - free_g[c] if gpu_kind else cap_c[c] - free_c[c]))
            heappush(finishes, (now + duration[j], j))

        def backfill(c: int, now: float, window: Iterable[int]) -> None:
            q, ccpu_c, mask_c = queue[c], ccpu[c], mask[c]
            fg_c, fc_c = free_g[c], free_c[c]
            settled[c] = True
            p0 = single[c]
            if p0 >= 0:
                fm = pfree_m[p0]
                candidates = [j for j in window if gpu[j] <= fg_c and ccpu_c[j] <= fc_c and mem[j] <= fm]
            else:
                candidates = [j for j in window if gpu[j] <= fg_c and ccpu_c[j] <= fc_c and fit(j, c) >= 0]
            if not candidates:
                return
            head = q[0]
            mh = mask_c[head]
            p0 = next(p for bit, p in center_pools[c] if mh & bit)
            pcpu0 = pcpu[p0]
            fg, fc, fm = pfree_g[p0], pfree_c[p0], pfree_m[p0]
            hg, hc, hm = gpu[head], pcpu0[head], mem[head]
            shadow, extra_g, extra_c, extra_m = inf, 0, 0, 0
            for end, j in ends[c]:
                if pool_of[j] != p0:
                    continue
                fg += gpu[j]
                fc += pcpu0[j]
                fm += mem[j]
                if fg >= hg and fc >= hc and fm >= hm:
                    shadow, extra_g, extra_c, extra_m = end, fg - hg, fc - hc, fm - hm
                    break
            one = single[c] >= 0
            ig, ic = inv_g[c], inv_c[c]
            for j in candidates:
                g = gpu[j]
                if one:
                    p = p0 if g <= pfree_g[p0] and pcpu0[j] <= pfree_c[p0] and mem[j] <= pfree_m[p0] else -1
                else:
                    p = fit(j, c)
                if p < 0:
                    continue
                if p == p0 and now + estimate[j] > shadow:
                    if g > extra_g or pcpu0[j] > extra_c or mem[j] > extra_m:
                        continue
                    extra_g -= g
                    extra_c -= pcpu0[j]
                    extra_m -= mem[j]
                q.remove(j)
                a, b = ccpu_c[j] * ic, g * ig
                backlog[c] -= (a if a >= b else b) * estimate[j]  # noqa: FURB136 - max() is a call
                begin(j, c, p, now)
                settled[c] = False

        def schedule(c: int, now: float, arrived: int) -> None:
            q = queue[c]
            if not q:
                return
            started = False
            p = single[c]
            ccpu_c, mask_c, ig, ic = ccpu[c], mask[c], inv_g[c], inv_c[c]
            while q:
                j = q[0]
                if p >= 0:
                    if not (mask_c[j] and gpu[j] <= pfree_g[p] and pcpu[p][j] <= pfree_c[p] and mem[j] <= pfree_m[p]):
                        break
                    pj = p
                else:
                    pj = fit(j, c)
                    if pj < 0:
                        break
                q.popleft()
                a, b = ccpu_c[j] * ic, gpu[j] * ig
                backlog[c] -= (a if a >= b else b) * estimate[j]  # noqa: FURB136 - max() is a call
                begin(j, c, pj, now)
                started = True
            if len(q) > 1 and easy[c]:
                if started or arrived < 0 or not settled[c]:
                    backfill(c, now, islice(q, 1, depth + 1))
                elif len(q) <= depth + 1:
                    backfill(c, now, [arrived])

        # the project's broker, inlined (same arithmetic as brokers.suanli)
        inline = getattr(choose, "inline_as", None) == "suanli"
        if inline:
            from suanli.sim.brokers import LOAD_WEIGHT_FEN as load_weight
            ratio = float(voucher.ratio)
            offer_g = [price_g[c] * (1.0 - ratio) if eligible[c] else price_g[c] for c in range(n_centers)]
            offer_c = [price_c[c] * (1.0 - ratio) if eligible[c] else price_c[c] for c in range(n_centers)]
            value_g, value_c = self.fed.value_of_wait_fen_per_device_hour, self.fed.value_of_wait_fen_per_cpu_hour
            codes = np.zeros(n, np.int64)
            for c in range(n_centers):
                codes |= (np.asarray(mask[c], np.int64) != 0).astype(np.int64) << c
            options = {code: tuple(c for c in range(n_centers) if code >> c & 1) for code in np.unique(codes).tolist()}
            feasible = [options[code] for code in codes.tolist()]

        budget_left = self.budget_left
        events = 0
        i = 0
        while i < n or finishes:
            if finishes and (i >= n or finishes[0][0] <= submit[i]):
                now, j = heappop(finishes)
                c, p = center[j], pool_of[j]
                span = now - last_change[c]
                if span:
                    busy_area[c] += (cap_g[c] - free_g[c]) * span
                    busy_area_c[c] += (cap_c[c] - free_c[c]) * span
                    last_change[c] = now
                g, cpu = gpu[j], pcpu[p][j]
                pfree_g[p] += g
                pfree_c[p] += cpu
                pfree_m[p] += mem[j]
                free_g[c] += g
                free_c[c] += cpu
                if easy[c]:
                    e = ends[c]
                    del e[bisect_left(e, (end_of[j], j))]
                settled[c] = False
                busy_curve[c].append((now, cap_g[c] - free_g[c] if gpu_kind else cap_c[c] - free_c[c]))
                if budget_left > 0 and eligible[c]:
                    run = duration[j]
                    cost = charge_for_usage(price_g[c], -int(-g * run // 1000))
                    cost += charge_for_usage(price_c[c], -int(-cpu * run // 1000))
                    paid = min(cost * num // den, budget_left)
                    if paid:
                        subsidy[j] = paid
                        budget_left -= paid
                        self.budget_left = budget_left
                        subsidy_curve.append((now, budget_fen - budget_left))
                        if budget_left == 0:
                            self.budget_out_at = now
                if queue[c]:
                    schedule(c, now, -1)
            else:
                j, now = i, submit[i]
                i += 1
                if inline:
                    g, est = gpu[j], estimate[j]
                    if g:
                        value, prices, caps, frees, inv = value_g, offer_g if budget_left > 0 else price_g, cap_g, \
                            free_g, inv_g
                    else:
                        value, prices, caps, frees, inv = value_c, offer_c if budget_left > 0 else price_c, cap_c, \
                            free_c, inv_c
                    c, best_score = -1, inf
                    for k in feasible[j]:
                        busy = (caps[k] - frees[k]) * inv[k]
                        wait = 0.0
                        if queue[k] or g > free_g[k] or ccpu[k][j] > free_c[k]:
                            wait = backlog[k] + busy * 0.5 * est
                        score = est * (prices[k] + load_weight * busy) + wait * value
                        if score < best_score:
                            c, best_score = k, score
                else:
                    c = choose(self, j, now)
                if c >= 0:
                    center[j] = c
                    q = queue[c]
                    a, b = ccpu[c][j] * inv_c[c], gpu[j] * inv_g[c]
                    backlog[c] += (a if a >= b else b) * estimate[j]  # noqa: FURB136 - max() is a call
                    if q:
                        # A queued head is blocked: nothing changed at this center since the pass
                        # that left it there (its room changes only by its own starts and finishes,
                        # each followed by a pass), so the reference's head loop stops at once.
                        q.append(j)
                        if easy[c]:
                            if not settled[c]:
                                backfill(c, now, islice(q, 1, depth + 1))
                            elif len(q) <= depth + 1:
                                backfill(c, now, [j])
                    else:
                        q.append(j)
                        schedule(c, now, j)
            events += 1
            if progress is not None and not events & 0x1FFF:
                self.events = events
                progress(events)
        self.events = events
        self.budget_left = budget_left
        self._bill_all()
        end = max(last_change) if last_change else 0.0
        for c in range(n_centers):
            self._account(c, end)

    def _bill_all(self) -> None:
        """Every placed job's bill, in NumPy: the arithmetic of `_bill` (device-seconds rounded
        up to whole milli-seconds, then `charge_for_usage`'s rounding up to the fen)."""
        pool_of = np.asarray(self.pool_of, np.int64)
        run = np.asarray(self.duration, np.float64)
        gpu = np.asarray(self.gpu, np.int64)
        cost = np.zeros(len(pool_of), np.int64)
        for p in np.unique(pool_of[pool_of >= 0]).tolist():
            jobs = np.flatnonzero(pool_of == p)
            c = self.pool_center[p]
            dur = run[jobs]
            dev_s = -((-gpu[jobs] * dur) // 1000).astype(np.int64)
            cpu_s = -((-np.asarray(self.pcpu[p], np.int64)[jobs] * dur) // 1000).astype(np.int64)
            cost[jobs] = -((-self.price_g[c] * dev_s) // 3600) - ((-self.price_c[c] * cpu_s) // 3600)
        self.cost = cost.tolist()
