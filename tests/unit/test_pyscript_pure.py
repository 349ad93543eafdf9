"""The PyScript entry's pure parts: value encoding, callbacks among arguments, script and transformation URLs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from py_bridge.core.commands import Log
from py_bridge.core.notes import Notes
from py_bridge.core.values import decode
from py_bridge.pyscript.encoding import encode, encode_args, is_function, redact
from py_bridge.pyscript.loader import allowed_script
from py_bridge.pyscript.transforms import Fetched, bundle_origin, fetch_sources, origin, resolve_transforms
from tests.unit.pyscript_fake import run_async


class JsFunction:
    """A JsProxy of a JavaScript function: it knows its `typeof`."""

    typeof = "function"

    def __call__(self) -> None:
        pass


class JsObject:
    typeof = "object"

    def to_py(self, depth: int = 0) -> dict[str, Any]:
        return {"from": "js"}


def test_the_first_function_among_the_arguments_is_the_callback() -> None:
    """As embed.js: the first Python callable or JS function becomes a callback marker; a second is unsupported."""
    seen: list[Any] = []

    def register(fn: Any) -> int:
        seen.append(fn)
        return 7

    first, second = JsFunction(), print
    encoded = encode_args(("Signed Up", {"plan": "pro"}, first, second), register)
    assert encoded == [
        "Signed Up",
        {"plan": "pro"},
        {"$pybridge": "callback", "id": 7},
        {"$pybridge": "unsupported", "type": "function"},
    ]
    assert seen == [first]


def test_controls_take_no_callback() -> None:
    """Without `register` (Messenger controls), a function is an unsupported value, dropped by the core."""
    assert encode_args((print,)) == [{"$pybridge": "unsupported", "type": "function"}]


def test_a_js_object_is_converted_and_not_mistaken_for_a_function() -> None:
    """A JsProxy with typeof "object" is data: converted with to_py(), never taken as the callback."""
    assert not is_function(JsObject())
    assert encode_args((JsObject(),), lambda fn: 1) == [{"from": "js"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), {"$pybridge": "number", "value": "NaN"}),
        (2**60, {"$pybridge": "bigint", "value": str(2**60)}),
        ((1, 2), [1, 2]),
        (datetime(2024, 1, 2), {"$pybridge": "date", "ms": 1704153600000.0}),
        ("x" * 10_001, "x" * 10_000),
    ],
)
def test_values_use_the_embeds_transport_markers(value: Any, expected: Any) -> None:
    """Encoding gives what embed.js would have sent, so values.decode treats both entries alike."""
    assert encode(value) == expected


def test_a_cycle_is_marked_and_decoding_drops_it() -> None:
    """A self-referencing dict is encoded once and marked circular where it repeats."""
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    encoded = encode(loop)
    assert encoded == {"a": 1, "self": {"$pybridge": "circular"}}
    notes = Notes()
    assert decode(encoded, "traits", notes) == {"a": 1}
    assert any("circular" in n for n in notes)


def test_credentials_are_redacted_for_the_pages_log_listeners() -> None:
    """user_hash and intercom_user_jwt never reach pybridge:log listeners."""
    assert redact([{"user_hash": "h", "x": 1}, "a"]) == [{"user_hash": "[redacted]", "x": 1}, "a"]


@pytest.mark.parametrize(
    ("src", "sandbox", "allowed"),
    [
        ("https://widget.intercom.io/widget/abc12345", None, True),
        ("https://widget.intercom.io/widget/ABC", None, False),
        ("https://evil.example/widget/abc12345", None, False),
        ("http://127.0.0.1:8000/widget/abc12345", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8000/widget/abc12345/../x", "http://127.0.0.1:8000", False),
    ],
)
def test_only_the_intercom_widget_may_be_injected(src: str, sandbox: str | None, allowed: bool) -> None:
    """The executor re-checks every script URL, whatever the command says."""
    assert allowed_script(src, sandbox) is allowed


def test_the_bundle_origin_is_where_pyscript_loaded_pyodide_from() -> None:
    """PyScript's interpreter URL (relative or absolute) names the bundle's origin."""
    page = "https://shop.example/cart"
    assert bundle_origin({"interpreter": "https://cdn.example:8443/py-bridge/x/pyodide.mjs"}, page) == (
        "https://cdn.example:8443"
    )
    assert bundle_origin({"interpreter": "/py-bridge/pyodide.mjs"}, page) == "https://shop.example"
    assert bundle_origin(None, page) is None
    assert origin("data:text/plain,x") is None


def test_transformations_resolve_against_the_page_and_only_allowed_origins_pass() -> None:
    """Relative URLs resolve against the page; another origin is refused with a warning naming index and origin,
    never the path or query; a {url, sha256} entry keeps its pin with its URL resolved."""
    origins = ["https://shop.example", "https://cdn.example"]
    pin = "sha256-" + "A" * 43 + "="
    entries, indexes, warnings = resolve_transforms(
        ["t/enrich.py", {"url": "https://cdn.example/t.py", "sha256": pin}, "https://evil.example/t.py?token=s3cr3t"],
        "https://shop.example/a/b",
        origins,
    )
    assert entries == ["https://shop.example/a/t/enrich.py", {"url": "https://cdn.example/t.py", "sha256": pin}]
    assert indexes == [0, 1]
    assert warnings == [
        "transform[2] (https://evil.example) refused: only the page's or the bundle's origin may serve transformations"
    ]
    assert resolve_transforms("/x.py", "https://shop.example/a", origins) == (["https://shop.example/x.py"], [0], [])
    assert resolve_transforms({"url": "/x.py"}, "https://shop.example/", origins) == (
        [{"url": "https://shop.example/x.py"}],
        [0],
        [],
    )
    assert resolve_transforms(3, "https://shop.example/", origins) == (None, [], [])
    assert resolve_transforms([3], "https://shop.example/", origins) == (
        [],
        [],
        ["transform[0] must be a URL or {url, sha256}; ignored"],
    )
    # entries after a refused one keep the index the site gave them
    assert resolve_transforms(["https://evil.example/t.py", "/y.py"], "https://shop.example/", origins)[1] == [1]


def python(text: str, kind: str = "text/x-python") -> Fetched:
    return Fetched(200, kind, False, text.encode("utf-8"))


def test_fetched_transformations_keep_their_order_and_unusable_answers_become_warnings() -> None:
    """(url, text) pairs for start_bridge in the setting's order; a 404, a network error, a redirect, an HTML page,
    bytes that are not UTF-8 and a server that never answers are one warning each, by index and origin."""
    answers: dict[str, Fetched] = {
        "https://a/1.py": python("one"),
        "https://a/2.py?token=s3cr3t": Fetched(404, "text/html", False, b""),
        "https://a/4.py": Fetched(0, None, True, b""),
        "https://a/5.py": python("<html>", "text/html; charset=utf-8"),
        "https://a/6.py": Fetched(200, "text/plain", False, b"\xff\xfe"),
        "https://a/8.py": python("\ufeffeight"),
    }

    async def fetch(url: str) -> Fetched:
        if url == "https://a/7.py":
            await asyncio.Event().wait()  # never answers
        if url not in answers:
            raise OSError("offline")
        return answers[url]

    urls = [
        "https://a/1.py",
        "https://a/2.py?token=s3cr3t",
        "https://a/3.py",
        *(f"https://a/{n}.py" for n in range(4, 9)),
    ]
    sources, notes = run_async(fetch_sources(urls, fetch, 100))
    assert sources == [("https://a/1.py", "one"), ("https://a/8.py", "\ufeffeight")]  # the BOM stays for the pin
    assert notes == [
        Log("warn", "transform[1] (https://a) could not be fetched (HTTP 404); skipped"),
        Log("warn", "transform[2] (https://a) could not be fetched (offline); skipped"),
        Log(
            "warn",
            "transform[3] (https://a) refused: it redirects, and transformation files are never fetched through a "
            "redirect; skipped",
        ),
        Log("warn", "transform[4] (https://a) refused: its Content-Type is text/html, not a Python file type; skipped"),
        Log("warn", "transform[5] (https://a) could not be fetched (not UTF-8 text); skipped"),
        Log(
            "warn",
            "transform[6] (https://a) could not be fetched (no answer within 100 ms, setting transform_load_ms); "
            "skipped",
        ),
    ]


def test_warnings_about_fetched_files_name_the_entry_as_the_site_numbered_it() -> None:
    """The page dropped transform[0] (another origin): the kept file's warning names it transform[1], not [0]."""

    async def fetch(url: str) -> Fetched:
        return Fetched(404, "text/html", False, b"")

    _, notes = run_async(fetch_sources(["https://a/1.py"], fetch, 100, [1]))
    assert notes == [Log("warn", "transform[1] (https://a) could not be fetched (HTTP 404); skipped")]
