"""The contended part of a batch as a generalised assignment problem, solved with HiGHS.

    minimise   sum_c,p cost[c,p] * y[c,p]  +  sum_c penalty[c] * u[c]
    subject to sum_p y[c,p] + u[c] = n[c]                 (every job of class c placed or deferred)
               sum_c devices[c,p] * y[c,p] <= capacity[p]  (free devices of pool p)
               y, u >= 0 and integer

Small models are solved as a MILP; large ones as the LP relaxation, rounded down and repaired
greedily (at most one fractional class per tight pool, so little is lost). Either way the result is
checked against the capacities before it is returned.
"""

from __future__ import annotations

import highspy
import numpy as np

MILP_MAX_COLUMNS = 20_000


def solve_assignment(cost: np.ndarray, devices: np.ndarray, capacity: np.ndarray, n: np.ndarray,
                     penalty: np.ndarray, *, time_limit_s: float = 5.0) -> tuple[np.ndarray, str]:
    """Jobs of each class placed per pool, shape (classes, pools), and which method produced it.
    `cost` is inf where a class cannot use a pool."""
    classes, pools = cost.shape
    cs, ps = np.nonzero(np.isfinite(cost))
    ncol = len(cs) + classes
    integer = ncol <= MILP_MAX_COLUMNS
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, classes + pools
    lp.col_cost_ = np.concatenate([cost[cs, ps], penalty]).astype(np.float64)
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.concatenate([n[cs], n]).astype(np.float64)
    lp.row_lower_ = np.concatenate([n.astype(np.float64), np.full(pools, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([n.astype(np.float64), capacity.astype(np.float64)])
    # Column-wise: an assignment column touches its class row and its pool row; a deferral column
    # only its class row.
    index = np.empty(2 * len(cs) + classes, dtype=np.int32)
    index[0:2 * len(cs):2], index[1:2 * len(cs):2] = cs, classes + ps
    index[2 * len(cs):] = np.arange(classes)
    value = np.ones(len(index))
    value[1:2 * len(cs):2] = devices[cs, ps]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([np.arange(0, 2 * len(cs) + 1, 2), 2 * len(cs) + np.arange(1, classes + 1)]).astype(np.int32)
    lp.a_matrix_.index_, lp.a_matrix_.value_ = index, value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * ncol
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's Highs.__init__ is unannotated
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    y = np.zeros((classes, pools))
    if h.getInfo().primal_solution_status == 2:  # feasible point available
        x = np.asarray(h.getSolution().col_value)[: len(cs)]
        y[cs, ps] = np.floor(x + 1e-6)
    placed = _repair(y.astype(np.int64), cost, devices, capacity, n)
    return placed, "milp" if integer else "lp+repair"


def _repair(y: np.ndarray, cost: np.ndarray, devices: np.ndarray, capacity: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Enforce capacities exactly, then place leftover jobs greedily into what is still free."""
    left = capacity.astype(np.int64).copy()
    over = np.flatnonzero((y * devices).sum(axis=0) > left)
    for p in over:  # only if the solver's tolerance overshot: cheapest assignments keep their places
        for c in np.argsort(cost[:, p]):
            use = min(int(y[c, p]), max(left[p], 0) // max(int(devices[c, p]), 1))
            y[c, p] = use
            left[p] -= use * int(devices[c, p])
    left = capacity.astype(np.int64) - (y * devices).sum(axis=0)
    for c in np.flatnonzero(y.sum(axis=1) < n):
        todo = int(n[c] - y[c].sum())
        for p in np.argsort(cost[c], kind="stable"):
            if todo <= 0 or not np.isfinite(cost[c, p]):
                break
            fit = min(todo, int(left[p]) // max(int(devices[c, p]), 1))
            y[c, p] += fit
            left[p] -= fit * int(devices[c, p])
            todo -= fit
    return y
