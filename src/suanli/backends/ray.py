"""Ray center adapter, through the Ray Jobs REST API of the head's dashboard, with httpx: the core
needs no `ray` package (`suanli[ray]` only installs one to run a local head).

A job is submitted with `submission_id = "suanli-<job id>"`: Ray refuses a second job with the same
id, and the adapter asks for it first, so a retried dispatch never runs twice. The entrypoint gets
`entrypoint_num_cpus` = the request's CPUs and, for accelerator pools, `entrypoint_num_gpus` = its
devices (also written into the job's metadata, because the job details Ray returns omit the
entrypoint resources). Usage comes from Ray's own job record: wall = end_time - start_time (Ray's start_time is
when the job was accepted, so this includes the few seconds of runtime-env setup), core-seconds =
CPUs × wall, device-seconds = GPUs × wall (CPUs for a CPU pool). Capacity comes from the dashboard's
cluster status (resource totals and usage).

Endpoints: `GET /api/version`, `POST /api/jobs/`, `GET /api/jobs/{id}`, `POST /api/jobs/{id}/stop`,
`GET /api/jobs/{id}/logs`, `GET /api/cluster_status`.

Options: `address` (the dashboard, e.g. http://127.0.0.1:8265), `headers` (e.g. auth for a proxy),
`submission_prefix` ("suanli"), `timeout_s` (10).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from suanli.backends.base import Backend, Health, Observation, Observed, PoolCapacity, SubmitRequest, Usage
from suanli.backends.registry import register
from suanli.domain.errors import BackendRejected, BackendUnavailable, NotFound

STATUS = {"PENDING": Observed.PENDING, "RUNNING": Observed.RUNNING, "SUCCEEDED": Observed.SUCCEEDED,
          "FAILED": Observed.FAILED, "STOPPED": Observed.CANCELLED}
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}


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
        self._client: httpx.Client | None = None

    # -- plumbing -----------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.address, timeout=self.timeout,
                                        headers=self.options.get("headers") or {})
        return self._client

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer; LookupError for 404, BackendRejected for other 4xx, else BackendUnavailable."""
        try:
            response = self._http().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"Ray at {self.address} unreachable: {_short(exc)}") from None
        if response.status_code == 404:
            raise LookupError(response.text)
        if 400 <= response.status_code < 500:
            raise BackendRejected(f"Ray refused ({response.status_code}): {_short(response.text)}")
        if response.status_code >= 300:
            raise BackendUnavailable(f"Ray at {self.address}: HTTP {response.status_code} {_short(response.text)}")
        try:
            return response.json()
        except ValueError:
            raise BackendUnavailable(f"Ray at {self.address}: not JSON: {_short(response.text)}") from None

    def _info(self, backend_job_id: str) -> dict[str, Any] | None:
        try:
            info = self._request("GET", f"/api/jobs/{backend_job_id}")
        except LookupError:
            return None
        return info if isinstance(info, dict) else None

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
        body: dict[str, Any] = {"entrypoint": request.command, "submission_id": submission_id,
                                "entrypoint_num_cpus": cpus,
                                "metadata": {"suanli_job_id": str(request.job_id), "pool": request.pool,
                                             "num_cpus": str(cpus), "num_gpus": str(gpus)}}
        if gpus:
            body["entrypoint_num_gpus"] = gpus
        if request.env:
            body["runtime_env"] = {"env_vars": dict(request.env)}
        try:
            self._request("POST", "/api/jobs/", json=body)
        except BackendRejected:
            if self._info(submission_id) is not None:  # lost a race with a retry of ourselves
                return submission_id
            raise
        return submission_id

    def observe(self, backend_job_id: str) -> Observation:
        info = self._info(backend_job_id)
        if info is None:
            return Observation(Observed.MISSING, reason=f"Ray has no job {backend_job_id}")
        state = STATUS.get(str(info.get("status")), Observed.PENDING)
        started = _ms(info.get("start_time")) if state != Observed.PENDING else None
        ended = _ms(info.get("end_time")) if state.is_final else None
        exit_code = info.get("driver_exit_code")
        if state == Observed.SUCCEEDED and exit_code is None:
            exit_code = 0
        return Observation(state, exit_code if state.is_final else None, started, ended,
                           (info.get("message") or "")[:300] or None)

    def cancel(self, backend_job_id: str) -> None:
        try:
            self._request("POST", f"/api/jobs/{backend_job_id}/stop")
        except LookupError:
            pass

    def usage(self, backend_job_id: str) -> list[Usage]:
        info = self._info(backend_job_id)
        start_ms, end_ms = (info or {}).get("start_time"), (info or {}).get("end_time")
        if info is None or info.get("status") not in TERMINAL or not start_ms or not end_ms:
            return []
        if info.get("driver_node_id") is None and info.get("status") == "STOPPED":
            return []  # stopped before a driver ever ran: nothing to charge
        started, ended = _ms(start_ms), _ms(end_ms)
        wall = max(0, round((end_ms - start_ms) / 1000))
        meta = info.get("metadata") or {}  # job details omit entrypoint resources; metadata keeps them
        cpus, gpus, pool = int(meta.get("num_cpus", 0)), int(meta.get("num_gpus", 0)), meta.get("pool", "")
        devices = gpus if (gpus or self._is_gpu(pool)) else cpus
        return [Usage("job", devices * wall, cpus * wall, wall, started, ended,  # type: ignore[arg-type]
                      info.get("driver_exit_code"), "ray")]

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        """Ray keeps one combined log per job: stdout and stderr both return it."""
        try:
            answer = self._request("GET", f"/api/jobs/{backend_job_id}/logs")
        except LookupError:
            raise NotFound(f"Ray has no job {backend_job_id}") from None
        data = str(answer.get("logs", "") if isinstance(answer, dict) else "").encode()
        return data[-limit:].decode(errors="replace")

    # -- center ----------------------------------------------------------------------------------
    def _usage_report(self) -> dict[str, list[float]]:
        """{"CPU": [used, total], "GPU": [used, total], ...} from the dashboard's cluster status."""
        try:
            answer = self._request("GET", "/api/cluster_status")
            usage = answer["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
        except (LookupError, BackendRejected, KeyError, TypeError) as exc:
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
            version = self._request("GET", "/api/version").get("ray_version", "?")
            report = self._usage_report()
        except BackendUnavailable as exc:
            return Health(False, exc.detail)
        problems = [f"pool {p}: the Ray cluster has no GPUs" for p in self.pools
                    if self._is_gpu(p) and not report.get("GPU", [0, 0])[1]]
        return Health(not problems, "; ".join(problems) or f"Ray jobs API {version} at {self.address}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[-300:] if len(text) > 300 else text
