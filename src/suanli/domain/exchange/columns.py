"""A data product's schema (字段说明): the columns a buyer will find in the data, each a name, an
optional type and an optional description. It is shown on the product page and kept in the product's
record, so it is refused whole unless every entry is a column a reader can use."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from suanli.domain.exchange.errors import ExchangeInvalid

COLUMN_TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime")
COLUMN_KEYS = frozenset({"name", "type", "description"})
MAX_COLUMNS = 200
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 500


def _refuse(where: str, en: str, zh: str) -> ExchangeInvalid:
    return ExchangeInvalid(f"{where}: {en} / {where}：{zh}", field="columns")


def _text(entry: dict[str, Any], key: str, where: str, high: int) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise _refuse(where, f"{key} must be text", f"{key} 须为文本")
    if len(value) > high:
        raise _refuse(where, f"{key} must have at most {high} characters", f"{key} 最多 {high} 个字符")
    return value.strip()


def check_column(entry: object, index: int) -> dict[str, str]:
    """One column as stored: name stripped, type and description only when given."""
    where = f"columns.{index}"
    if not isinstance(entry, dict):
        raise _refuse(where, "a column is an object with a name", "每个字段须为带 name 的对象")
    unknown = sorted(str(k) for k in entry if k not in COLUMN_KEYS)
    if unknown:
        raise _refuse(where, f"unknown keys {', '.join(unknown)} (a column has name, type, description)",
                      f"未知的键 {', '.join(unknown)}（字段只有 name、type、description）")
    name = _text(entry, "name", where, MAX_NAME_CHARS)
    if not name:
        raise _refuse(where, "the column needs a name", "字段名称不能为空")
    column = {"name": name}
    kind = entry.get("type")
    if kind is not None:
        if kind not in COLUMN_TYPES:
            raise _refuse(where, f"type {kind!r} is not one of {', '.join(COLUMN_TYPES)}",
                          f"类型 {kind!r} 不是 {'、'.join(COLUMN_TYPES)} 之一")
        column["type"] = kind
    description = _text(entry, "description", where, MAX_DESCRIPTION_CHARS)
    if description:
        column["description"] = description
    return column


def check_columns(entries: Sequence[object]) -> list[dict[str, str]]:
    """Every entry a column, at most MAX_COLUMNS of them, no name twice (compared as a reader would:
    full-width and case folded)."""
    if not isinstance(entries, list | tuple):
        raise _refuse("columns", "the schema is a list of columns", "字段说明须为字段列表")
    if len(entries) > MAX_COLUMNS:
        raise _refuse("columns", f"at most {MAX_COLUMNS} columns, not {len(entries)}",
                      f"最多 {MAX_COLUMNS} 个字段，而非 {len(entries)} 个")
    columns, seen = [], set()
    for index, entry in enumerate(entries):
        column = check_column(entry, index)
        key = unicodedata.normalize("NFKC", column["name"]).casefold()
        if key in seen:
            raise _refuse(f"columns.{index}", f"the name {column['name']!r} appears twice",
                          f"字段名称 {column['name']!r} 重复")
        seen.add(key)
        columns.append(column)
    return columns
