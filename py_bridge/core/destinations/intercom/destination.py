"""The Intercom destination: the one face the pipeline and the bridge see, around the pure mapping (mapping.py).

It follows the Messenger's loading on the page (idle -> loading -> loaded | failed, or loading -> late -> loaded |
failed) and routes each call to the part that knows about it:

    session.py    the Intercom session: booted, what Intercom holds, boot/update/end/reset, the mirrored settings
    updates.py    the update queue inside the session: pending data, the update budget, the flush timer
    identify.py   identify() and group(): switches of person, identity verification's hold-back, the company
    controls.py   the Messenger controls the page may call (show, showSpace, ...), checked
    late.py       the calls and listeners kept for a Messenger that starts after widget_timeout_ms
    handover.py   the session as plain JSON for a restarted worker, and back

Like every destination it returns commands (py_bridge/core/commands.py) and never performs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from py_bridge.core.commands import Command, ForgetIntercom, IntercomCall, Listen, LoadWidget, Log, MessengerEvent
from py_bridge.core.credentials import redact_deep
from py_bridge.core.destinations.intercom.controls import SPACES, control_call
from py_bridge.core.destinations.intercom.handover import export_session, restore_session
from py_bridge.core.destinations.intercom.identify import Identification
from py_bridge.core.destinations.intercom.late import LateMessenger
from py_bridge.core.destinations.intercom.mapping import event_payload
from py_bridge.core.destinations.intercom.session import MIRRORED_KEYS, NativeSession, Session
from py_bridge.core.destinations.intercom.settings import IntercomSettings
from py_bridge.core.destinations.intercom.stats import Stats
from py_bridge.core.destinations.intercom.throttle import UpdateBudget
from py_bridge.core.events import Event
from py_bridge.core.notes import Notes
from py_bridge.core.saved_state import Fields

__all__ = ["MIRRORED_KEYS", "SPACES", "IntercomDestination", "NativeSession", "Stats", "redact"]


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy safe for logs: identity-verification values replaced, in any spelling and at any depth."""
    safe: dict[str, Any] = redact_deep(payload)
    return safe


