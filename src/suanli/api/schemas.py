"""Request and response bodies of the core API (organisations, users, centers, jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from suanli.domain.jobs import MAX_COMMAND_BYTES, MAX_TIME_LIMIT_S
from suanli.domain.organisations import OrganisationType, Role

Name = Field(min_length=1, max_length=200)



class Body(BaseModel):
    """A request body: a field the endpoint does not know is refused (422), never silently dropped
    (a misspelt field would otherwise look accepted)."""

    model_config = ConfigDict(extra="forbid")

class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: Role
    organisation_id: int


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Name
    name_zh: str = Name
    type: OrganisationType
    city: str = Field(min_length=1, max_length=100)
    sectors: list[str] = Field(default_factory=list, max_length=20)
    sme: bool = False
    incubator: str | None = Field(default=None, max_length=200)
    affiliated_centers: list[str] = Field(default_factory=list, max_length=50)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    name_zh: str
    type: str
    city: str
    sectors: list[str]
    sme: bool
    incubator: str | None
    affiliated_centers: list[str]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    organisation_id: StrictInt = Field(ge=1, le=2**31 - 1)
    display_name: str = Field(default="", max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    organisation_id: int
    active: bool


class PoolOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    model: str
    ecosystem: str
    device_memory_gb: int
    fp16_tflops: float
    nodes: int
    devices_per_node: int
    total_devices: int
    free_devices: int | None
    price_fen_per_device_hour: int
    partition: str | None


class CenterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    name_zh: str
    kind: str
    city: str
    backend_kind: str
    simulated: bool = False
    green_share: float
    healthy: bool
    health_detail: str
    pools: list[PoolOut]


class FederationIn(BaseModel):
    yaml: str = Field(min_length=1, max_length=1_000_000)


class ResourcesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    devices: StrictInt = Field(ge=1, le=100_000)
    ecosystems: list[str] = Field(default_factory=list, max_length=4)
    models: list[str] = Field(default_factory=list, max_length=20)
    min_device_memory_gb: StrictInt = Field(default=0, ge=0, le=10_000)
    cpus_per_device: StrictInt = Field(default=1, ge=1, le=1024)
    memory_gb_per_device: StrictInt = Field(default=1, ge=0, le=100_000)
    # A gang over several nodes (pools whose federation entry allows it, `max_nodes`); None: the fewest.
    nodes: StrictInt | None = Field(default=None, ge=1, le=10_000)
    tasks_per_node: StrictInt = Field(default=1, ge=1, le=1024)


class PreferencesIn(BaseModel):
    """What the broker weighs when it places an auto job (see docs/broker.md)."""

    model_config = ConfigDict(extra="forbid")
    prefer: Literal["cheapest", "fastest", "greenest", "balanced"] = "balanced"
    deadline: AwareDatetime | None = None
    max_price_fen: StrictInt | None = Field(default=None, ge=0, le=10**12)
    allowed_regions: list[str] = Field(default_factory=list, max_length=20)
    designated_only: bool = False
    input_city: str | None = Field(default=None, max_length=100)
    input_gb: float = Field(default=0, ge=0, le=10**7)


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    command: str = Field(min_length=1, max_length=MAX_COMMAND_BYTES)
    resources: ResourcesIn
    time_limit_s: StrictInt = Field(ge=1, le=MAX_TIME_LIMIT_S)
    center: str | None = Field(default=None, max_length=63)
    pool: str | None = Field(default=None, max_length=63)
    preferences: PreferencesIn | None = None


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    command: str
    organisation_id: int
    user_id: int
    state: str
    request: dict[str, Any]
    devices: int
    time_limit_s: int
    pool_id: int | None
    backend_job_id: str | None
    exit_code: int | None
    reason: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    placement: dict[str, Any] | None


class JobEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    reason: str | None
    created_at: datetime


class UsageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    step: str
    device_seconds: int
    core_seconds: int
    wall_seconds: int
    started_at: datetime
    ended_at: datetime
    exit_code: int | None
    source: str
    charge_fen: int


class JobDetailOut(JobOut):
    events: list[JobEventOut]
    usage: list[UsageOut]


def receipt_reference(stored: dict[str, Any] | None, url: str | None = None) -> dict[str, Any] | None:
    """A row's audit receipt as a write or read answers it: what the row keeps (the outbox id of its
    event; rows from before the outbox keep seq and leaf hash) and `url`, where the signed receipt is
    handed out once the sequencer has placed the event (503 + Retry-After until then)."""
    if not stored:
        return None
    if url is None:
        url = (f"/api/v1/audit/outbox/{stored['outbox_id']}/receipt" if "outbox_id" in stored
               else f"/api/v1/audit/events/{stored['seq']}/receipt")
    return {**stored, "url": url}
