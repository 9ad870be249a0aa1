"""YAML configuration text (federation files, program files) read with its line numbers, so every
validation error can name the line and the field it is about.

Aliases (`*name`) are refused: a few hundred bytes of nested aliases ("billion laughs") stand for
billions of nodes, which every walk over the tree then visits, and a configuration that officers sign
reads better with each value written where it applies. So is flow nesting past MAX_FLOW_DEPTH:
PyYAML's scanner takes time quadratic in it (40 s for 10,000 `[`), before any of its own limits."""

from __future__ import annotations

from typing import Any

import yaml

from suanli.domain.errors import SuanliError

MAX_FLOW_DEPTH = 64  # brackets counted in the raw text (quoted ones too: no real file nears this)


def parse_yaml(text: str, error: type[SuanliError], *, max_bytes: int, what: str) -> tuple[Any, Any]:
    """The data and its node tree (for `line_of`); a bad file raises `error` naming the line."""
    if len(text.encode()) > max_bytes:
        raise error(f"{what} larger than {max_bytes} bytes")
    refuse_bombs(text, error)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except RecursionError:
        raise error("file nested too deeply to be a real configuration") from None
    except ValueError:  # an integer of more than 4,300 digits (Python's int-from-text limit)
        raise error("a number in the file has too many digits to be a real figure") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        where = f"line {line}: " if line else ""
        raise error(f"{where}not valid YAML ({getattr(exc, 'problem', exc)})", line=line) from None
    refuse_duplicate_keys(node, error)
    return data, node


def refuse_duplicate_keys(node: Any, error: type[SuanliError]) -> None:
    """Raise `error` at the second of two equal keys in one mapping: YAML loaders keep the last one
    silently, so a file an officer signs would mean something its reader did not see."""
    stack: list[tuple[Any, list[str]]] = [(node, [])]
    while stack:
        current, path = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                name = str(key.value)
                if name in seen:
                    line = key.start_mark.line + 1
                    field = ".".join([*path, name])
                    raise error(f"line {line}: {field}: the key {name!r} appears twice (each key once)",
                                line=line, field=field)
                seen.add(name)
                stack.append((value, [*path, name]))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, [*path, str(i)]) for i, item in enumerate(current.value))


def refuse_bombs(text: str, error: type[SuanliError]) -> None:
    """Raise `error` for flow nesting past MAX_FLOW_DEPTH or at the first alias; text that is not
    YAML is left to the parser to name."""
    depth = 0
    for number, text_line in enumerate(text.splitlines(), start=1):
        for char in text_line:
            if char in "[{":
                depth += 1
                if depth > MAX_FLOW_DEPTH:
                    raise error(f"line {number}: file nested too deeply to be a real configuration (more than "
                                f"{MAX_FLOW_DEPTH} levels)", line=number)
            elif char in "]}":
                depth = max(0, depth - 1)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                alias_line = mark.line + 1 if mark is not None else None
                raise error(f"line {alias_line}: YAML aliases (*{event.anchor}) are not allowed; write the value "
                            "out", line=alias_line)
    except yaml.YAMLError:
        return


def line_of(node: Any, path: list[Any]) -> int:
    """Walk the YAML node tree along an error path to the deepest line that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
