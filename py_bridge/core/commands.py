"""Commands: the values the Python core returns and the boundary applies.

Mapping never performs calls; it returns these. The JavaScript executor in the page accepts only the operations
named in `OPS` (py_bridge.core.protocol.COMMANDS: every op and its fields, written once) and re-checks script
origins and Intercom method names, so a command is data, never code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from py_bridge.core.protocol import CONTROLS, LISTEN_METHODS, OPS

__all__ = [
    "INTERCOM_METHODS",
    "OPS",
    "Callback",
    "Command",
    "Emit",
    "Export",
    "ForgetIntercom",
    "Identity",
    "IntercomCall",
    "Listen",
    "LoadWidget",
    "Log",
    "Ready",
    "Schedule",
    "SetIntercomSettings",
    "State",
    "Trace",
    "WatchPages",
    "to_message",
]

JSON: TypeAlias = Any

# Every Intercom method the bridge may call; the executor in embed.js gets the same list (py_bridge.core.protocol).
# The Messenger controls and listeners the page may name (py_bridge.core.protocol), and the session's own methods.
INTERCOM_METHODS = frozenset(
    {"boot", "update", "shutdown", "trackEvent", "reattach_activator", *CONTROLS, *LISTEN_METHODS.values()}
)

LogLevel = Literal["debug", "info", "warn", "error"]
MessengerEvent = Literal["show", "hide", "unread"]


@dataclass(frozen=True)
class IntercomCall:
    """`Intercom(method, *args)` in the page."""

    method: str
    args: tuple[JSON, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in INTERCOM_METHODS:
            raise ValueError(f"Intercom method {self.method!r} is not allowlisted")


@dataclass(frozen=True)
class SetIntercomSettings:
    """Assign `window.intercomSettings` (the official install reads it before the widget loads)."""

    settings: dict[str, JSON]


@dataclass(frozen=True)
class LoadWidget:
    """Install the Intercom queue stub if needed and inject the widget script from `src`."""

    src: str


@dataclass(frozen=True)
class Listen:
    """Register a Messenger callback (onShow/onHide/onUnreadCountChange) that forwards to the page and to Python."""

    event: MessengerEvent


@dataclass(frozen=True)
class Log:
    """A console line prefixed `[py-bridge]`; `debug` lines only reach the page's debug listeners."""

    level: LogLevel
    message: str


@dataclass(frozen=True)
class Ready:
    """The bridge is started and the Messenger has loaded or failed: fire the page's `ready` callbacks."""


@dataclass(frozen=True)
class Emit:
    """Dispatch a `pybridge:event` DOM event so the page can forward bridge-made events to its other tools."""

    event: str
    properties: dict[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class WatchPages:
    """Setting track_pages: report SPA route changes (pushState/replaceState/popstate) as page calls."""


@dataclass(frozen=True)
class Schedule:
    """Ask the worker to deliver a `tick` signal after `delay_s` seconds (the throttle's pending update)."""

    delay_s: float


@dataclass(frozen=True)
class Callback:
    """Run the page's callback `id` (a function passed in a call, analytics.js style): the call has been handled."""

    id: int


@dataclass(frozen=True)
class Identity:
    """Who the bridge believes the user is, for the read-only `pybridge.user()` (analytics.js offers the same)."""

    user_id: str | None
    traits: dict[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Trace:
    """Debug mode: one collapsed console group for one call: as received, what the pipeline did, Intercom calls."""

    title: str
    received: JSON
    steps: tuple[str, ...] = ()
    intercom: tuple[JSON, ...] = ()


@dataclass(frozen=True)
class Export:
    """The answer to `pybridge.debug.export()` number `id`: the session's events as JSON lines."""

    id: int
    jsonl: str


# The Messenger's cookies, each suffixed with the App ID (Intercom help center, "Intercom Messenger Cookies").
INTERCOM_COOKIE_PREFIXES: Final = ("intercom-id", "intercom-session", "intercom-device-id")


@dataclass(frozen=True)
class ForgetIntercom:
    """Consent withdrawn: leave nothing in the page that lets Intercom start again on its own.

    Intercom's loader boots from `window.intercomSettings` whenever it holds an app_id (its frame starting, every
    Turbo/Turbolinks load), and the Messenger keeps its visitor in cookies on the site's top-level domain. So the
    page removes `settings_keys` from intercomSettings (whoever wrote it) and expires `cookies` on its host and on
    each parent domain up to the last two labels.
    """

    app_id: str
    settings_keys: tuple[str, ...] = ("app_id",)

    @property
    def cookies(self) -> tuple[str, ...]:
        return tuple(f"{prefix}-{self.app_id}" for prefix in INTERCOM_COOKIE_PREFIXES)


@dataclass(frozen=True)
class State:
    """The bridge's state as plain JSON (`Bridge.state()`), for the page to keep.

    A worker stuck in a transformation is replaced by a new one; the page hands it the last state it received, and
    the new worker goes on from there (`Bridge.resume`) instead of replaying the calls the old one handled. The page
    keeps it and never applies it.
    """

    state: dict[str, JSON]


Command: TypeAlias = (
    IntercomCall
    | SetIntercomSettings
    | LoadWidget
    | Listen
    | Log
    | Ready
    | Emit
    | WatchPages
    | Schedule
    | Callback
    | Identity
    | Trace
    | Export
    | ForgetIntercom
    | State
)


def to_message(command: Command) -> dict[str, JSON]:
    """The JSON message for one command. `schedule` is consumed by the worker; the page never sees it."""
    match command:
        case IntercomCall(method, args):
            return {"op": "call", "method": method, "args": list(args)}
        case SetIntercomSettings(settings):
            return {"op": "settings", "settings": settings}
        case LoadWidget(src):
            return {"op": "load", "src": src}
        case Listen(event):
            return {"op": "listen", "event": event}
        case Log(level, message):
            return {"op": "log", "level": level, "message": message}
        case Ready():
            return {"op": "ready"}
        case Emit(event, properties):
            return {"op": "emit", "event": event, "properties": properties}
        case WatchPages():
            return {"op": "watch_pages"}
        case Schedule(delay_s):
            return {"op": "schedule", "delay_ms": round(delay_s * 1000)}
        case Callback(callback_id):
            return {"op": "callback", "id": callback_id}
        case Identity(user_id, traits):
            return {"op": "identity", "user_id": user_id, "traits": traits}
        case Trace(title, received, steps, intercom):
            return {
                "op": "trace",
                "title": title,
                "received": received,
                "steps": list(steps),
                "intercom": list(intercom),
            }
        case Export(export_id, jsonl):
            return {"op": "export", "id": export_id, "jsonl": jsonl}
        case ForgetIntercom(app_id, settings_keys):
            keys, cookies = list(settings_keys), list(command.cookies)
            return {"op": "forget", "app_id": app_id, "settings_keys": keys, "cookies": cookies}
        case State(state):
            return {"op": "state", "state": state}
    raise TypeError(f"not a command: {command!r}")
