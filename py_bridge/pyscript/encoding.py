"""Python values as the plain JSON data embed.js would have sent to the worker. Pure: no JavaScript here.

`encode` gives the embed's transport encoding (`{"$pybridge": kind}` markers for what JSON cannot carry), so
`py_bridge.core.values.decode` treats both entries alike. `encode_args` also picks out a call's callback, as embed.js
does: the first function among the arguments (a Python callable or a JavaScript function) becomes a `callback` marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from py_bridge.core.credentials import redact_deep
from py_bridge.core.events import MAX_ARGS
from py_bridge.core.values import MAX_CHARS, MAX_DEPTH, MAX_ITEMS, MAX_NODES, MAX_STRING

__all__ = [
    "MAX_ARGS",
    "Budget",
    "encode",
    "encode_args",
    "is_function",
    "redact",
]

MAX_SAFE_INT: Final = 2**53


@dataclass
class Budget:
    """What one call may carry, as in embed.js: shared references can make a small graph enormous as a tree."""

    nodes: int = MAX_NODES
    chars: int = MAX_CHARS


def _date_marker(moment: datetime) -> dict[str, Any]:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive = UTC, as values.decode reads them
    try:
        return {"$pybridge": "date", "ms": aware.timestamp() * 1000}
    except (OverflowError, OSError, ValueError):
        return {"$pybridge": "date", "ms": None}


def is_function(value: Any) -> bool:
    """A Python callable or a JavaScript function (a JsProxy knows its JavaScript `typeof`)."""
    kind = getattr(value, "typeof", None)
    return kind == "function" if isinstance(kind, str) else callable(value)


def encode(value: Any, depth: int = 0, seen: set[int] | None = None, budget: Budget | None = None) -> Any:
    """A Python value as plain JSON data with embed.js's markers (dates keep their instant)."""
    budget = Budget() if budget is None else budget
    budget.nodes -= 1
    if budget.nodes < 0:
        return {"$pybridge": "too_large"}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        keep = min(len(value), MAX_STRING, budget.chars)
        if keep <= 0 < len(value):
            return {"$pybridge": "too_large"}
        budget.chars -= keep
        return value[:keep]
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INT else {"$pybridge": "bigint", "value": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"$pybridge": "number", "value": text}
    if isinstance(value, datetime):
        return _date_marker(value)
    if isinstance(value, date):
        return _date_marker(datetime.combine(value, time(), tzinfo=UTC))
    if is_function(value):
        return {"$pybridge": "unsupported", "type": "function"}
    if depth >= MAX_DEPTH:
        return {"$pybridge": "too_deep"}
    seen = set() if seen is None else seen
    if id(value) in seen:
        return {"$pybridge": "circular"}
    if isinstance(value, Mapping):
        seen.add(id(value))
        out: dict[str, Any] = {}
        for count, (key, item) in enumerate(value.items()):
            if count > MAX_ITEMS:
                break
            out[str(key)] = encode(item, depth + 1, seen, budget)
        seen.discard(id(value))
        return out
    if isinstance(value, list | tuple | set | frozenset):
        seen.add(id(value))
        items = [encode(item, depth + 1, seen, budget) for count, item in enumerate(value) if count < MAX_ITEMS]
        seen.discard(id(value))
        return items
    to_py = getattr(value, "to_py", None)  # a JsProxy the page's Python code got from JavaScript
    if callable(to_py):
        try:
            converted = to_py(depth=MAX_DEPTH)
        except Exception:
            return {"$pybridge": "unsupported", "type": "object"}
        if converted is not value:
            return encode(converted, depth + 1, seen, budget)
    return {"$pybridge": "unsupported", "type": type(value).__name__}


def encode_args(args: tuple[Any, ...], register: Callable[[Any], int] | None = None) -> list[Any]:
    """A call's arguments (at most MAX_ARGS) under one budget. With `register`, the first function among them is
    the call's callback (analytics.js): `register(fn)` returns its id, sent as `{"$pybridge": "callback", "id": n}`."""
    budget = Budget()
    out: list[Any] = []
    for item in args[:MAX_ARGS]:
        if register is not None and is_function(item):
            out.append({"$pybridge": "callback", "id": register(item)})
            register = None
            continue
        out.append(encode(item, budget=budget))
    return out


def redact(args: list[Any]) -> list[Any]:
    """Identity-verification values hidden from the page's `pybridge:log` listeners (every spelling, any depth)."""
    safe: list[Any] = redact_deep(args)
    return safe
