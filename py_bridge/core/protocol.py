"""The page <-> Python protocol, written once: every name that crosses it, and every constant the page copies.

Five vocabularies cross between the page runtime (web/page/, bundled into embed.js; both entries run it) and the
Python core:

- `TO_WORKER` / `FROM_WORKER`: the `type` of the messages between the page runtime and where Python runs (the
  worker, web/worker/, or a PyScript page's own Pyodide; the session relay, web/shared/session-relay.js, on both),
  with the fields each carries;
- `ITEMS`: the `kind` of what the page sends Python (a call, a Messenger control, a consent answer...), and
  `SIGNALS`, the names a `signal` item carries;
- `COMMANDS`: the `op` of each command Python answers with (py_bridge.core.commands builds them; `to_message` writes
  them), and who applies it;
- `MARKERS`: the `{"$pybridge": kind}` objects that stand for values JSON cannot carry (web/page/encoding.js,
  decoded by py_bridge.core.values);
- `ENV`: the facts about the page that only the page can observe, sent with `init` (py_bridge.core.bridge.Environment).

tests/unit/test_protocol.py holds every side to these lists: a name one side knows and another does not fails it.

The page's constants (value limits, settings defaults and bounds, Intercom's hosts and method allowlist, storage
keys, timings...) reach JavaScript through `py_bridge.tools.page_constants.page_constants()`, generated into the one
module web/shared/protocol.js that every page and worker module imports (`python -m py_bridge.tools.page_constants
--write`; a unit test and the build refuse a stale one). Constants that already have a Python home (settings.py,
credentials.py, values.py, events.py, commands.py, destinations/intercom/settings.py, worker.py) are imported from
it, not copied; the few only the page uses are defined here.

This module imports nothing of py_bridge (py_bridge.core.commands imports it); `page_constants` gathers the constants
from their homes, which import this vocabulary, so every import runs one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ACCEPTED_KEY",
    "ANONYMOUS_ID_PATTERN",
    "ANON_KEY",
    "CALLBACK_TIMEOUT_MS",
    "COMMANDS",
    "CONTROLS",
    "DEBUG_KEY",
    "ENV",
    "FORGET_SETTINGS_KEYS",
    "FROM_WORKER",
    "INTERCOM_CDN",
    "ITEMS",
    "LATE_MESSENGER_MS",
    "LATE_POLL_MS",
    "LISTEN_METHODS",
    "MARKERS",
    "MARKER_KEY",
    "OPS",
    "PAGE_EVENTS",
    "RESTART_ENV",
    "RUNTIME_DB",
    "SIGNALS",
    "START_POLL_MS",
    "TO_WORKER",
    "WORKER_ONLY",
    "CommandSpec",
]

# ---- messages between embed.js and its worker (postMessage), by `type` -> the fields each carries ---------------
# Page -> worker. `seq` numbers the messages the page's watchdog waits an `ack` for.
TO_WORKER: Final[Mapping[str, tuple[str, ...]]] = {
    # First: whether the page allows starting from the memory snapshot, and whether consent allows the worker to
    # read and keep the runtime in IndexedDB (web/worker/runtime-store.mjs).
    "config": ("snapshot", "store"),
    # After `config`, when `store`: whether the page found a runtime kept in IndexedDB (true, false; null: it could
    # not tell, the worker asks itself). The page asks while the worker still starts.
    "kept": ("present",),
    # Consent refused: the worker deletes what it kept (after any write of its own) and keeps nothing more.
    "forget": (),
    # `state` only on a restart (the previous worker's last State); `transforms` is added by worker.mjs (the files
    # the `transform` setting names, as fetched) before Python gets the message.
    "init": ("seq", "settings", "env", "items", "state", "transforms"),
    "batch": ("seq", "items"),
}
# The page's messages the worker handles itself (how to start, the runtime it keeps); Python gets the others.
WORKER_ONLY: Final = frozenset({"config", "kept", "forget"})
# Worker -> page. Any of them tells the page's watchdog that the worker is alive.
FROM_WORKER: Final[Mapping[str, tuple[str, ...]]] = {
    "started": ("ms", "mode", "fallback", "phases", "at"),  # mode: "snapshot" | "normal"; at: epoch ms of its start
    "ack": ("seq",),  # Python handled every message up to `seq`
    "alive": (),  # busy (a long backlog, transformation files still downloading), not dead
    "transform": ("index", "phase"),  # the transformation file about to "load" or "run" (its time limit starts)
    "commands": ("commands",),  # Python's answer, `schedule` taken out (the worker keeps it)
    "log": ("level", "message"),  # a problem of the worker's own (not Python's), for the console
    "fatal": ("message",),  # the worker cannot go on: the page stops the bridge
}

# ---- items: what the page sends Python, by `kind` -> fields ---------------------------------------------------
ITEMS: Final[Mapping[str, tuple[str, ...]]] = {
    "call": ("method", "args", "context"),  # an analytics call (CALLS): page, identify, track...
    "control": ("method", "args"),  # a Messenger control (CONTROLS): intercom.show()...
    "listen": ("event",),  # intercom.on(event, fn): event is a key of LISTEN_METHODS
    "consent": ("granted", "anonymous_id"),
    "signal": ("name", "data"),  # something the page (or the worker: tick) observed, named in SIGNALS
    "debug": ("on",),
    "export": ("id",),  # pybridge.debug.export() number `id`
}
SIGNALS: Final[Mapping[str, tuple[str, ...]]] = {
    "widget": ("status", "reason", "late"),  # the Messenger's script: status loaded | late | failed
    "messenger": ("event",),  # the Messenger opened or closed (show | hide)
    "tick": (),  # a Schedule command's delay has passed
}


# ---- commands: what Python answers, by `op` ----------------------------------------------------------------------
@dataclass(frozen=True)
class CommandSpec:
    """One command on the wire: the fields `to_message` writes besides `op`, and who applies it.

    `applied_in`: "page" (the page runtime's executor) or "worker" (the session relay consumes it, wherever Python
    runs). `worker_session`: only py_bridge.core.worker.WorkerSession sends it; the core itself never returns it.
    """

    fields: tuple[str, ...] = ()
    applied_in: Literal["page", "worker"] = "page"
    worker_session: bool = False


COMMANDS: Final[Mapping[str, CommandSpec]] = {
    "settings": CommandSpec(("settings",)),  # window.intercomSettings
    "load": CommandSpec(("src",)),  # inject the Messenger's script
    "call": CommandSpec(("method", "args")),  # Intercom(method, ...args): method in the INTERCOM_METHODS allowlist
    "listen": CommandSpec(("event",)),  # register a Messenger callback (LISTEN_METHODS)
    "log": CommandSpec(("level", "message")),
    "ready": CommandSpec(),  # run the page's ready() callbacks
    "emit": CommandSpec(("event", "properties")),  # a pybridge:event DOM event
    "watch_pages": CommandSpec(),  # report SPA route changes as page calls
    "callback": CommandSpec(("id",)),  # run the callback the page passed with a call
    "identity": CommandSpec(("user_id", "traits")),  # for pybridge.user()
    "trace": CommandSpec(("title", "received", "steps", "intercom")),  # debug mode's console group
    "export": CommandSpec(("id", "jsonl")),  # the answer to debug.export() number `id`
    "forget": CommandSpec(("app_id", "settings_keys", "cookies")),  # consent withdrawn: forget Intercom
    "schedule": CommandSpec(("delay_ms",), applied_in="worker"),  # a `tick` signal after delay_ms
    "state": CommandSpec(("state",), worker_session=True),  # the bridge's state, kept for a restarted worker
    "stop": CommandSpec(worker_session=True),  # the settings stopped the bridge: the page disables it
}
OPS: Final = frozenset(COMMANDS)

# ---- value markers: `{"$pybridge": kind, ...fields}` for what JSON cannot carry ----------------------------------
MARKER_KEY: Final = "$pybridge"
MARKERS: Final[Mapping[str, tuple[str, ...]]] = {
    "undefined": (),  # JavaScript `undefined` as an argument (a hole that keeps later arguments in place)
    "callback": ("id",),  # the call's callback (the first function among its arguments), registered by the page
    "date": ("ms",),  # a Date: its instant, or null for an invalid one
    "number": ("value",),  # NaN or an infinity, as text
    "bigint": ("value",),  # a BigInt, as text
    "unsupported": ("type",),  # a function, Symbol, Map, typed array... (type says which)
    "circular": (),
    "too_deep": (),  # nested deeper than limits.max_depth
    "too_large": (),  # past the call's budget (limits.max_nodes values, limits.max_chars characters)
}

# ---- the page's environment: `init.env` ------------------------------------------------------------------------
ENV: Final[Mapping[str, str]] = {
    "native_intercom": "the page had its own window.Intercom when the tag started",
    "native_session": "that install already booted: {user_id, email} from intercomSettings",
    "selector_valid": "the launcher selector (widget_id) parses in this page",
    "origins": "the page's and the bundle's origin: the only ones that may serve transformations",
    "consent": "the page's own record of the consent answer: pending | granted | denied",
    "transform_index": "the index each transform entry sent has in the site's own setting",
    "widget": "on a restart: what the page's Messenger already is (idle | loading | late | loaded | failed)",
    "ready": "on a restart: whether the page already ran its ready() callbacks",
}
RESTART_ENV: Final = ("widget", "ready")  # sent only when a worker replaces a stuck one

# ---- the page's DOM events (window) --------------------------------------------------------------------------------
PAGE_EVENTS: Final[Mapping[str, tuple[str, ...]]] = {
    # level "call" carries method and args (an Intercom call, credentials redacted); the "Python started" line
    # carries `started`: {ms, mode} (the worker's `started` message), for the doctor, the demo and the bench.
    "pybridge:log": ("level", "message", "started", "method", "args"),
    "pybridge:event": ("event", "properties"),
}

# ---- constants only the page uses (the PyScript entry imports them from here) -----------------------------------
CONTROLS: Final = (
    "show",
    "hide",
    "showMessages",
    "showNewMessage",
    "showSpace",
    "showArticle",
    "startTour",
    "startSurvey",
)
LISTEN_METHODS: Final[Mapping[str, str]] = {"show": "onShow", "hide": "onHide", "unread": "onUnreadCountChange"}
CALLBACK_TIMEOUT_MS: Final = 300  # analytics.js: a callback runs when the call is handled, or after 300 ms
LATE_MESSENGER_MS: Final = 120_000  # after widget_timeout_ms, a Messenger that still starts within this is used
START_POLL_MS: Final = 50  # how often the page looks whether the Messenger's frame has drained the queue
LATE_POLL_MS: Final = 200  # the same, after widget_timeout_ms
ANON_KEY: Final = "pybridge.anonymous_id"  # localStorage: both entries keep the same visitor
DEBUG_KEY: Final = "pybridge.debug"  # sessionStorage: debug mode for this tab
# localStorage: where builds before the first-visit overlap kept the settings Python had accepted; no build reads it
# now, and a refusal still removes it (web/page/forget.js) from browsers those builds wrote it in
ACCEPTED_KEY: Final = "pybridge.accepted"
# IndexedDB: the database (one object store, "runtime") where the worker keeps Pyodide's wasm and the memory snapshot
# for the next visit, each as it verified them (web/worker/runtime-store.mjs); the page deletes it on a refusal
RUNTIME_DB: Final = "py-bridge"
ANONYMOUS_ID_PATTERN: Final = "[A-Za-z0-9_-]{8,64}"  # a stored anonymous id the page adopts (whole string)
INTERCOM_CDN: Final = "https://js.intercomcdn.com"  # the Messenger's frame bundle (a preconnect hint)
# The intercomSettings keys that let Intercom's loader boot a user again on its own (with the credentials).
FORGET_SETTINGS_KEYS: Final = ("app_id", "user_id", "email")
