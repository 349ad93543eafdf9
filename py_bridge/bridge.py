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
from typing import Any, Final, cast
from urllib.parse import urlsplit

from py_bridge.commands import Callback, Command, Emit, Export, Identity, Log, Ready, WatchPages
from py_bridge.consent import ConsentGate
from py_bridge.consent import State as ConsentState
from py_bridge.destinations.intercom import IntercomDestination
from py_bridge.destinations.intercom.destination import NativeSession
from py_bridge.errors import ConfigError, describe_value
from py_bridge.events import normalise
from py_bridge.notes import Notes
from py_bridge.pipeline import Middleware, Pipeline, event_filter
from py_bridge.saved_state import STATE_VERSION, Fields, is_json
from py_bridge.settings import BridgeSettings, parse_settings
from py_bridge.spec import spec_record
from py_bridge.trace import Tracer
from py_bridge.transform import TransformChain
from py_bridge.transform_files import entry_index, entry_name, pin_matches

__all__ = ["Bridge", "Environment", "PageClock", "start_bridge"]

WARNING_REPEATS: Final = 5  # identical warnings after this many are summarised once, so a loop cannot flood the console
MAX_DISTINCT_WARNINGS: Final = 1000
MESSENGER_EVENTS: Final = {"show": "Messenger Opened", "hide": "Messenger Closed"}
MAX_SHOWN_PROBLEMS: Final = 5


