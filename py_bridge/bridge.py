"""The bridge: one object that receives what the page sends and returns the commands to apply.

Both transports drive this same object: the embed's worker (page -> postMessage -> worker) and the PyScript entry
(Python in the page). It owns settings, consent, the pipeline and the destination, and it never raises: every
failure becomes a `[py-bridge]` log command.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from py_bridge.commands import Callback, Command, Emit, Export, Identity, Log, Ready, WatchPages
from py_bridge.consent import ConsentGate
from py_bridge.destinations.intercom import IntercomDestination
from py_bridge.destinations.intercom.destination import NativeSession
from py_bridge.errors import ConfigError, describe_value
from py_bridge.events import normalise
from py_bridge.notes import Notes
from py_bridge.pipeline import Middleware, Pipeline, event_filter
from py_bridge.settings import BridgeSettings, parse_settings
from py_bridge.spec import spec_record
from py_bridge.trace import Tracer
from py_bridge.transform import TransformChain

__all__ = ["Bridge", "Environment", "PageClock", "start_bridge"]

WARNING_REPEATS: Final = 5  # identical warnings after this many are summarised once, so a loop cannot flood the console
MAX_DISTINCT_WARNINGS: Final = 1000
MESSENGER_EVENTS: Final = {"show": "Messenger Opened", "hide": "Messenger Closed"}


@dataclass(frozen=True)
class Environment:
    """Facts about the page that only the page can observe, collected by embed.js before start."""

    native_intercom: bool = False
    native_session: NativeSession | None = None  # the page's own install already booted (see embed.js)
    selector_valid: bool = True
    origins: tuple[str, ...] = ()  # the page's and the bundle's origin: the only ones that may serve transformations
    widget: str | None = None  # on a worker restart: what the page's Messenger already is (loaded, failed, ...)

    @classmethod
    def from_message(cls, raw: Any) -> Environment:
        raw = raw if isinstance(raw, dict) else {}
        origins = raw.get("origins")
        widget = raw.get("widget")
        native = raw.get("native_session")
        session = None
        if isinstance(native, dict):
            ids = {k: native.get(k) for k in ("user_id", "email")}
            session = NativeSession(**{k: v[:255] if isinstance(v, str) and v else None for k, v in ids.items()})
        return cls(
            native_intercom=raw.get("native_intercom") is True,
            native_session=session if raw.get("native_intercom") is True else None,
            selector_valid=raw.get("selector_valid") is not False,
            origins=tuple(o for o in origins if isinstance(o, str))[:2] if isinstance(origins, list) else (),
            widget=widget if widget in ("idle", "loading", "loaded", "failed") else None,
        )


class PageClock:
    """The page's time, in seconds: the newest call timestamp seen plus what elapsed here since. Never goes back.

    Intercom's update quota is counted by the widget in the page, so the budget must use the page's clock, not the
    worker's (they agree in production; a test that fakes the page's clock forward then sees one consistent time).
    A call's timestamp is when it was made, not when it is sent: calls held for consent or queued before start
    arrive with old timestamps, and following them back would charge the updates they cause to the past, freeing
    budget Intercom never freed. So an older timestamp leaves the clock alone, and every send is charged "now".
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self.monotonic = monotonic
        self.base = wall()
        self.observed_at = monotonic()

    def observe(self, timestamp_ms: Any) -> None:
        if isinstance(timestamp_ms, int | float) and not isinstance(timestamp_ms, bool) and timestamp_ms > 0:
            seconds = float(timestamp_ms) / 1000
            if seconds > self():  # only forward: a replayed call's capture time is in the past
                self.base = seconds
                self.observed_at = self.monotonic()

    def __call__(self) -> float:
        return self.base + (self.monotonic() - self.observed_at)


