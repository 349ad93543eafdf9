"""Fetched transformation files: the `transform` entries (URL or {url, sha256}), the time limit, what a response
must be to run (no redirect, a Python/text Content-Type, the pinned SHA-256), and warnings that never quote a URL's
path or query (it may carry a token)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from py_bridge.core.bridge import start_bridge
from py_bridge.core.commands import Log
from py_bridge.core.errors import ConfigError
from py_bridge.core.settings import MAX_TRANSFORMS, TransformFile, parse_settings
from py_bridge.core.transform_files import ACCEPTED_TYPES, entry_index, entry_name, refusal
from py_bridge.core.worker import WorkerSession

APP = "abc12345"
PAGE = "http://127.0.0.1:8000"
RENAME = "def transform(event):\n    event['event'] = event['event'].lower()\n    return event\n"
SECRET_PATH = "/t/rename.py?token=s3cr3t-value"


def sri(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def hexpin(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_transform_entries_are_urls_or_url_and_sha256_objects_in_sri_or_hex_form() -> None:
    """A pin in SRI form (sha256-<base64>) or 64 hex digits is kept as lower-case hex; a plain URL has none."""
    settings = parse_settings(
        {
            "app_id": APP,
            "transform": [
                f"{PAGE}/a.py",
                {"url": f"{PAGE}/b.py", "sha256": sri(RENAME)},
                {"url": f"{PAGE}/c.py", "sha256": hexpin(RENAME).upper()},
                {"url": f"{PAGE}/d.py"},
            ],
        }
    )
    assert settings.transform == (
        TransformFile(f"{PAGE}/a.py"),
        TransformFile(f"{PAGE}/b.py", hexpin(RENAME)),
        TransformFile(f"{PAGE}/c.py", hexpin(RENAME)),
        TransformFile(f"{PAGE}/d.py"),
    )
    single = parse_settings({"app_id": APP, "transform": {"url": f"{PAGE}/b.py", "sha256": sri(RENAME)}})
    assert single.transform == (TransformFile(f"{PAGE}/b.py", hexpin(RENAME)),)


@pytest.mark.parametrize(
    "pin",
    [
        "sha384-" + base64.b64encode(b"x" * 48).decode(),
        "sha256-nope",
        "sha256-" + base64.b64encode(b"x" * 31).decode(),
        "ab" * 31,
        42,
        "",
    ],
)
def test_a_malformed_pin_is_a_config_error_naming_the_entry_and_its_sha256(pin: Any) -> None:
    """The error names `transform[1].sha256` and describes the value received."""
    with pytest.raises(ConfigError) as raised:
        parse_settings({"app_id": APP, "transform": [f"{PAGE}/a.py", {"url": f"{PAGE}/b.py", "sha256": pin}]})
    assert raised.value.field == "transform[1].sha256"
    assert "received:" in str(raised.value)


def test_an_entry_object_with_an_unknown_key_is_refused_so_a_misspelt_pin_never_goes_unchecked() -> None:
    """{"url", "sha-256"}: a typo would otherwise run the file unpinned."""
    with pytest.raises(ConfigError) as raised:
        parse_settings({"app_id": APP, "transform": [{"url": f"{PAGE}/b.py", "sha-256": "x"}]})
    assert raised.value.field == "transform[0]"


def test_settings_errors_about_transform_entries_never_quote_the_url() -> None:
    """A bad entry is named by its index; its text (a token in the query) stays out of the message."""
    with pytest.raises(ConfigError) as raised:
        parse_settings({"app_id": APP, "transform": [f"{PAGE}/a.py", "ftp://x.example/t.py?token=s3cr3t-value"]})
    assert raised.value.field == "transform[1]"
    assert "s3cr3t" not in str(raised.value)
    assert "ftp" not in str(raised.value)


def test_transform_load_ms_defaults_to_5000_and_is_bounded() -> None:
    assert parse_settings({"app_id": APP}).transform_load_ms == 5000
    assert parse_settings({"app_id": APP, "transform_load_ms": 100}).transform_load_ms == 100
    for bad in (99, 60_001, "5000", 1.5):
        with pytest.raises(ConfigError) as raised:
            parse_settings({"app_id": APP, "transform_load_ms": bad})
        assert raised.value.field == "transform_load_ms"


def test_entries_are_named_by_index_and_origin_only() -> None:
    assert entry_name(2, f"https://evil.example{SECRET_PATH}") == "transform[2] (https://evil.example)"
    assert entry_name(None, "not a url") == "transform (unknown origin)"


def test_only_a_direct_answer_with_a_python_or_text_type_is_usable() -> None:
    """Redirects, HTTP errors, HTML (a login page served with 200) and a missing Content-Type are refused."""
    assert refusal(200, "text/x-python; charset=utf-8", False) is None
    assert refusal(200, "Text/Plain", False) is None
    assert all(refusal(200, kind, False) is None for kind in ACCEPTED_TYPES)
    assert refusal(200, "text/html; charset=utf-8", False) == (
        "refused: its Content-Type is text/html, not a Python file type"
    )
    assert refusal(200, None, False) == "refused: no Content-Type, not a Python file type"
    assert (
        refusal(0, None, True) == "refused: it redirects, and transformation files are never fetched through a redirect"
    )
    assert refusal(302, "text/x-python", True) is not None
    assert refusal(404, "text/html", False) == "could not be fetched (HTTP 404)"


def start(transform: Any, sources: list[tuple[str, str]]) -> tuple[Any, list[Any]]:
    return start_bridge({"app_id": APP, "transform": transform}, {"origins": [PAGE]}, transform_sources=sources)


def test_a_file_whose_bytes_do_not_match_its_pin_is_skipped_with_one_warning_and_the_bridge_goes_on() -> None:
    url = f"{PAGE}{SECRET_PATH}"
    bridge, notes = start([{"url": url, "sha256": sri(RENAME)}], [(url, RENAME + "# tampered\n")])
    assert bridge is not None
    assert bridge.transforms is not None
    assert bridge.transforms.transforms == []
    warnings = [n.message for n in notes if isinstance(n, Log)]
    assert warnings == [
        f"transform[0] ({PAGE}) refused: its SHA-256 does not match the sha256 pinned in the transform setting; skipped"
    ]


def test_a_file_that_matches_its_pin_runs_also_with_a_byte_order_mark() -> None:
    """The pin is checked on the file's exact UTF-8 bytes; a leading BOM is part of them and then dropped."""
    url = f"{PAGE}/t/rename.py"
    text = "\ufeff" + RENAME
    bridge, notes = start([{"url": url, "sha256": hexpin(text)}], [(url, text)])
    assert bridge is not None
    assert notes == []
    assert bridge.transforms is not None
    assert [t.name for t in bridge.transforms.transforms] == [url]


