// Generated from py_bridge/core/protocol.py by `python -m py_bridge.tools.page_constants --write`: do not edit.
// Script-style (no import/export): every name is global to the projects that list this file.

/** The `type` of a message from embed.js to its worker. */
type ToWorkerType = "config" | "kept" | "forget" | "init" | "batch";
/** The `type` of a message from the worker to embed.js. */
type FromWorkerType = "started" | "ack" | "alive" | "transform" | "commands" | "log" | "fatal";
/** The `kind` of an item the page sends Python. */
type ItemKind = "call" | "control" | "listen" | "consent" | "signal" | "debug" | "export";
/** The name a `signal` item carries. */
type SignalName = "widget" | "messenger" | "tick";
/** Every command `op` Python sends. */
type CommandOp = "settings" | "load" | "call" | "listen" | "log" | "ready" | "emit" | "watch_pages" | "callback" | "identity" | "trace" | "export" | "forget" | "schedule" | "state" | "stop";
/** The ops the page runtime's executor applies (the rest stay with the session relay). */
type PageCommandOp = "settings" | "load" | "call" | "listen" | "log" | "ready" | "emit" | "watch_pages" | "callback" | "identity" | "trace" | "export" | "forget" | "state" | "stop";
/** The kind of a `{$pybridge: kind}` value marker. */
type MarkerKind = "undefined" | "callback" | "date" | "number" | "bigint" | "unsupported" | "circular" | "too_deep" | "too_large";
/** A field of `init.env`. */
type EnvField = "native_intercom" | "native_session" | "selector_valid" | "origins" | "consent" | "transform_index" | "widget" | "ready";
