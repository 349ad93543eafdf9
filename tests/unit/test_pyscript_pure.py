"""The PyScript entry's own parts: Python values crossing to the page runtime, and where the bundle is."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import pytest

from py_bridge.core.notes import Notes
from py_bridge.core.values import decode
from py_bridge.pyscript.crossing import is_function, plain, to_page
from py_bridge.pyscript.runtime import bundle_url


class JsFunction:
    """A JsProxy of a JavaScript function: it knows its `typeof`."""

    typeof = "function"

    def __call__(self) -> None:
        pass


class JsObject:
    typeof = "object"

    def to_py(self, depth: int = 0) -> dict[str, Any]:
        return {"from": "js"}


class FakeJson:
    """The page's JSON as Pyodide proxies it: parse gives what the runtime would hold."""

    @staticmethod
    def parse(text: str) -> Any:
        return json.loads(text)


class FakeJs:
    JSON = FakeJson()


def test_a_python_or_javascript_function_is_a_function_and_a_js_object_is_not() -> None:
    assert is_function(lambda: None)
    assert is_function(JsFunction())
    assert not is_function(JsObject())
    assert not is_function({"a": 1})


def test_functions_cross_as_proxies_and_javascript_values_as_they_are() -> None:
    """A callback must stay callable by the page; a JsProxy is already a JavaScript value."""
    made: list[Any] = []

    def proxy(fn: Any) -> Any:
        made.append(fn)
        return ("proxy", fn)

    callback = lambda: None  # noqa: E731
    assert to_page(callback, FakeJs(), proxy) == ("proxy", callback)
    js_object = JsObject()
    assert to_page(js_object, FakeJs(), proxy) is js_object
    assert made == [callback]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"plan": "pro", "seats": 3, "trial": None}, {"plan": "pro", "seats": 3, "trial": None}),
        (("a", "b"), ["a", "b"]),
        ({"tags": frozenset({"x"})}, {"tags": ["x"]}),
        (float("nan"), {"$pybridge": "number", "value": "NaN"}),
        ({"n": -math.inf}, {"n": {"$pybridge": "number", "value": "-Infinity"}}),
        (datetime(2026, 1, 1, tzinfo=UTC), {"$pybridge": "date", "ms": 1767225600000.0}),
        (date(2026, 1, 1), {"$pybridge": "date", "ms": 1767225600000.0}),
        ({"js": JsObject()}, {"js": {"from": "js"}}),
        ({"f": lambda: None}, {"f": {"$pybridge": "unsupported", "type": "function"}}),
        ({"o": object()}, {"o": {"$pybridge": "unsupported", "type": "object"}}),
    ],
)
def test_data_crosses_as_json_with_the_markers_the_core_reads(value: Any, expected: Any) -> None:
    """None stays null; what JSON cannot carry becomes the marker the core decodes (a date keeps its instant)."""
    assert json.loads(plain(value)) == expected


def test_a_date_crosses_to_the_same_instant_the_core_decodes() -> None:
    notes = Notes()
    decoded = decode(json.loads(plain({"at": datetime(2026, 1, 1, tzinfo=UTC)})), "track properties", notes)
    assert decoded == {"at": datetime(2026, 1, 1, tzinfo=UTC)}
    assert not list(notes)


def test_a_cycle_cannot_cross_and_says_so() -> None:
    """The facade reports it once and drops that call; nothing half-encoded reaches the page."""
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    with pytest.raises(ValueError, match="Circular"):
        to_page(cycle, FakeJs(), lambda fn: fn)


@pytest.mark.parametrize(
    ("interpreter", "page", "expected"),
    [
        (
            "/py-bridge/pyodide-0123456789abcdef/pyodide.mjs",
            "http://127.0.0.1:8000/app/",
            "http://127.0.0.1:8000/py-bridge/",
        ),
        (
            "https://cdn.example.com/b/pyodide-0123456789abcdef/pyodide.mjs",
            "https://www.example.com/",
            "https://cdn.example.com/b/",
        ),
        (None, "https://www.example.com/", None),
        ("javascript:alert(1)//pyodide.mjs", "https://www.example.com/", None),
    ],
)
def test_the_bundle_is_the_folder_pyscript_loaded_pyodide_from(
    interpreter: str | None, page: str, expected: str | None
) -> None:
    config = {"interpreter": interpreter} if interpreter else {}
    assert bundle_url(config, page) == expected