class IntercomDestination:
    """The Messenger's loading, and each call handed to the session's parts; the Messenger must be there
    (loading or loaded) for anything to be sent, and while it is late calls wait for it."""

    name = "Intercom"

    def __init__(
        self,
        settings: IntercomSettings,
        *,
        clock: Callable[[], float],
        native: bool = False,
        native_session: NativeSession | None = None,
        budget: UpdateBudget | None = None,
        messenger_events: bool = False,
        late_limit: int = 10_000,
    ) -> None:
        self.settings = settings
        self.native = native
        self.native_session = native_session
        self.widget = "idle"  # idle -> loading -> loaded | failed, or loading -> late -> loaded | failed
        self.stats = Stats()
        listeners: set[MessengerEvent] = {"show", "hide"} if messenger_events else set()
        self.session = Session(
            settings, clock=clock, budget=budget or UpdateBudget(), stats=self.stats, listeners=listeners
        )
        self.identification = Identification(settings, self.session)
        self.waiting = LateMessenger(late_limit)

    # -- the parts' state, as the bridge, the tests and the benchmarks read it --------------------------------------
    @property
    def available(self) -> bool:
        return self.widget in ("loading", "loaded")

    @property
    def clock(self) -> Callable[[], float]:
        return self.session.updates.clock

    @property
    def budget(self) -> UpdateBudget:
        return self.session.updates.budget

    @property
    def pending(self) -> dict[str, Any]:
        return self.session.updates.pending

    @property
    def booted(self) -> bool:
        return self.session.booted

    @property
    def user_id(self) -> str | None:
        return self.session.user_id

    @property
    def email(self) -> str | None:
        return self.session.email

    @property
    def company(self) -> dict[str, Any] | None:
        return self.session.company

    @property
    def sent(self) -> dict[str, Any]:
        return self.session.sent

    @property
    def mirrored(self) -> dict[str, Any] | None:
        return self.session.mirrored

    @property
    def listeners(self) -> set[MessengerEvent]:
        return self.session.listeners

    @property
    def late(self) -> list[Event]:
        return self.waiting.kept

    # -- loading ------------------------------------------------------------------------------------------------
    def load(self) -> list[Command]:
        if self.widget != "idle":
            return []
        if self.native:
            self.widget = "loaded"
            said = "a native Intercom install is already on this page; reusing it (the widget is not loaded twice)"
            if self.native_session is None:
                return [Log("warn", said)]
            self.session.continue_native(self.native_session)
            return [Log("warn", f"{said}; its booted session is updated, not booted again")]
        self.widget = "loading"
        return [self.session.preset(), LoadWidget(self.settings.widget_src)]

    def settle(self) -> list[Command]:
        """Nothing booted the Messenger during the replayed queue: boot the visitor so the Messenger shows."""
        return self.session.booted_first() if self.available else []

    def signal(self, name: str, data: dict[str, Any]) -> list[Command]:
        status = data.get("status")
        if name == "widget" and self.widget == "loading":
            if status == "loaded":
                self.widget = "loaded"
                return [Log("debug", "Intercom Messenger script loaded")]
            if status == "late":
                # widget_timeout_ms passed while the script may still be on its way (a slow link): the page keeps
                # watching, and calls are kept for the Messenger rather than lost.
                self.widget = "late"
                return [
                    Log(
                        "warn",
                        f"the Intercom Messenger has not started yet ({str(data.get('reason', 'unknown'))[:160]}); "
                        "calls are kept and sent to it if it starts within 2 minutes",
                    )
                ]
            return self._failed(str(data.get("reason", "unknown")))
        if name == "widget" and self.widget == "late":
            if status == "loaded":
                return self._started_late()
            if status == "failed":
                return self._failed(str(data.get("reason", "unknown")))
        if name == "tick":
            return self.resumed()  # the flush timer fired
        return []

    def _failed(self, reason: str) -> list[Command]:
        """No Messenger (blocked, refused, or no start within the late window): what was kept for it is dropped."""
        kept = self.waiting.failed()
        self.widget = "failed"
        self.session.updates.clear()
        dropped = f"; {kept} call(s) kept for it were dropped" if kept else ""
        return [
            Log(
                "warn",
                f"the Intercom Messenger could not load ({reason[:160]}){dropped}; calls are still accepted but not "
                "sent to Intercom",
            )
        ]

    def _started_late(self) -> list[Command]:
        """The Messenger started after widget_timeout_ms: the calls made meanwhile go to it, in order, as if it had
        been there (a user switch among them is still a shutdown and a boot), then any pending update."""
        self.widget = "loaded"
        commands, kept = self.waiting.started(self.session.booted)
        for event in kept:
            commands += self.handle(event)
        commands += self.session.flush(self.available)
        said = f"; {len(kept)} call(s) made while waiting for it were sent" if kept else ""
        return [*commands, Log("info", f"the Intercom Messenger started late{said}")]

    # -- events -------------------------------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Command]:
        if event.type in ("alias", "screen"):
            return [Log("debug", f"{event.type} has no Intercom equivalent; not sent")]
        if event.skips_destination(self.name):
            return [Log("debug", f"{event.type} not sent: options.integrations turned Intercom off for this call")]
        if self.widget == "late":
            return self.waiting.keep(event)
        if not self.available:
            self.stats.dropped_unavailable += 1
            return [Log("debug", f"{event.type} not sent: the Intercom Messenger is unavailable")]
        if event.type != "reset":
            self.session.fresh_visitor = False
        notes = Notes()
        if event.type == "page":
            commands = self.session.boot_or_update(None)
        elif event.type == "identify":
            commands = self.identification.identify(event, notes)
        elif event.type == "track":
            commands = self._track(event, notes)
        elif event.type == "group":
            commands = self.identification.group(event, notes)
        else:
            commands = self.session.reset()
        return [*(Log("warn", n) for n in notes), *commands]

    def _track(self, event: Event, notes: Notes) -> list[Command]:
        mapped = event_payload(event, self.settings, notes)
        if mapped is None:
            return []
        name, metadata = mapped
        commands = self.session.booted_first()
        self.stats.events_sent += 1
        args: tuple[Any, ...] = (name, metadata) if metadata else (name,)
        return [*commands, IntercomCall("trackEvent", args)]

    # -- the session's end, for the bridge (consent) --------------------------------------------------------------
    def end_session(self) -> list[Command]:
        """Shut the Intercom session down (if one is booted) and forget user, traits, company and pending data."""
        return self.session.end()

    def withdraw(self) -> list[Command]:
        """Consent withdrawn: end the session and have the page forget Intercom (see `Session.withdraw`)."""
        return self.session.withdraw()

    def forget_command(self) -> ForgetIntercom:
        """What the page removes so that nothing of Intercom's stays (see `Session.forget_command`)."""
        return self.session.forget_command()

    def reset(self) -> list[Command]:
        """Logout: end the session and boot a fresh visitor; repeated resets coalesce (see `Session.reset`)."""
        return self.session.reset()

    # -- Messenger controls -------------------------------------------------------------------------------------
    def control(self, method: str, args: list[Any]) -> list[Command]:
        if not self.available:
            return [Log("warn", f"intercom.{method}() ignored: the Intercom Messenger is unavailable")]
        call = control_call(method, args)
        if isinstance(call, str):
            return [Log("warn", call)]
        self.session.fresh_visitor = False  # an opened Messenger can start a conversation: no longer fresh
        return [*self.session.booted_first(), call]

    def listen(self, event: MessengerEvent) -> list[Command]:
        if event in self.session.listeners:
            return []
        self.session.listeners.add(event)
        if self.widget == "late":
            self.waiting.unregistered.add(event)  # registered when the Messenger starts
            return []
        return [Listen(event)] if self.session.booted else []

    # -- a restarted worker ---------------------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """The session as plain JSON, for a worker that replaces this one (see `Bridge.state` and handover.py)."""
        return export_session(self.widget, self.session)

    def restore_state(self, data: Fields) -> None:
        """Take over an exported session; each field is checked (`data` notes the bad ones) before anything is
        set. A scheduled flush died with the old worker: `resumed()` sends or schedules the pending update again."""
        self.widget = restore_session(data, self.widget, self.session)

    def resumed(self) -> list[Command]:
        """The flush timer is gone (it fired, or died with the old worker): the pending update is sent, or
        scheduled again."""
        self.session.updates.timer_gone()
        return self.session.flush(self.available)

    def latest_charge(self) -> float | None:
        return self.session.updates.latest_charge()