@dataclass(frozen=True)
class Environment:
    """Facts about the page that only the page can observe, collected by embed.js before start."""

    native_intercom: bool = False
    native_session: NativeSession | None = None  # the page's own install already booted (see embed.js)
    selector_valid: bool = True
    origins: tuple[str, ...] = ()  # the page's and the bundle's origin: the only ones that may serve transformations
    widget: str | None = None  # on a worker restart: what the page's Messenger already is (loaded, failed, ...)
    # The page's own record of the consent answer when it (re)started this worker: "denied" and "pending" restrict
    # (a refusal the page recorded while the worker was down or stuck wins over any saved state); "granted" never
    # skips an answer still waiting in the queue.
    consent: str | None = None
    ready: bool | None = None  # on a restart: whether the page already ran its ready() callbacks (its own record)

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
            widget=widget if widget in ("idle", "loading", "late", "loaded", "failed") else None,
            consent=raw.get("consent") if raw.get("consent") in ("pending", "granted", "denied") else None,
            ready=raw.get("ready") if isinstance(raw.get("ready"), bool) else None,
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
            late_limit=settings.max_queue,
        )
        middleware: list[Middleware] = [event_filter(settings.event_filter)] if settings.event_filter else []
        self.transforms = transforms
        if transforms is not None:
            middleware.append(transforms)  # after consent and the event filter, before the Intercom mapping
        self.pipeline = Pipeline(middleware, [self.intercom])
        self.consent = ConsentGate(required=settings.consent_required, limit=settings.max_queue)
        self.page_consent = env.consent
        self.page_ready = env.ready
        self._take_the_pages_refusal()
        self.ready_sent = False
        self.calls_handled = 0
        self._warned: Counter[str] = Counter()
        self.tracer = Tracer(settings.debug, to_record=spec_record)
        # For the page's read-only pybridge.user(): the user id and the traits as plain JSON (what the page shows).
        self.user: tuple[str | None, dict[str, Any]] = (None, {})
        self._transforms_fresh = True  # no event has run through the transformations since they were (re)loaded

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
            if self._another_person(event):
                commands += self._start_transforms_afresh()
            self.calls_handled += 1
            self.tracer.record(event)
            commands += self.pipeline.run(event)
            if event.type != "reset":  # a reset never reaches the transformations (it has no spec shape)
                self._transforms_fresh = False
            commands += self._transform_reports()
            commands += self._identity(event)
        commands = self.tracer.trace(item, commands)
        callback_id = _callback_id(item.get("args"))
        # analytics.js: the callback runs once the call has been handled, whatever became of it.
        return [*commands, Callback(callback_id)] if callback_id is not None else commands

    # -- a restarted worker -------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The session as plain JSON, for the page to hand a worker that replaces this one (`resume`).

        Cheap enough to take after every message (the worker sends it only when it changed). The transformations'
        module state is not in it: a new worker loads the files afresh and never runs them over past calls.
        """
        return {
            "v": STATE_VERSION,
            "ready_sent": self.ready_sent,
            "calls_handled": self.calls_handled,
            "user": [self.user[0], self.user[1]],
            "debug": self.tracer.enabled,
            "consent": {"state": self.consent.state, "held": list(self.consent.buffer)},
            "intercom": self.intercom.export_state(),
        }

    def resume(self, state: Any, widget: Any) -> list[Command]:
        """A restarted worker: go on from the `state()` the previous worker handed the page. Never raises.

        The page applied everything the previous worker sent (the Messenger is loaded and booted, the user known),
        so nothing is sent again; what is returned is what it takes to go on: the pending update whose scheduled
        tick died with the old worker, Ready if the old worker never got to say it. `widget` is what the page says
        its Messenger is now ("loaded"/"failed" win over the state's, which may predate the widget's signal).
        Every field is checked; a state that is not one, or with fields that are wrong, is one warning, and those
        parts start afresh.
        """
        problems: list[str] = []
        try:
            self._restore(state, problems)
        except Exception as error:  # contained: a bug of ours must not stop the new worker
            problems.append(f"internal error ({type(error).__name__})")
        self._take_the_pages_refusal()
        if self.page_ready is not None:
            self.ready_sent = self.page_ready  # the page knows whether ready() ran; a saved state may not
        if widget in ("loaded", "late", "failed"):
            self.intercom.widget = str(widget)
        commands: list[Command] = self._transform_reports()
        if problems:
            shown = ", ".join(dict.fromkeys(problems[:MAX_SHOWN_PROBLEMS]))
            more = f" and {len(problems) - MAX_SHOWN_PROBLEMS} more" if len(problems) > MAX_SHOWN_PROBLEMS else ""
            commands.append(
                Log("warn", f"worker restarted: part of the saved state was unusable ({shown}{more}); it starts afresh")
            )
        if self.consent.open and self.intercom.widget == "idle":
            commands += self.intercom.load()  # the old worker never loaded the Messenger: load it now
        commands += self.intercom.resumed()
        commands += self._maybe_ready()
        return self._finish(commands)

    def _take_the_pages_refusal(self) -> None:
        """The page's answer restricts what this worker starts from: it was recorded on the page, at once, while
        this worker did not exist yet; a state handed over from a worker that ran the site's code cannot widen it."""
        if self.page_consent == "denied":
            self.consent.state = "denied"
            self.consent.buffer.clear()
        elif self.page_consent == "pending" and self.settings.consent_required and self.consent.state == "granted":
            self.consent.state = "pending"

    def _restore(self, state: Any, problems: list[str]) -> None:
        root = Fields(state, "", problems)
        if not root.data or root.data.get("v") != STATE_VERSION:
            if isinstance(state, dict):
                problems.append("state" if not state else "v")
            self.ready_sent = True  # the old worker's Ready, if any, was applied: never fire it twice
            return
        ready_sent = root.flag("ready_sent", True)
        calls_handled = root.count("calls_handled")
        debug = root.flag("debug", self.tracer.enabled)
        user = self._saved_user(root)
        consent = root.object("consent")
        consent_state = consent.choice("state", ("pending", "granted", "denied"), self.consent.state)
        held = consent.objects("held", self.consent.limit)
        self.intercom.restore_state(root.object("intercom"))
        self.ready_sent = ready_sent
        self.calls_handled = calls_handled
        self.tracer.enabled = debug
        self.user = user
        self.consent.state = cast(ConsentState, consent_state)  # one of the three, checked above
        self.consent.buffer.clear()
        self.consent.buffer.extend(held if consent_state == "pending" else [])
        latest = self.intercom.latest_charge()
        if latest is not None and self.intercom.clock is self.page_clock:
            self.page_clock.observe(latest * 1000)  # the new worker's clock never reads before the last charge

    @staticmethod
    def _saved_user(root: Fields) -> tuple[str | None, dict[str, Any]]:
        value = root.data.get("user")
        if value is None:
            return (None, {})
        if (
            isinstance(value, list)
            and len(value) == 2
            and (value[0] is None or isinstance(value[0], str))
            and isinstance(value[1], dict)
            and is_json(value[1])
        ):
            return (value[0], dict(value[1]))
        root.problems.append("user")
        return (None, {})

    def _transform_reports(self) -> list[Command]:
        """What the transformations said: load failures and user tracebacks as warnings, their steps for debug."""
        if self.transforms is None:
            return []
        reports: list[Command] = [Log(m.level, m.text) for m in self.transforms.take_messages()]
        return reports + [Log("debug", step) for step in self.transforms.take_steps()]

    def _identity(self, event: Any) -> list[Command]:
        """Keep the page's read-only `pybridge.user()` in step with identify and reset.

        As analytics.js: an identify with a user id other than the known one is another person, whose traits
        replace the previous user's; otherwise (same id, no id, the first id) the traits are merged.
        """
        user_id, traits = self.user
        if event.type == "reset":
            updated: tuple[str | None, dict[str, Any]] = (None, {})
        elif event.type == "identify":
            plain = json.loads(json.dumps(event.traits, default=str))  # plain JSON (decoded traits hold datetimes)
            if self._another_person(event):
                updated = (event.user_id, plain)
            else:
                updated = (event.user_id or user_id, {**traits, **plain})
        else:
            return []
        if updated == self.user:
            return []
        self.user = updated
        return [Identity(updated[0], updated[1])]

    def _another_person(self, event: Any) -> bool:
        """A reset, or an identify naming a user other than the known one: someone else is on the page now."""
        if event.type == "reset":
            return True
        known = self.user[0]
        return event.type == "identify" and bool(event.user_id) and known is not None and event.user_id != known

    def _start_transforms_afresh(self) -> list[Command]:
        """Load the transformation files again in fresh modules, so no module state outlives the person it was
        about (docs/transformations.md, "Reset: files start afresh"). Not again while nothing ran since."""
        if self.transforms is None or self._transforms_fresh:
            return []
        self.transforms.restart()
        self._transforms_fresh = True
        return self._transform_reports()

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
                # when nothing was booted yet), and have the page forget Intercom (intercomSettings, its cookies)
                # so its loader cannot boot again; nothing more is sent until consent is given again.
                booted = self.intercom.booted
                ended = self.intercom.withdraw()
                said = "Intercom session shut down" if booted else "nothing more is sent to Intercom"
                forgotten: list[Command] = [] if self.user == (None, {}) else [Identity(None, {})]
                self.user = (None, {})
                afresh = self._start_transforms_afresh()
                return [*ended, *forgotten, *afresh, Log("info", f"consent withdrawn: {said}")]
            refused = Log("info", f"consent refused: {held_count} held calls dropped, Intercom not loaded")
            return [self.intercom.forget_command(), refused]
        commands = self.intercom.load()
        for item in held:
            commands += self._dispatch(item)
        return [*commands, *self.intercom.settle(), *self._maybe_ready()]

    def _maybe_ready(self) -> list[Command]:
        settled = self.intercom.widget in ("loaded", "late", "failed") or not self.consent.open
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
    on_transform: Callable[[str, str], Any] | None = None,
) -> tuple[Bridge | None, list[Command]]:
    """Validate settings and build the bridge, or return the one error that explains why it cannot start.

    `transform_sources` are the (url, text) pairs the worker fetched for the `transform` setting; a file from an
    origin that is neither the page's nor the bundle's is refused here too, whatever the page claimed, and so is a
    file whose UTF-8 bytes do not match its entry's pinned SHA-256 (checked here, the one place both entries share).
    `on_transform(name, phase)` is told which file is about to load ("load") or run on an event ("run"), so a
    watchdog outside Python can name a file that never returns.
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
        listed = {entry.url: (index, entry.sha256) for index, entry in reversed(list(enumerate(settings.transform)))}
        for url, text in transform_sources:
            index, pin = listed.get(url, (None, None))
            index = entry_index(raw_env, index)  # as the site numbered it, before the page dropped refused entries
            if index is None or _origin(url) not in env.origins:
                reason = "not from the page's or the bundle's origin"
                notes.append(Log("warn", f"{entry_name(index, url)} refused: {reason}"))
            elif pin is not None and not pin_matches(pin, text):
                reason = "its SHA-256 does not match the sha256 pinned in the transform setting"
                notes.append(Log("warn", f"{entry_name(index, url)} refused: {reason}; skipped"))
            else:
                allowed.append((url, text.removeprefix("\ufeff")))  # the pin covered the byte-order mark
        chain = TransformChain(
            allowed,
            errors="drop" if settings.transform_errors == "drop" else "send",
            slow_ms=settings.transform_slow_ms,
            on_enter=None if on_transform is None else lambda name: on_transform(name, "run"),
            on_load=None if on_transform is None else lambda name: on_transform(name, "load"),
        )
    return Bridge(settings, env, clock, transforms=chain), notes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
