"""The page constants, and what the page's JavaScript is generated from: web/shared/protocol.js (the `PROTOCOL`
object every page and worker module imports) and web/types/protocol.d.ts (`python -m py_bridge.tools.page_constants
--write`, or `--check`; the build refuses a stale one).

A development and build tool, so not in the bundle (py_bridge/tools/). Apart from the vocabulary
(py_bridge.core.protocol), because the constants it gathers live in the modules that use them
(settings, values, the Intercom destination, the worker session), and those import the vocabulary: gathering them
here keeps every import running one way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, get_args

from py_bridge.core.commands import INTERCOM_COOKIE_PREFIXES, INTERCOM_METHODS
from py_bridge.core.credentials import CREDENTIAL_NAMES
from py_bridge.core.destinations.intercom.settings import (
    APP_ID_RE,
    DEFAULT_WIDGET_ID,
    INTERCOM_KEYS,
    LEGACY_ALIASES,
    MAX_SELECTOR_LENGTH,
    REGIONS,
    SELECTOR_FORBIDDEN_RE,
    WIDGET_ORIGIN,
)
from py_bridge.core.events import MAX_ARGS, EventType
from py_bridge.core.protocol import (
    ACCEPTED_KEY,
    ANON_KEY,
    ANONYMOUS_ID_PATTERN,
    CALLBACK_TIMEOUT_MS,
    COMMANDS,
    CONTROLS,
    DEBUG_KEY,
    ENV,
    FORGET_SETTINGS_KEYS,
    FROM_WORKER,
    INTERCOM_CDN,
    ITEMS,
    LATE_MESSENGER_MS,
    LATE_POLL_MS,
    LISTEN_METHODS,
    MARKERS,
    RUNTIME_DB,
    SIGNALS,
    START_POLL_MS,
    TO_WORKER,
)
from py_bridge.core.settings import BRIDGE_KEYS, DEFAULT_LOAD, LOAD_POLICIES, MAX_TRANSFORMS, WHOLE_NUMBERS
from py_bridge.core.trace import STARTUP_RECORD
from py_bridge.core.values import MAX_CHARS, MAX_DEPTH, MAX_ITEMS, MAX_KEY, MAX_NODES, MAX_STRING
from py_bridge.core.worker import HEARTBEAT_S

__all__ = [
    "MODULE_FILE",
    "TYPES_FILE",
    "WRITE_HINT",
    "generated_files",
    "javascript",
    "main",
    "page_constants",
    "page_constants_json",
    "typescript",
]

# The one JavaScript module the constants are written to: the page runtime (web/page/) and the worker (web/worker/)
# import it, and the bundler inlines it into embed.js and worker.mjs.
MODULE_FILE: Final = "web/shared/protocol.js"
TYPES_FILE: Final = "web/types/protocol.d.ts"
WRITE_HINT: Final = "run python -m py_bridge.tools.page_constants --write"


def page_constants() -> dict[str, Any]:
    """Everything the page's JavaScript needs from Python, as plain JSON (web/shared/protocol.js's `PROTOCOL`)."""
    read_by_the_page = ("max_queue", "start_timeout_ms", "widget_timeout_ms", "transform_load_ms")
    return {
        "limits": {
            "max_string": MAX_STRING,
            "max_items": MAX_ITEMS,
            "max_depth": MAX_DEPTH,
            "max_nodes": MAX_NODES,
            "max_chars": MAX_CHARS,
            "max_key": MAX_KEY,
            "max_args": MAX_ARGS,
        },
        "settings": {
            name: dict(zip(("default", "min", "max"), WHOLE_NUMBERS[name], strict=True)) for name in read_by_the_page
        },
        "max_transforms": MAX_TRANSFORMS,
        "load_policies": list(LOAD_POLICIES),
        "default_load": DEFAULT_LOAD,
        "calls": list(get_args(EventType)),
        "controls": list(CONTROLS),
        "listen_methods": dict(LISTEN_METHODS),
        "intercom_methods": sorted(INTERCOM_METHODS),
        "region_hosts": dict(REGIONS),
        "widget_origin": WIDGET_ORIGIN,
        "default_launcher": DEFAULT_WIDGET_ID,
        "intercom_cdn": INTERCOM_CDN,
        "app_id_pattern": APP_ID_RE.pattern,
        # What the page checks before it starts the Messenger's script while Python starts (web/page/early-widget.js)
        "setting_names": sorted(INTERCOM_KEYS | BRIDGE_KEYS),
        "setting_aliases": dict(LEGACY_ALIASES),
        "selector_forbidden": SELECTOR_FORBIDDEN_RE.pattern,
        "max_selector": MAX_SELECTOR_LENGTH,
        "intercom_cookies": list(INTERCOM_COOKIE_PREFIXES),
        # What the page removes from intercomSettings when consent is refused, before Python answers: the keys of
        # the forget command (tests/unit/test_protocol.py checks them), the credentials in every spelling.
        "forget_settings_keys": [*FORGET_SETTINGS_KEYS, *CREDENTIAL_NAMES],
        "credential_keys": list(CREDENTIAL_NAMES),
        "callback_timeout_ms": CALLBACK_TIMEOUT_MS,
        "late_messenger_ms": LATE_MESSENGER_MS,
        "start_poll_ms": START_POLL_MS,
        "late_poll_ms": LATE_POLL_MS,
        "heartbeat_ms": round(HEARTBEAT_S * 1000),
        "storage": {"anonymous_id": ANON_KEY, "debug": DEBUG_KEY, "accepted": ACCEPTED_KEY, "runtime": RUNTIME_DB},
        "anonymous_id_pattern": ANONYMOUS_ID_PATTERN,
        "startup_record": STARTUP_RECORD,
    }


def page_constants_json() -> str:
    """The constants as web/shared/protocol.js holds them: one line of JSON."""
    return json.dumps(page_constants())


def javascript(constants: str | None = None) -> str:
    """web/shared/protocol.js: the page constants as one exported object (`constants`: their JSON, when known)."""
    text = page_constants_json() if constants is None else constants
    return "\n".join(
        [
            "// Generated by `python -m py_bridge.tools.page_constants --write`: do not edit.",
            "// Every constant the page runtime and the worker share with Python.",
            f"export const PROTOCOL = {text};",
            "",
        ]
    )


def _union(names: Sequence[str]) -> str:
    return " | ".join(json.dumps(name) for name in names)


def typescript() -> str:
    """web/types/protocol.d.ts: the protocol's names as TypeScript unions, for the JSDoc types of embed.js and
    worker.mjs."""
    page_ops = [op for op, spec in COMMANDS.items() if spec.applied_in == "page"]
    lines = [
        "// Generated from py_bridge/core/protocol.py by `python -m py_bridge.tools.page_constants --write`: "
        "do not edit.",
        "// Script-style (no import/export): every name is global to the projects that list this file.",
        "",
        "/** The `type` of a message from embed.js to its worker. */",
        f"type ToWorkerType = {_union(list(TO_WORKER))};",
        "/** The `type` of a message from the worker to embed.js. */",
        f"type FromWorkerType = {_union(list(FROM_WORKER))};",
        "/** The `kind` of an item the page sends Python. */",
        f"type ItemKind = {_union(list(ITEMS))};",
        "/** The name a `signal` item carries. */",
        f"type SignalName = {_union(list(SIGNALS))};",
        "/** Every command `op` Python sends. */",
        f"type CommandOp = {_union(list(COMMANDS))};",
        "/** The ops the page runtime's executor applies (the rest stay with the session relay). */",
        f"type PageCommandOp = {_union(page_ops)};",
        "/** The kind of a `{$pybridge: kind}` value marker. */",
        f"type MarkerKind = {_union(list(MARKERS))};",
        "/** A field of `init.env`. */",
        f"type EnvField = {_union(list(ENV))};",
        "",
    ]
    return "\n".join(lines)


def generated_files(root: Path) -> dict[Path, str]:
    """Every checked-in file this module writes, path -> the text it must have (the sources with their literal)."""
    return {root / MODULE_FILE: javascript(), root / TYPES_FILE: typescript()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m py_bridge.tools.page_constants", description=__doc__.split("\n\n")[0]
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite web/shared/protocol.js and protocol.d.ts")
    action.add_argument("--check", action="store_true", help="exit 1 when a generated part is stale")
    options = parser.parse_args(argv)
    if not (options.write or options.check):
        print(json.dumps(page_constants(), indent=2))
        return 0
    root = Path(__file__).resolve().parents[2]  # the checkout: py_bridge/tools/ is two folders below it
    stale = []
    for path, text in generated_files(root).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path.relative_to(root).as_posix())
        if options.write:
            path.write_text(text, encoding="utf-8")
    if options.check and stale:
        print(f"stale: {', '.join(stale)}; {WRITE_HINT}", file=sys.stderr)
        return 1
    for name in stale if options.write else ():
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