def test_a_source_from_another_origin_is_refused_without_quoting_its_path() -> None:
    foreign = f"https://evil.example{SECRET_PATH}"
    bridge, notes = start([foreign], [(foreign, RENAME)])
    assert bridge is not None
    texts = [n.message for n in notes if isinstance(n, Log)]
    assert texts == ["transform[0] (https://evil.example) refused: not from the page's or the bundle's origin"]


def worker_init(entries: list[dict[str, Any]], transform: list[Any], load_ms: int | None = None) -> str:
    settings: dict[str, Any] = {"app_id": APP, "transform": transform}
    if load_ms is not None:
        settings["transform_load_ms"] = load_ms
    message = {"type": "init", "settings": settings, "env": {"origins": [PAGE]}, "items": [], "transforms": entries}
    return json.dumps(message)


class Page:
    def __init__(self) -> None:
        self.posted: list[Any] = []

    def post(self, text: str) -> None:
        self.posted.extend(json.loads(text))

    def warnings(self) -> list[str]:
        return [m["message"] for m in self.posted if m.get("op") == "log" and m.get("level") == "warn"]


def test_the_worker_reports_unusable_responses_by_index_and_origin_and_runs_the_rest() -> None:
    """What worker.mjs fetched: a redirect, an HTML page, a 404, a time-out; only the good file runs."""
    urls = [f"{PAGE}/t/{name}.py?token=s3cr3t-value" for name in ("redirect", "html", "missing", "slow", "good")]
    entries = [
        {"url": urls[0], "index": 0, "status": 0, "type": None, "redirected": True},
        {"url": urls[1], "index": 1, "status": 200, "type": "text/html", "redirected": False, "text": "<html>"},
        {"url": urls[2], "index": 2, "status": 404, "type": "text/plain", "redirected": False},
        {"url": urls[3], "index": 3, "error": "no answer within 5000 ms (transform_load_ms)"},
        {"url": urls[4], "index": 4, "status": 200, "type": "text/x-python", "redirected": False, "text": RENAME},
    ]
    page = Page()
    session = WorkerSession(page.post)
    session.handle(worker_init(entries, urls))
    assert session.bridge is not None
    warnings = page.warnings()
    assert warnings == [
        f"transform[0] ({PAGE}) refused: it redirects, and transformation files are never fetched through a redirect;"
        " skipped",
        f"transform[1] ({PAGE}) refused: its Content-Type is text/html, not a Python file type; skipped",
        f"transform[2] ({PAGE}) could not be fetched (HTTP 404); skipped",
        f"transform[3] ({PAGE}) could not be fetched (no answer within 5000 ms (transform_load_ms)); skipped",
    ]
    assert not any("s3cr3t" in w or "/t/" in w for w in warnings)
    assert session.bridge.transforms is not None
    assert [t.name for t in session.bridge.transforms.transforms] == [urls[4]]


