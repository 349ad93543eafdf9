"""The bridge: one object that receives what the page sends and returns the commands to apply.

Both transports drive this same object: the embed's worker (page -> postMessage -> worker) and the PyScript entry
(Python in the page). It owns settings, consent, the pipeline and the destination, and it never raises: every
failure becomes a `[py-bridge]` log command.

Its parts live beside it: consent.py (the gate, and what an answer changes), page_user.py (`pybridge.user()`),
handover.py (the state a restarted worker goes on from), log_filter.py (what reaches the console), and the
destination's package (everything Intercom).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from py_bridge.core.commands import Callback, Command, Emit, Export, Log, Ready, WatchPages
from py_bridge.core.consent import ConsentGate
from py_bridge.core.destinations.intercom import IntercomDestination
from py_bridge.core.destinations.intercom.session import NativeSession
from py_bridge.core.errors import ConfigError, describe_value
from py_bridge.core.events import normalise
from py_bridge.core.handover import read_state, unusable, write_state
from py_bridge.core.log_filter import LogFilter
from py_bridge.core.notes import Notes
from py_bridge.core.page_user import PageUser, User
from py_bridge.core.pipeline import Middleware, Pipeline, event_filter
from py_bridge.core.settings import BridgeSettings, parse_settings
from py_bridge.core.spec import spec_record
from py_bridge.core.trace import Tracer
from py_bridge.core.transform import TransformChain
from py_bridge.core.transform_files import entry_index, entry_name, pin_matches

__all__ = ["Bridge", "Environment", "PageClock", "start_bridge"]

MESSENGER_EVENTS: Final = {"show": "Messenger Opened", "hide": "Messenger Closed"}


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
    """The facade both entries drive: it routes each item from the page (a call, a control, a consent answer, a
    signal) through consent and the pipeline to the destination, and turns the parts' answers into commands."""

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
        self.consent.respect(self.page_consent)
        self.ready_sent = False
        self.calls_handled = 0
        self.log_filter = LogFilter()
        self.tracer = Tracer(settings.debug, to_record=spec_record)
        self.page_user = PageUser()  # for the page's read-only pybridge.user()
        self._transforms_fresh = True  # no event has run through the transformations since they were (re)loaded

    @property
    def user(self) -> User:
        """What the page's read-only pybridge.user() shows: the user id and the traits."""
        return self.page_user.current

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
            if self.page_user.another_person(event):
                commands += self._start_transforms_afresh()
            self.calls_handled += 1
            self.tracer.record(event)
            commands += self.pipeline.run(event)
            if event.type != "reset":  # a reset never reaches the transformations (it has no spec shape)
                self._transforms_fresh = False
            commands += self._transform_reports()
            commands += self.page_user.follow(event)
        commands = self.tracer.trace(item, commands)
        callback_id = _callback_id(item.get("args"))
        # analytics.js: the callback runs once the call has been handled, whatever became of it.
        return [*commands, Callback(callback_id)] if callback_id is not None else commands

    # -- a restarted worker (the JSON and its checks: handover.py) --------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The session as plain JSON, for the page to hand a worker that replaces this one (`resume`).

        Cheap enough to take after every message (the worker sends it only when it changed). The transformations'
        module state is not in it: a new worker loads the files afresh and never runs them over past calls.
        """
        return write_state(
            ready_sent=self.ready_sent,
            calls_handled=self.calls_handled,
            user=self.user,
            debug=self.tracer.enabled,
            consent=self.consent,
            intercom=self.intercom.export_state(),
        )

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
        self.consent.respect(self.page_consent)
        if self.page_ready is not None:
            self.ready_sent = self.page_ready  # the page knows whether ready() ran; a saved state may not
        if widget in ("loaded", "late", "failed"):
            self.intercom.widget = str(widget)
        commands: list[Command] = [*self._transform_reports(), *unusable(problems)]
        if self.consent.open and self.intercom.widget == "idle":
            commands += self.intercom.load()  # the old worker never loaded the Messenger: load it now
        commands += self.intercom.resumed()
        commands += self._maybe_ready()
        return self._finish(commands)

    def _restore(self, state: Any, problems: list[str]) -> None:
        saved = read_state(state, problems, debug=self.tracer.enabled, consent=self.consent)
        if saved is None:
            self.ready_sent = True  # the old worker's Ready, if any, was applied: never fire it twice
            return
        self.intercom.restore_state(saved.intercom)
        self.ready_sent = saved.ready_sent
        self.calls_handled = saved.calls_handled
        self.tracer.enabled = saved.debug
        self.page_user.current = saved.user
        self.consent.restore(saved.consent, saved.held)
        latest = self.intercom.latest_charge()
        if latest is not None and self.intercom.clock is self.page_clock:
            self.page_clock.observe(latest * 1000)  # the new worker's clock never reads before the last charge

    def _transform_reports(self) -> list[Command]:
        """What the transformations said: load failures and user tracebacks as warnings, their steps for debug."""
        if self.transforms is None:
            return []
        reports: list[Command] = [Log(m.level, m.text) for m in self.transforms.take_messages()]
        return reports + [Log("debug", step) for step in self.transforms.take_steps()]

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
        """What the page's answer does (the gate says what it changed, see ConsentGate.take)."""
        answer = self.consent.take(granted, anonymous_id)
        if answer.change == "withdrawn":
            # Withdrawn mid-session: end the session and forget the user (and anything pending for them, even
            # when nothing was booted yet), and have the page forget Intercom (intercomSettings, its cookies)
            # so its loader cannot boot again; nothing more is sent until consent is given again.
            booted = self.intercom.booted
            ended = self.intercom.withdraw()
            said = "Intercom session shut down" if booted else "nothing more is sent to Intercom"
            forgotten = self.page_user.forget()
            afresh = self._start_transforms_afresh()
            return [*ended, *forgotten, *afresh, Log("info", f"consent withdrawn: {said}")]
        if answer.change == "refused":
            refused = Log("info", f"consent refused: {answer.dropped} held calls dropped, Intercom not loaded")
            return [self.intercom.forget_command(), refused]
        if answer.change == "none":
            return []
        commands = self.intercom.load()
        for item in answer.held:
            commands += self._dispatch(item)
        return [*commands, *self.intercom.settle(), *self._maybe_ready()]

    def _maybe_ready(self) -> list[Command]:
        settled = self.intercom.widget in ("loaded", "late", "failed") or not self.consent.open
        if self.ready_sent or not settled:
            return []
        self.ready_sent = True
        return [Ready()]

    def _finish(self, commands: list[Command]) -> list[Command]:
        return self.log_filter(commands, debug=self.tracer.enabled)


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
