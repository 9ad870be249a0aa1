"""`POST /api/v1/quotes`: ranked, explained placement options (报价) for a job's needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from suanli.api.deps import PrincipalDep, SessionDep, SettingsDep
from suanli.domain.placement import PlacementRequest
from suanli.domain.placement.requests import placement_request
from suanli.services import quotes

router = APIRouter(prefix="/api/v1", tags=["broker"])

Name = Annotated[str, Field(min_length=1, max_length=100)]


class QuoteIn(BaseModel):
    """What the work needs. Give exactly one of `devices`, `equivalents` (A100-equivalents) or `pflops`."""

    model_config = ConfigDict(extra="forbid")
    devices: StrictInt | None = Field(default=None, ge=1, le=100_000)
    equivalents: float | None = Field(default=None, gt=0, le=100_000)
    pflops: float | None = Field(default=None, gt=0, le=100_000)
    ecosystems: list[Name] = Field(default_factory=list, max_length=8, description="cuda, cann, rocm/dtk, cpu")
    models: list[Name] | str = Field(default_factory=list, description='list or "A800|H800"')
    min_device_memory_gb: StrictInt = Field(default=0, ge=0, le=10_000)
    devices_per_node: StrictInt | None = Field(default=None, ge=1, le=1024)
    cpus_per_device: StrictInt = Field(default=1, ge=0, le=10_000)
    memory_gb_per_device: StrictInt = Field(default=0, ge=0, le=100_000)
    hours: float = Field(default=1.0, gt=0, le=24 * 365)
    deadline_hours: float | None = Field(default=None, gt=0, le=24 * 365 * 10)
    max_price_fen: StrictInt | None = Field(default=None, ge=0, le=10**15)
    allowed_regions: list[Name] = Field(default_factory=list, max_length=100)
    designated_only: bool = False
    input_city: Name | None = None
    input_gb: float = Field(default=0, ge=0, le=10**9)
    prefer: Literal["cheapest", "fastest", "greenest", "balanced"] = "balanced"

    @field_validator("models", mode="before")
    @classmethod
    def split_models(cls, value: Any) -> Any:
        return value.split("|") if isinstance(value, str) else value

    def to_request(self) -> PlacementRequest:
        return placement_request(self.model_dump(exclude_none=True))


class ExclusionOut(BaseModel):
    center: str
    pool: str
    code: str
    params: dict[str, Any]
    message: dict[str, str] = Field(description="the reason in zh and en")


class OptionOut(BaseModel):
    pool_id: int
    center: str
    pool: str
    model: str
    ecosystem: str
    devices: int
    hours: float
    expected_start_h: float
    expected_finish_h: float
    list_price_fen: int
    subsidy_fen: int
    price_fen: int = Field(description="price to pay: list price minus voucher subsidy")
    energy_kwh: float
    green_share: float
    transfer_h: float
    center_load: float
    score: float
    components: dict[str, float] = Field(description="score points lost to price, time, energy, locality, balance")
    subsidy_program: str | None
    subsidy_reasons: list[str]


class QuoteOut(BaseModel):
    options: list[OptionOut]
    excluded: list[ExclusionOut]


@router.post("/quotes", response_model=QuoteOut)
def create_quote(body: QuoteIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep) -> dict[str, Any]:
    """Rank every feasible pool for the request (price after subsidy for the caller's organisation)
    and give each excluded pool its one reason; 422 with the closest alternatives when none fits."""
    return quotes.quote_body(quotes.quote(session, principal=principal, request=body.to_request(),
                                                weights=settings.placement_weights or None))
