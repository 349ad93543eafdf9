"""Python values handed to the page runtime: what a PyScript page passes to a call, as JavaScript values.

The page runtime (web/page/) encodes, bounds and marks whatever a call carries, for both entries alike; this module
only crosses the language border. Data crosses as JSON (`JSON.parse(json.dumps(...))`): `None` stays `null` and
no proxy of a Python object reaches the page. A call's functions (a callback, a ready or intercom.on function) are
its top-level arguments: they cross as long-lived proxies (`create_proxy`), so the page can call them later.
What JSON cannot carry becomes the marker the core reads for it (a date keeps its instant; anything else is one
`unsupported` warning from the core), so a call is never lost to a value it cannot carry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from py_bridge.core.values import MAX_DEPTH

__all__ = ["is_function", "plain", "to_page"]


def is_function(value: Any) -> bool:
    """A Python callable or a JavaScript function (a JsProxy knows its JavaScript `typeof`)."""
    kind = getattr(value, "typeof", None)
    return kind == "function" if isinstance(kind, str) else callable(value)


def _instant(moment: datetime) -> dict[str, Any]:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive = UTC, as values.decode reads them
    try:
        return {"$pybridge": "date", "ms": aware.timestamp() * 1000}
    except (OverflowError, OSError, ValueError):
        return {"$pybridge": "date", "ms": None}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return _instant(datetime.combine(value, time(), tzinfo=UTC))
    if isinstance(value, set | frozenset):
        return list(value)
    to_py = getattr(value, "to_py", None)  # a JsProxy the page's Python code got from JavaScript
    if callable(to_py) and not is_function(value):
        converted = to_py()
        if converted is not value:
            return converted
    return {"$pybridge": "unsupported", "type": "function" if is_function(value) else type(value).__name__}


def plain(value: Any) -> str:
    """The JSON text of a value, as the page runtime receives it. Floats JSON cannot write (NaN, infinities) become
    the `number` marker the core reads, like the page's encoder makes them."""

    def finite(item: Any, depth: int) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            text = "NaN" if math.isnan(item) else ("Infinity" if item > 0 else "-Infinity")
            return {"$pybridge": "number", "value": text}
        if depth > MAX_DEPTH:
            return item  # deeper is the page's to cut (too_deep), or a cycle json.dumps reports
        if isinstance(item, Mapping):
            return {key: finite(inner, depth + 1) for key, inner in item.items()}
        if isinstance(item, list | tuple):
            return [finite(inner, depth + 1) for inner in item]
        return item

    return json.dumps(finite(value, 0), ensure_ascii=False, allow_nan=False, default=_json_default)


def to_page(value: Any, js: Any, create_proxy: Callable[[Any], Any]) -> Any:
    """One argument as a JavaScript value: a function as a proxy, data through JSON. Raises ValueError for data
    JSON cannot carry (a cycle): the caller reports it once and drops the call."""
    if getattr(value, "typeof", None) is not None:
        return value  # already a JavaScript value (a JsProxy)
    if is_function(value):
        return create_proxy(value)
    return js.JSON.parse(plain(value))
