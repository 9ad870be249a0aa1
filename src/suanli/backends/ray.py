"""Ray center adapter, through the Ray Jobs API (`ray.job_submission.JobSubmissionClient`).

A job is submitted with `submission_id = "suanli-<job id>"`: Ray refuses a second job with the same
id, and the adapter asks for it first, so a retried dispatch never runs twice. The entrypoint gets
`entrypoint_num_cpus` = the request's CPUs and, for accelerator pools, `entrypoint_num_gpus` = its
devices (also written into the job's metadata, because the job details Ray returns omit the
entrypoint resources). Usage comes from Ray's own job record: wall = end_time - start_time (Ray's start_time is
when the job was accepted, so this includes the few seconds of runtime-env setup), core-seconds =
CPUs × wall, device-seconds = GPUs × wall (CPUs for a CPU pool). Capacity comes from the dashboard's
cluster status (resource totals and usage). Ray is imported lazily: install `suanli[ray]`.

Options: `address` (the dashboard, e.g. http://127.0.0.1:8265), `headers` (e.g. auth for a proxy),
`submission_prefix` ("suanli"), `timeout_s` (10).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from suanli.backends.base import Backend, Health, Observation, Observed, PoolCapacity, SubmitRequest, Usage
from suanli.backends.registry import register
from suanli.domain.errors import BackendRejected, BackendUnavailable, NotFound

STATUS = {"PENDING": Observed.PENDING, "RUNNING": Observed.RUNNING, "SUCCEEDED": Observed.SUCCEEDED,
          "FAILED": Observed.FAILED, "STOPPED": Observed.CANCELLED}
HTTP_STATUS = re.compile(r"status code (\d{3})")


def _ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value else None


@register("ray")
class RayBackend(Backend):
    unsupported = frozenset()

    def __init__(self, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> None:
        super().__init__(center, options, pools)
        self.address = str(options.get("address", "http://127.0.0.1:8265")).rstrip("/")
        self.prefix = str(options.get("submission_prefix", "suanli"))
        self.timeout = float(options.get("timeout_s", 10))
        self._client: Any = None

    # -- plumbing -----------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._client is None:
            try:
                from ray.job_submission import JobSubmissionClient
            except ImportError:
                raise BackendUnavailable("the Ray client is not installed here (pip install 'suanli[ray]')") from None
            try:
                self._client = JobSubmissionClient(self.address, headers=self.options.get("headers"))
            except Exception as exc:  # noqa: BLE001 -- Ray's HTTP layer raises many types; all mean "unreachable"
                raise BackendUnavailable(f"Ray at {self.address} unreachable: {_short(exc)}") from None
        return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client = self._connect()
        try:
            return getattr(client, method)(*args, **kwargs)
        except RuntimeError as exc:
            status = HTTP_STATUS.search(str(exc))
            if status and status.group(1) == "404":
                raise LookupError(str(exc)) from None
            if status and status.group(1).startswith("4") or "already exists" in str(exc):
                raise BackendRejected(f"Ray refused: {_short(exc)}") from None
            raise BackendUnavailable(f"Ray at {self.address}: {_short(exc)}") from None
        except Exception as exc:  # noqa: BLE001 -- as above: connection errors of every kind
            self._client = None  # reconnect next time
            raise BackendUnavailable(f"Ray at {self.address} unreachable: {_short(exc)}") from None

    def _info(self, backend_job_id: str) -> Any | None:
        try:
            return self._call("get_job_info", backend_job_id)
        except LookupError:
            return None

    def _is_gpu(self, pool: str) -> bool:
        return self.pools.get(pool, ("CPU", 0))[0] != "CPU"

    # -- jobs ----------------------------------------------------------------------------------
    def submit(self, request: SubmitRequest) -> str:
        submission_id = f"{self.prefix}-{request.job_id}"
        if self._info(submission_id) is not None:
            return submission_id
        gpus = request.devices if self._is_gpu(request.pool) else 0
        cpus = max(1, request.cpus if gpus else max(request.cpus, request.devices))
        try:
            totals = self._usage_report()
        except BackendUnavailable:
            totals = {}  # no report yet: let Ray queue it rather than refuse
        for name, wanted in (("CPU", cpus), ("GPU", gpus)):
            have = totals.get(name, [0, 0])[1]
            if totals and wanted > have:
                raise BackendRejected(f"Ray cluster has {have:g} {name}; the job asks for {wanted}")
        try:
            self._call("submit_job", entrypoint=request.command, submission_id=submission_id,
                       entrypoint_num_cpus=cpus, entrypoint_num_gpus=gpus or None,
                       runtime_env={"env_vars": dict(request.env)} if request.env else None,
                       metadata={"suanli_job_id": str(request.job_id), "pool": request.pool,
                                 "num_cpus": str(cpus), "num_gpus": str(gpus)})
        except BackendRejected:
            if self._info(submission_id) is not None:  # lost a race with a retry of ourselves
                return submission_id
            raise
        return submission_id

    def observe(self, backend_job_id: str) -> Observation:
        info = self._info(backend_job_id)
        if info is None:
            return Observation(Observed.MISSING, reason=f"Ray has no job {backend_job_id}")
        state = STATUS.get(str(info.status.value if hasattr(info.status, "value") else info.status), Observed.PENDING)
        started = _ms(info.start_time) if state != Observed.PENDING else None
        ended = _ms(info.end_time) if state.is_final else None
        exit_code = getattr(info, "driver_exit_code", None)
        if state == Observed.SUCCEEDED and exit_code is None:
            exit_code = 0
        return Observation(state, exit_code if state.is_final else None, started, ended,
                           (info.message or "")[:300] or None)

    def cancel(self, backend_job_id: str) -> None:
        try:
            self._call("stop_job", backend_job_id)
        except LookupError:
            pass

    def usage(self, backend_job_id: str) -> list[Usage]:
        info = self._info(backend_job_id)
        if info is None or not info.status.is_terminal() or not info.start_time or not info.end_time:
            return []
        if getattr(info, "driver_node_id", None) is None and info.status.value == "STOPPED":
            return []  # stopped before a driver ever ran: nothing to charge
        started, ended = _ms(info.start_time), _ms(info.end_time)
        wall = max(0, round((info.end_time - info.start_time) / 1000))
        meta = info.metadata or {}  # the job details Ray returns omit entrypoint resources; metadata keeps them
        cpus, gpus, pool = int(meta.get("num_cpus", 0)), int(meta.get("num_gpus", 0)), meta.get("pool", "")
        devices = gpus if (gpus or self._is_gpu(pool)) else cpus
        return [Usage("job", devices * wall, cpus * wall, wall, started, ended,  # type: ignore[arg-type]
                      getattr(info, "driver_exit_code", None), "ray")]

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        """Ray keeps one combined log per job: stdout and stderr both return it."""
        try:
            text = self._call("get_job_logs", backend_job_id)
        except LookupError:
            raise NotFound(f"Ray has no job {backend_job_id}") from None
        data = text.encode()
        return data[-limit:].decode(errors="replace")

    # -- center ----------------------------------------------------------------------------------
    def _usage_report(self) -> dict[str, list[float]]:
        """{"CPU": [used, total], "GPU": [used, total], ...} from the dashboard's cluster status."""
        import httpx

        try:
            r = httpx.get(f"{self.address}/api/cluster_status", timeout=self.timeout,
                          headers=self.options.get("headers"))
            r.raise_for_status()
            usage = r.json()["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise BackendUnavailable(f"Ray at {self.address}: no cluster status ({_short(exc)})") from None
        if not usage:  # the first seconds after the head starts
            raise BackendUnavailable(f"Ray at {self.address}: cluster status not reported yet")
        return usage

    def capacity(self) -> list[PoolCapacity]:
        report = self._usage_report()
        result = []
        for pool in self.pools:
            used, total = report.get("GPU" if self._is_gpu(pool) else "CPU", [0.0, 0.0])
            result.append(PoolCapacity(pool, int(total), max(0, int(total - used))))
        return result

    def health(self) -> Health:
        try:
            version = self._call("get_version")
            report = self._usage_report()
        except BackendUnavailable as exc:
            return Health(False, exc.detail)
        problems = [f"pool {p}: the Ray cluster has no GPUs" for p in self.pools
                    if self._is_gpu(p) and not report.get("GPU", [0, 0])[1]]
        return Health(not problems, "; ".join(problems) or f"Ray jobs API {version} at {self.address}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[-300:] if len(text) > 300 else text
