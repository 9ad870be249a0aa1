"""Spread fill seeds over local processes (concurrent.futures) or an existing Ray cluster.

Ray is optional: it is imported only when `--ray ADDRESS` is given, and a missing Ray is one
readable error, so planners who outgrow one machine can reuse a cluster they already run.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from suanli.sim import SimInputError
from suanli.sim.fill.data import NodeList, PodList


def _one(args: tuple[NodeList, PodList, str, int, float]) -> dict[int, float]:
    from suanli.sim.fill.experiment import run_seed

    return run_seed(*args)


def map_seeds(nodes: NodeList, pods: PodList, policy: str, seeds: list[int], tune: float,
              workers: int = 1, ray_address: str | None = None) -> list[dict[int, float]]:
    jobs = [(nodes, pods, policy, seed, tune) for seed in seeds]
    if ray_address:
        return _on_ray(jobs, ray_address)
    if workers <= 1 or len(jobs) == 1:
        return [_one(job) for job in jobs]
    workers = min(workers, len(jobs))
    # one chunk per worker: a chunk is pickled as one message, so its seeds share one copy of
    # the node and pod lists, and with it what run_seed derives from them once
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, jobs, chunksize=-(-len(jobs) // workers)))


def _on_ray(jobs: list[tuple[NodeList, PodList, str, int, float]], address: str) -> list[dict[int, float]]:
    try:
        import ray  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise SimInputError("--ray needs Ray: install the 'ray' extra (pip install 'suanli[ray]')") from None
    ray.init(address=address, ignore_reinit_error=True)
    remote = ray.remote(_one)
    return list(ray.get([remote.remote(job) for job in jobs]))