def test_core_warnings_name_an_entry_as_the_site_numbered_it_when_the_page_dropped_others() -> None:
    """The page refused the site's transform[0] and sent the rest with env.transform_index: a pin mismatch in the
    site's second entry is reported as transform[1], the entry the site wrote, not as the first of the kept list."""
    url = f"{PAGE}/t/rename.py"
    bridge, notes = start_bridge(
        {"app_id": APP, "transform": [{"url": url, "sha256": sri(RENAME)}]},
        {"origins": [PAGE], "transform_index": [1]},
        transform_sources=[(url, RENAME + "# tampered\n")],
    )
    assert bridge is not None
    assert [n.message for n in notes if isinstance(n, Log)] == [
        f"transform[1] ({PAGE}) refused: its SHA-256 does not match the sha256 pinned in the transform setting; skipped"
    ]
    assert entry_index({"transform_index": [3, 5]}, 1) == 5
    assert entry_index({"transform_index": [3, True]}, 1) == 1  # not a list of indexes: the position stays
    assert entry_index({}, 0) == 0
    assert entry_index(None, None) is None


# -- issue 18 item 5 (one cap) and issue 22 item 4 (no URL in any message) -------------------------------------------
SECRETS = ("s3cr3t", "token=", "pw@", "user:", "/t/")


def leaks(texts: list[str]) -> list[str]:
    return [t for t in texts if any(secret in t for secret in SECRETS)]


def test_more_than_20_entries_are_never_cut_to_20_so_python_refuses_the_setting() -> None:
    """MAX_TRANSFORMS is Python's one rule: the page leaves a longer list as the site wrote it (nothing is refused
    or fetched from it) and the core stops with the settings error, also when some entries are foreign."""
    asked = ["https://evil.example/t.py", *(f"/t/{n}.py" for n in range(MAX_TRANSFORMS))]
    bridge, errors = start_bridge({"app_id": APP, "transform": asked}, {"origins": [PAGE]})
    assert bridge is None
    assert errors == [
        Log(
            "error",
            "not started: transform must be a URL, a {url, sha256} object, or a list of at most 20 of them (received: a"
            " list of 21 items)",
        )
    ]


def test_the_worker_refuses_a_url_with_credentials_and_no_message_quotes_a_url() -> None:
    """Through the worker boundary: a user:pw@ entry is refused by index and origin; a fetch error that echoes the
    URL, a syntax error, a traceback, a bad return and a slow file are named `transform[i] (origin)`, the debug
    steps too, and nothing posted to the page carries the path, the query or the credentials (issue 22, item 4)."""
    url = f"{PAGE}/t/{{}}.py?token=s3cr3t-value"
    with_credentials = "http://user:pw@127.0.0.1:8000/t/creds.py?token=s3cr3t-value"
    files = {
        "syntax": "def transform(event)\n",
        "raises": "def transform(event):\n    raise KeyError('missing')\n",
        "returns": "def transform(event):\n    return 42\n",
        "slow": "import time\ndef transform(event):\n    time.sleep(0.01)\n    return event\n",
    }
    entries: list[dict[str, Any]] = [
        {"url": with_credentials, "index": 0, "error": "not fetched"},
        {"url": url.format("network"), "index": 1, "error": f"Failed to fetch {with_credentials} (net::ERR)"},
    ]
    for index, (name, code) in enumerate(files.items(), start=2):
        answer = {"status": 200, "type": "text/x-python", "redirected": False, "text": code}
        entries.append({"url": url.format(name), "index": index, **answer})
    listed = [with_credentials, *(url.format(name) for name in ("network", *files))]
    settings = {"app_id": APP, "transform": listed, "debug": True, "transform_slow_ms": 1}
    page = Page()
    session = WorkerSession(page.post)
    init = {"type": "init", "settings": settings, "env": {"origins": [PAGE]}, "items": [], "transforms": entries}
    session.handle(json.dumps(init))
    track = {"kind": "call", "method": "track", "args": ["Go"], "ctx": {"url": f"{PAGE}/", "timestamp": 1}}
    session.handle(json.dumps({"type": "batch", "items": [track]}))
    texts = [str(m.get("message")) for m in page.posted if m.get("op") == "log"]
    assert not leaks(texts), leaks(texts)
    assert texts[:2] == [
        f"transform[0] ({PAGE}) refused: its URL carries a user name or password; skipped",
        f"transform[1] ({PAGE}) could not be fetched (Failed to fetch <url> (net::ERR)); skipped",
    ]
    joined = "\n".join(texts)
    assert f"transform[2] ({PAGE}) is skipped: SyntaxError at line 1" in joined
    assert f'File "transform[3] ({PAGE})", line 2, in transform' in joined
    assert f"transform[4] ({PAGE}) returned a number" in joined
    assert f"transform[5] ({PAGE}) took " in joined