class Bridge:
    def __init__(
        self,
        settings: BridgeSettings,
        env: Environment,
        clock: Callable[[], float] | None = None,
        *,
        page_clock: PageClock | None = None,
        transforms: TransformChain | None = None,
    ) -> None:
        self.settings = settings
        self.page_clock = page_clock or PageClock()
        self.intercom = IntercomDestination(
            settings.intercom,
            clock=clock or self.page_clock,
            native=env.native_intercom,
            native_session=env.native_session,
            messenger_events=settings.track_messenger_events,
        )
        middleware: list[Middleware] = [event_filter(settings.event_filter)] if settings.event_filter else []
        self.transforms = transforms
        if transforms is not None:
            middleware.append(transforms)  # after consent and the event filter, before the Intercom mapping
        self.pipeline = Pipeline(middleware, [self.intercom])
        self.consent = ConsentGate(required=settings.consent_required, limit=settings.max_queue)
        self.ready_sent = False
        self.calls_handled = 0
        self._warned: Counter[str] = Counter()
        self.tracer = Tracer(settings.debug, to_record=spec_record)
        self.user: tuple[str | None, dict[str, Any]] = (None, {})  # for the page's read-only pybridge.user()

    # -- entry points -------------------------------------------------------------------------------------------
    def start(self, queued: Iterable[Any] = ()) -> list[Command]:
        """Load the Messenger (unless consent is pending), replay the pre-load queue in order, then settle."""
        commands: list[Command] = self._transform_reports()
        if self.consent.open:
            commands += self.intercom.load()
        for item in queued:
            commands += self._receive(item)
        if self.consent.open:
            commands += self.intercom.settle()
        if self.settings.track_pages:
            commands.append(WatchPages())
        commands += self._maybe_ready()
        return self._finish(commands)

    def receive(self, item: Any) -> list[Command]:
        """One item from the page: a call, a Messenger control, a listener, a consent answer or a signal."""
        return self._finish(self._receive(item))

    def receive_many(self, items: Iterable[Any]) -> list[Command]:
        commands: list[Command] = []
        for item in items:
            commands += self._receive(item)
        return self._finish(commands)

    # -- dispatch -----------------------------------------------------------------------------------------------
    def _receive(self, item: Any) -> list[Command]:
        try:
            return self._dispatch(item if isinstance(item, dict) else {})
        except Exception as error:  # contained: the page never sees a Python exception
            return [Log("error", f"internal error while handling a call ({type(error).__name__}); call dropped")]

    def _dispatch(self, item: dict[str, Any]) -> list[Command]:
        kind = item.get("kind")
        if kind == "signal":
            data = item.get("data")
            return self._signal(str(item.get("name")), data if isinstance(data, dict) else {})
        if kind == "consent":
            return self._answer_consent(item.get("granted") is True, item.get("anonymous_id"))
        if kind == "debug":
            self.tracer.enabled = item.get("on") is True
            return [Log("info", f"debug mode {'on' if self.tracer.enabled else 'off'}")]
        if kind == "export":
            export_id = item.get("id")
            return [Export(export_id, self.tracer.export())] if isinstance(export_id, int) else []
        if not self.consent.open:
            if self.consent.state == "denied":
                return [Log("debug", "call dropped: consent was refused")]
            if not self.consent.hold(item):
                return [Log("warn", f"consent pending and {self.consent.limit} calls already held; call dropped")]
            return self.tracer.trace(item, [], ["held until pybridge.consent() is answered"]) if kind == "call" else []
        if kind == "call":
            return self._call(item)
        if kind == "control":
            args = item.get("args")
            return self.intercom.control(str(item.get("method")), args if isinstance(args, list) else [])
        if kind == "listen":
            event = item.get("event")
            if event in ("show", "hide", "unread"):
                return self.intercom.listen(event)
            return [Log("warn", f"intercom.on(): unknown Messenger event {str(event)[:40]!r}; ignored")]
        return [Log("warn", f"unknown message {str(kind)[:40]!r} ignored")]

    def _call(self, item: dict[str, Any]) -> list[Command]:
        context = item.get("context")
        if isinstance(context, dict):
            self.page_clock.observe(context.get("timestamp"))
        notes = Notes()
        event = normalise(str(item.get("method")), item.get("args"), item.get("context"), notes)
        commands: list[Command] = [Log("warn", n) for n in notes]
        if event is not None:
            self.calls_handled += 1
            self.tracer.record(event)
            commands += self.pipeline.run(event)
            commands += self._transform_reports()
            commands += self._identity(event)
        commands = self.tracer.trace(item, commands)
        callback_id = _callback_id(item.get("args"))
        # analytics.js: the callback runs once the call has been handled, whatever became of it.
        return [*commands, Callback(callback_id)] if callback_id is not None else commands

    def restore(self, history: Iterable[Any], widget: str | None) -> None:
        """A restarted worker: rebuild the session state from calls the previous worker handled, silently.

        The page already applied their commands (the Messenger is booted, the user known); replaying them here only
        brings this bridge to the same state, so nothing of it is sent again.
        """
        self.start(history)
        if widget in ("loaded", "failed"):
            self.intercom.widget = widget
        self.ready_sent = True
        if self.transforms is not None:
            self.transforms.take_steps()
            self.transforms.take_messages()

    def _transform_reports(self) -> list[Command]:
        """What the transformations said: load failures and user tracebacks as warnings, their steps for debug."""
        if self.transforms is None:
            return []
        reports: list[Command] = [Log(m.level, m.text) for m in self.transforms.take_messages()]
        return reports + [Log("debug", step) for step in self.transforms.take_steps()]

    def _identity(self, event: Any) -> list[Command]:
        """Keep the page's read-only `pybridge.user()` in step with identify and reset."""
        user_id, traits = self.user
        if event.type == "reset":
            updated: tuple[str | None, dict[str, Any]] = (None, {})
        elif event.type == "identify":
            updated = (event.user_id or user_id, {**traits, **event.traits})
        else:
            return []
        if updated == self.user:
            return []
        self.user = updated
        # Plain JSON for the page (decoded traits may hold datetimes).
        return [Identity(updated[0], json.loads(json.dumps(updated[1], default=str)))]

    def _signal(self, name: str, data: dict[str, Any]) -> list[Command]:
        commands = self.intercom.signal(name, data)
        if name == "messenger" and self.settings.track_messenger_events:
            label = MESSENGER_EVENTS.get(str(data.get("event")))
            if label:
                commands.append(Emit(label))
        return commands + self._maybe_ready()

    def _answer_consent(self, granted: bool, anonymous_id: Any = None) -> list[Command]:
        previous = self.consent.state
        held_count = len(self.consent.buffer)
        held = self.consent.answer(granted)
        if granted and isinstance(anonymous_id, str) and anonymous_id:
            # The page adopts the browser's stored anonymous id only once storage is allowed: calls held until now
            # carry a provisional one, and must not create one more Intercom visitor each page view.
            for item in held:
                context = item.get("context") if isinstance(item, dict) else None
                if isinstance(context, dict):
                    context["anonymous_id"] = anonymous_id
        if previous != "pending" and granted == (previous == "granted"):
            return []  # no change
        if not granted:
            if previous == "granted":
                # Withdrawn mid-session: end the session and forget the user (and anything pending for them, even
                # when nothing was booted yet); nothing more is sent until consent is given again.
                booted = self.intercom.booted
                ended = self.intercom.end_session()
                said = "Intercom session shut down" if booted else "nothing more is sent to Intercom"
                return [*ended, Log("info", f"consent withdrawn: {said}")]
            return [Log("info", f"consent refused: {held_count} held calls dropped, Intercom not loaded")]
        commands = self.intercom.load()
        for item in held:
            commands += self._dispatch(item)
        return [*commands, *self.intercom.settle(), *self._maybe_ready()]

    def _maybe_ready(self) -> list[Command]:
        settled = self.intercom.widget in ("loaded", "failed") or not self.consent.open
        if self.ready_sent or not settled:
            return []
        self.ready_sent = True
        return [Ready()]

    def _finish(self, commands: list[Command]) -> list[Command]:
        """Drop debug lines unless asked for, and summarise repeated warnings."""
        out: list[Command] = []
        for command in commands:
            if isinstance(command, Log):
                if command.level == "debug" and not self.tracer.enabled:
                    continue
                if command.level in ("warn", "error"):
                    if len(self._warned) >= MAX_DISTINCT_WARNINGS:
                        self._warned.clear()  # bounded memory: hostile input can make every message distinct
                    self._warned[command.message] += 1
                    seen = self._warned[command.message]
                    if seen > WARNING_REPEATS:
                        continue
                    if seen == WARNING_REPEATS:
                        command = Log(command.level, command.message + " (further identical warnings suppressed)")
            out.append(command)
        return out


