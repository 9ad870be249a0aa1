"""An opportunity item (机会清单条目) and the states of items and publication batches.

An item is either supply (供给: what an organisation offers) or demand (需求: what it looks for), on one
of the six tracks the city's list uses. A compute-demand item may state what it needs in devices and
hours, which is enough for the broker to quote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from suanli.domain.errors import InvalidInput, SuanliError


class OpportunityError(InvalidInput):
    slug, title = "invalid-opportunity", "Invalid opportunity item"


class DuplicateOpportunity(SuanliError):
    status, slug, title = 409, "duplicate-opportunity", "Duplicate opportunity item"


class ItemKind(StrEnum):
    SUPPLY = "supply"  # 供给
    DEMAND = "demand"  # 需求


class Track(StrEnum):
    COMPUTE = "compute"  # 算力
    DATASETS = "datasets"  # 数据集与语料
    HARDWARE = "hardware"  # 基础硬件
    MODELS = "models"  # 模型
    DEVICES = "devices"  # 智能终端
    APPLICATIONS = "applications"  # 行业应用 (the bureau's sheet says 应用: table.TRACK_ZH)


# The words a Chinese reader sees for a kind and a track, for the edges that have no message catalog (the
# CLI's tables). The web says the same through Babel (web/routes/opportunities.py LABELS; a unit test keeps
# the two equal). The bureau's sheet keeps its own column words (table.KIND_ZH, table.TRACK_ZH).
KIND_NAMES_ZH = {ItemKind.SUPPLY: "供给", ItemKind.DEMAND: "需求"}
TRACK_NAMES_ZH = {Track.COMPUTE: "算力", Track.DATASETS: "数据集与语料", Track.HARDWARE: "基础硬件", Track.MODELS: "模型",
                  Track.DEVICES: "智能终端", Track.APPLICATIONS: "行业应用"}


class BatchStatus(StrEnum):
    DRAFT = "draft"  # being prepared by an officer
    IN_REVIEW = "in_review"  # submitted; another officer reviews it
    PUBLISHED = "published"  # public on the board


class ItemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class ComputeNeed:
    """A compute-demand item's need: `devices` for `hours`, optionally of given accelerator models."""

    devices: int
    hours: float
    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.devices <= 100_000:
            raise OpportunityError(f"compute need: devices must be 1 to 100000, got {self.devices}")
        if not 0 < self.hours <= 100_000:
            raise OpportunityError(f"compute need: hours must be positive, got {self.hours}")


@dataclass(frozen=True, slots=True)
class OpportunityDraft:
    """Every field of an item as the bureau's table carries it."""

    code: str  # 清单编号, unique within the list
    kind: ItemKind
    track: Track
    title: str
    issuer: str  # 发布单位 (an organisation's Chinese name when it is on the platform)
    region: str
    scenario: str
    description: str = ""
    indicators: str = ""  # 技术指标 (supply) or requirements (demand)
    budget_fen: int | None = None
    deadline: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    compute: ComputeNeed | None = None

    def __post_init__(self) -> None:
        for name in ("code", "title", "issuer", "region", "scenario"):
            value = getattr(self, name)
            if not value.strip():
                raise OpportunityError(f"{name} must not be empty")
            if len(value) > 200:
                raise OpportunityError(f"{name} must have at most 200 characters")
        for name in ("description", "indicators", "contact_name", "contact_phone", "contact_email"):
            if len(getattr(self, name)) > MAX_TEXT:
                raise OpportunityError(f"{name} must have at most {MAX_TEXT} characters")
        if self.budget_fen is not None and not 0 <= self.budget_fen <= 10**15:
            raise OpportunityError("budget must be 0 to 10^15 fen")
        if self.compute is not None and not (self.kind == ItemKind.DEMAND and self.track == Track.COMPUTE):
            raise OpportunityError("only a compute-demand item states a compute need")

    @property
    def quotable(self) -> bool:
        return self.compute is not None

    def searchable_text(self) -> str:
        return f"{self.code} {self.title} {self.issuer} {self.region} {self.scenario} {self.description} {self.indicators}"
