"""What the build asks Node to do with Pyodide: trace the imports of a session, and make the memory snapshot.

Both runs drive one session through every kind of message (EXERCISE), so that lazy imports show up: the trace
decides what the trimmed standard library holds, and the snapshot holds every module already imported, so a first
visit starts without importing anything. web/snapshot.mjs does the work; this module hands it files and reads back
what it wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Final

__all__ = ["EXERCISE", "make_snapshot", "run_node", "trace_modules"]

# Drives one session through every kind of message and item and every signal (py_bridge.core.protocol; a unit test
# checks the list) in the traced run, so lazy imports show up in sys.modules.
EXERCISE: Final = r"""
import json
from py_bridge.core.worker import WorkerSession

sent = []
def call(method, *args, **context):
    return {"kind": "call", "method": method, "args": list(args),
            "context": {"url": "https://example.com/a?b=1", "path": "/a", "search": "?b=1", "referrer": "",
                        "title": "A", "timestamp": 1767225600000, "locale": "en-US", "timezone": "Europe/Paris",
                        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", **context}}

items = [
    call("page"),
    call("page", "Docs", "Install", {"section": "a"}),
    call("identify", "u1", {"email": "a@example.com", "name": "Ann", "createdAt": {"$pybridge": "date", "ms": 1.7e12},
                            "created_at": "2026-01-02T03:04:05Z", "plan_started_at": "2026-01-02",
                            "company": {"id": "c1", "name": "Acme", "monthlySpend": 12.5, "createdAt": 1700000000},
                            "companies": [{"id": "c2"}], "avatar": "https://example.com/a.png",
                            "nested": {"a": {"b": [1, 2]}}, "big": {"$pybridge": "bigint", "value": "123"},
                            "n": {"$pybridge": "number", "value": "NaN"}, "unsubscribedFromEmails": True},
         {"integrations": {"Intercom": {"user_hash": "ab" * 32}}}),
    call("track", "Order Completed", {"total": 12.345, "currency": "eur", "url": "https://example.com/o/1",
                                     "when": {"$pybridge": "date", "ms": 1.7e12}, "deep": {"x": 1}}),
    call("track", "Signed.Up$", {"revenue": -1.5, "items": [1, 2]}),
    call("track", ""),
    call("group", "c1", {"name": "Acme", "plan": "pro", "employees": 10, "createdAt": "2026-01-01T00:00:00+02:00"}),
    call("identify", "u2", {"firstName": "B", "lastName": "C"}),
    call("reset"),
    call("unknown_method"),
    {"kind": "control", "method": "show", "args": []},
    {"kind": "control", "method": "showNewMessage", "args": ["hi"]},
    {"kind": "control", "method": "startTour", "args": [12]},
    {"kind": "listen", "event": "show"},
    {"kind": "listen", "event": "unread"},
    {"kind": "signal", "name": "widget", "data": {"status": "loaded"}},
    {"kind": "signal", "name": "messenger", "data": {"event": "show"}},
    {"kind": "signal", "name": "tick", "data": {}},
    {"kind": "debug", "on": True},
    {"kind": "export", "id": 1},
    {"kind": "nonsense"},
]
settings = [
    {"app_id": "abc12345", "widget_id": "#help", "region": "eu", "nested": "flatten", "include_context": True,
     "rich_link_properties": ["url"], "event_filter": {"deny": ["Nope"]}, "track_pages": True,
     "track_messenger_events": True, "identity_verification": "user_hash", "debug": True, "send_anonymous_id": True,
     "alignment": "left", "horizontal_padding": 30, "vertical_padding": 30, "hide_default_launcher": False,
     "max_metadata_keys": 5, "sandbox_url": "http://127.0.0.1:8000/sandbox"},
    {"app_id": "abc12345", "consent": {"required": True}, "region": "au", "event_filter": {"allow": ["A"]}},
    {"app_id": "abc12345", "identity_verification": "jwt"},
    {"app_id": "ABC 123", "region": "mars", "api_secret": "x"},
    {"appId": "abc12345", "activator": "#x", "apiBase": "https://api-iam.intercom.io", "unknown": 1},
]
for index, config in enumerate(settings):
    session = WorkerSession(sent.append, lambda: None)
    session.handle(json.dumps({"type": "init", "settings": config, "env": {"native_intercom": False}, "items": items}))
    session.handle(json.dumps({"type": "batch", "items": items[1:] + [{"kind": "consent", "granted": True,
                                                                       "anonymous_id": "a-1"}]}))
    session.handle(json.dumps({"type": "batch", "items": [{"kind": "consent", "granted": False}] + items[:3]}))
    session.handle("not json")
    session.handle(json.dumps([1, 2]))
"""


def run_node(args: list[str]) -> None:
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node is not installed")
    result = subprocess.run([node, *args], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"node {Path(args[0]).name} {args[1]} failed: {result.stderr.strip()[-1500:]}")


def trace_modules(root: Path, runtime: Path, core_zip: Path, core_modules: list[str], work: Path) -> list[str]:
    """The modules in sys.modules once every core module is imported and a session has been driven through every
    kind of call (Node + Pyodide)."""
    (work / "exercise.py").write_text(EXERCISE, encoding="utf-8")
    (work / "core-modules.json").write_text(json.dumps(core_modules), encoding="utf-8")
    files = (runtime, core_zip, work / "core-modules.json", work / "exercise.py", work / "modules.json")
    run_node([str(root / "web" / "snapshot.mjs"), "trace", *map(str, files)])
    modules: list[str] = json.loads((work / "modules.json").read_text(encoding="utf-8"))
    return modules


def make_snapshot(
    root: Path, runtime: Path, stdlib: Path, restore_stdlib: Path, core_zip: Path, modules: list[str], work: Path
) -> tuple[bytes, dict[str, object]]:
    """The delta snapshot and its facts (the initial memory's checksum, page counts), made and checked by Node."""
    (work / "exercise.py").write_text(EXERCISE, encoding="utf-8")
    (work / "snapshot-modules.json").write_text(json.dumps(modules), encoding="utf-8")
    outputs = (work / "snapshot.bin", work / "snapshot.json")
    files = (runtime, stdlib, restore_stdlib, core_zip, work / "snapshot-modules.json", work / "exercise.py")
    run_node([str(root / "web" / "snapshot.mjs"), "make", *map(str, files), *map(str, outputs)])
    info: dict[str, object] = json.loads((work / "snapshot.json").read_text(encoding="utf-8"))
    return (work / "snapshot.bin").read_bytes(), info
