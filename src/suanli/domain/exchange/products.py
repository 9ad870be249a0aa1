"""Data products (数据产品): what a supplier registers, how it is delivered and priced, and the
states one version goes through from draft to registration certificate (登记证书)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from suanli.domain.exchange.columns import check_columns
from suanli.domain.exchange.errors import ExchangeInvalid
from suanli.domain.money import Fen


class DeliveryMode(StrEnum):
    DATASET = "dataset"  # 数据集文件下载
    API = "api"  # 数据接口
    COMPUTE = "compute"  # 隐私计算: the buyer's job runs next to the data; only outputs leave


class PriceModel(StrEnum):
    PER_DOWNLOAD = "per_download"  # 按次下载
    PER_CALL = "per_call"  # 按调用次数
    SUBSCRIPTION = "subscription"  # 按月订阅


class PiLevel(StrEnum):
    """Personal-information and sensitivity level (个人信息与敏感程度)."""

    NONE = "none"  # 不含个人信息
    DEIDENTIFIED = "deidentified"  # 已去标识化
    PERSONAL = "personal"  # 含个人信息
    SENSITIVE = "sensitive"  # 含敏感个人信息


class VersionStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    IN_REVIEW = "in_review"  # 合规评估中
    IN_NOTICE = "in_notice"  # 公示中
    REGISTERED = "registered"  # 已登记
    REJECTED = "rejected"  # 未通过


# Sensitive personal information never leaves as a file: it may only be used where it lies.
MODES_FOR_SENSITIVE = frozenset({DeliveryMode.COMPUTE})
MAX_QUANTITY = 1_000_000
MAX_PRICE_FEN = 10**12


@dataclass(frozen=True, slots=True)
class ProductDraft:
    title: str
    description: str
    sector: str
    source: str  # 数据来源
    legal_basis: str  # 合法性依据
    pi_level: PiLevel
    update_frequency: str
    delivery_mode: DeliveryMode
    price_model: PriceModel
    price_fen: Fen
    licence: str
    sample: str = ""
    schema: list[dict[str, Any]] = field(default_factory=list)  # columns: see columns.check_columns
    center: str | None = None  # compute delivery: where the data lies
    pool: str | None = None


def _text(value: str, name: str, low: int, high: int) -> None:
    if not low <= len(value.strip()) <= high or len(value) > high:
        raise ExchangeInvalid(f"{name} must have {low} to {high} characters", field=name)


def check_draft(draft: ProductDraft) -> ProductDraft:
    """Refuse a product that cannot be registered as written, naming the field; the draft as it is
    kept (its columns normalised)."""
    _text(draft.title, "title", 2, 200)
    _text(draft.description, "description", 2, 5000)
    _text(draft.sector, "sector", 1, 64)
    _text(draft.source, "source", 2, 1000)
    _text(draft.legal_basis, "legal_basis", 2, 1000)
    _text(draft.update_frequency, "update_frequency", 1, 64)
    _text(draft.licence, "licence", 2, 5000)
    if len(draft.sample) > 20_000:
        raise ExchangeInvalid("sample must have at most 20000 characters", field="sample")
    if isinstance(draft.price_fen, bool) or not 0 <= draft.price_fen <= MAX_PRICE_FEN:
        raise ExchangeInvalid(f"price_fen must be between 0 and {MAX_PRICE_FEN}", field="price_fen")
    if draft.pi_level is PiLevel.SENSITIVE and draft.delivery_mode not in MODES_FOR_SENSITIVE:
        raise ExchangeInvalid("sensitive personal information is delivered only by privacy-preserving compute "
                              "(敏感个人信息仅可通过隐私计算交付)", field="delivery_mode")
    if draft.delivery_mode is DeliveryMode.COMPUTE and not (draft.center and draft.pool):
        raise ExchangeInvalid("compute delivery names the center and pool where the data lies", field="center")
    if draft.delivery_mode is DeliveryMode.API and draft.price_model is PriceModel.PER_DOWNLOAD:
        raise ExchangeInvalid("an API product is priced per call or by subscription", field="price_model")
    if draft.delivery_mode is not DeliveryMode.API and draft.price_model is PriceModel.PER_CALL:
        raise ExchangeInvalid("only an API product is priced per call", field="price_model")
    return replace(draft, schema=check_columns(draft.schema))


def order_total(price_fen: Fen, quantity: int) -> Fen:
    """Price times quantity (downloads, calls or months): exact, no rounding."""
    if isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise ExchangeInvalid(f"quantity must be between 1 and {MAX_QUANTITY}", field="quantity")
    return price_fen * quantity
