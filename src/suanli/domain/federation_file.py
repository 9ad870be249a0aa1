"""The federation file (YAML): centers and pools, validated with the line and field of every error.

Parsing is pure (text in, `Center`s out) so the same rules serve the CLI, the API upload and tests.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from suanli.domain.errors import InvalidFederationFile, SuanliError
from suanli.domain.federation import NAME_PATTERN, Center, CenterKind, Pool, check_unique
from suanli.domain.resources import CATALOGUE
from suanli.domain.yaml_source import line_of, parse_yaml

MAX_FILE_BYTES = 1_000_000


class PoolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN)
    model: str
    nodes: int = Field(ge=1, le=100_000)
    devices_per_node: int = Field(ge=1, le=1024)
    price_fen_per_device_hour: int = Field(ge=0, le=10_000_000)
    cpus_per_node: int = Field(default=64, ge=1, le=100_000)
    memory_gb_per_node: int = Field(default=512, ge=1, le=1_000_000)
    partition: str | None = Field(default=None, max_length=64)
    # How many nodes one job may span (MPI over nodes); 1 keeps every job on one node. Default: all.
    max_nodes: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def max_nodes_within_nodes(self) -> PoolSpec:
        if self.max_nodes is not None and self.max_nodes > self.nodes:
            raise ValueError(f"max_nodes ({self.max_nodes}) cannot exceed the pool's nodes ({self.nodes})")
        return self

    @field_validator("model")
    @classmethod
    def known_model(cls, value: str) -> str:
        if value not in CATALOGUE:
            raise ValueError(f"unknown accelerator model {value!r}; known: {', '.join(sorted(CATALOGUE))}")
        return value


class BackendSpec(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")


class CenterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    kind: CenterKind
    city: str = Field(min_length=1, max_length=100)
    backend: BackendSpec
    green_share: float = Field(default=0.0, ge=0.0, le=1.0)
    pools: list[PoolSpec] = Field(min_length=1)


class FederationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    centers: list[CenterSpec] = Field(min_length=1)


def parse_federation(text: str) -> list[Center]:
    """Parse and validate a federation file; errors name the line and the field."""
    data, node = parse_yaml(text, InvalidFederationFile, max_bytes=MAX_FILE_BYTES, what="federation file")
    try:
        spec = FederationSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = list(error["loc"])
        field_path = ".".join(str(p) for p in path)
        line = line_of(node, path)
        where = f"line {line}: "
        raise InvalidFederationFile(f"{where}{field_path or 'file'}: {error['msg']}", field=field_path, line=line) from None
    return _to_centers(spec)


def _to_centers(spec: FederationSpec) -> list[Center]:
    check_unique([c.name for c in spec.centers], "center")
    centers = []
    for c in spec.centers:
        check_unique([p.name for p in c.pools], f"pool in center {c.name!r}")
        options = {k: v for k, v in c.backend.model_dump().items() if k != "kind"}
        pools = tuple(Pool(**p.model_dump()) for p in c.pools)
        centers.append(Center(c.name, c.name_zh, c.kind, c.city, c.backend.kind, options, c.green_share, pools, c.name_en))
    return centers


def is_valid_name(name: str) -> bool:
    return re.match(NAME_PATTERN, name) is not None


__all__ = ["SuanliError", "is_valid_name", "parse_federation"]