def _callback_id(args: Any) -> int | None:
    """The id of the page's callback among a call's arguments (embed.js encodes the first function as one)."""
    for arg in args if isinstance(args, list) else []:
        if isinstance(arg, dict) and arg.get("$pybridge") == "callback":
            value = arg.get("id")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def start_bridge(
    raw_settings: Any,
    raw_env: Any,
    clock: Callable[[], float] | None = None,
    *,
    transform_sources: Iterable[tuple[str, str]] = (),
    on_transform: Callable[[str], None] | None = None,
) -> tuple[Bridge | None, list[Command]]:
    """Validate settings and build the bridge, or return the one error that explains why it cannot start.

    `transform_sources` are the (url, text) pairs the worker fetched for the `transform` setting; a file from an
    origin that is neither the page's nor the bundle's is refused here too, whatever the page claimed.
    """
    try:
        settings = parse_settings(raw_settings)
        env = Environment.from_message(raw_env)
        if not env.selector_valid:
            raise ConfigError(
                "intercom.widget_id",
                f"is not a valid CSS selector in this page (received: {describe_value(settings.intercom.widget_id)})",
            )
    except ConfigError as error:
        return None, [Log("error", f"not started: {error}")]
    notes: list[Command] = []
    chain = None
    if settings.transform:
        allowed: list[tuple[str, str]] = []
        for url, text in transform_sources:
            if url in settings.transform and _origin(url) in env.origins:
                allowed.append((url, text))
            else:
                notes.append(Log("warn", f"transform {url[:200]} refused: not from the page's or the bundle's origin"))
        chain = TransformChain(
            allowed,
            errors="drop" if settings.transform_errors == "drop" else "send",
            slow_ms=settings.transform_slow_ms,
            on_enter=on_transform,
        )
    return Bridge(settings, env, clock, transforms=chain), notes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
