"""The rows an API product (数据接口) serves: its content is a UTF-8 CSV (a BOM is dropped) whose first
line names each column once. Checked when the supplier uploads a version, so a file no call could
read is refused then, naming the line, rather than certified and then failing every buyer's call;
read again the same way on each call."""

from __future__ import annotations

import csv
import io

from suanli.domain.exchange.errors import ExchangeInvalid


def api_rows(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise _refuse(line, "the content is not UTF-8 CSV", "内容不是 UTF-8 编码的 CSV") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
        names = [name.strip() for name in header]
        if not names or not all(names):
            raise _refuse(1, "the first line must name every column", "第一行须为每一列命名")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise _refuse(1, f"the column {repeated[0]!r} is named twice", f"列名 {repeated[0]!r} 重复")
        rows = []
        for cells in reader:
            if len(cells) > len(names):
                raise _refuse(reader.line_num, f"the row has {len(cells)} fields but the header names {len(names)}",
                              f"该行有 {len(cells)} 个字段，表头只有 {len(names)} 列")
            if any(cells):
                rows.append(dict(zip(names, [*cells, *[""] * (len(names) - len(cells))], strict=True)))
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KB limit
        raise _refuse(max(reader.line_num, 1), f"the content cannot be read as CSV ({exc})", f"内容无法按 CSV 读取（{exc}）") from None
    return rows


def _refuse(line: int, en: str, zh: str) -> ExchangeInvalid:
    return ExchangeInvalid(f"line {line}: {en} / 第{line}行：{zh}", field="content", line=line)
