"""The Intercom session: whether one is booted, what Intercom holds for it, who it is about, and what the page's
`window.intercomSettings` mirrors.

Boot happens once per session, with the data of the first call that needs Intercom; after that only what Intercom
does not hold yet is sent, through the update queue. Ending a session is Intercom's `shutdown` and forgetting
everything about its user here too, so nothing later is merged into them. A logout (`reset`) boots a fresh visitor
at once, so the Messenger stays usable, which the CDP integrations never do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from py_bridge.core.commands import (
    Command,
    ForgetIntercom,
    IntercomCall,
    Listen,
    Log,
    MessengerEvent,
    SetIntercomSettings,
)
from py_bridge.core.credentials import CREDENTIAL_KEYS
from py_bridge.core.destinations.intercom.mapping import MESSENGER_SETTINGS, PER_CALL_SETTINGS
from py_bridge.core.destinations.intercom.settings import IntercomSettings
from py_bridge.core.destinations.intercom.stats import Stats
from py_bridge.core.destinations.intercom.throttle import UpdateBudget
from py_bridge.core.destinations.intercom.updates import UpdateQueue

__all__ = ["LOCKED_SETTINGS", "MIRRORED_KEYS", "NativeSession", "Session"]

MIRRORED_KEYS: Final = ("user_id", "email", *CREDENTIAL_KEYS)
# Messenger settings only the bridge settings set: never taken from call data, whatever the mapping returned.
LOCKED_SETTINGS: Final = MESSENGER_SETTINGS - PER_CALL_SETTINGS


@dataclass(frozen=True)
class NativeSession:
    """A session the page's own Intercom install booted before the bridge started (who it is, if the page said)."""

    user_id: str | None = None
    email: str | None = None


class Session:
    """One Intercom session and its user, and the only place that boots, updates, ends or mirrors it."""

    def __init__(
        self,
        settings: IntercomSettings,
        *,
        clock: Callable[[], float],
        budget: UpdateBudget,
        stats: Stats,
        listeners: set[MessengerEvent],
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.listeners = listeners  # Messenger events the page listens to: registered again after every boot
        self.booted = False
        self.user_id: str | None = None
        self.email: str | None = None
        self.company: dict[str, Any] | None = None  # set by group(); follows the user into later identifies
        self.sent: dict[str, Any] = {}  # what Intercom holds for this session, key by key
        self.mirrored: dict[str, Any] | None = None  # what window.intercomSettings holds, as last set
        self.fresh_visitor = False  # booted by reset() and untouched since: another reset has nothing to end
        self.updates = UpdateQueue(clock, budget, stats, self._sent)

    def preset(self) -> SetIntercomSettings:
        """Before the Messenger script loads: intercomSettings holds the Messenger settings, as Intercom's install
        has it (the loader reads them when it starts)."""
        self.mirrored = self.settings.messenger_settings()
        return SetIntercomSettings(self.mirrored)

    def continue_native(self, native: NativeSession) -> None:
        """The page's own install already booted (or queued a boot): a second boot would start a new session, so
        this one is continued with updates; another user than the page's still means shutdown + boot."""
        self.booted = True
        self.user_id = native.user_id
        self.email = native.email
        self.sent = {k: v for k, v in (("user_id", native.user_id), ("email", native.email)) if v is not None}

    def boot(self, data: dict[str, Any]) -> list[Command]:
        """Boot with the Messenger settings and `data` (the first call's); Intercom then holds `data`."""
        data = self._unlocked(data)
        payload = {**self.settings.messenger_settings(), **data}
        self.booted = True
        self.sent = dict(data)
        self.updates.clear()
        self.stats.boots += 1
        # Intercom drops onShow/onHide/onUnreadCountChange on shutdown: register them again after every boot.
        return [IntercomCall("boot", (payload,)), *self.mirror(), *(Listen(e) for e in sorted(self.listeners))]

    def booted_first(self) -> list[Command]:
        """A call that needs a session (an event, an opened Messenger): boot a visitor unless one is booted."""
        return [] if self.booted else self.boot({})

    def boot_or_update(self, data: dict[str, Any] | None, force: tuple[str, ...] = ()) -> list[Command]:
        """The first call that carries data boots the session with it; later ones update it."""
        if not self.booted:
            return self.boot(data or {})
        return self.update(data, force)

    def update(self, data: dict[str, Any] | None, force: tuple[str, ...] = ()) -> list[Command]:
        """Send what of `data` Intercom does not hold (None: a page view's update), through the update queue."""
        return self.updates.update(None if data is None else self._unlocked(data), self.sent, force)

    def flush(self, available: bool) -> list[Command]:
        """Send the pending update, if there is a session and an `available` Messenger to send it to."""
        if not self.booted or not available:
            return []
        return self.updates.flush()

    def end(self) -> list[Command]:
        """Shut the Intercom session down (if one is booted) and forget user, traits, company and pending data."""
        commands: list[Command] = [IntercomCall("shutdown")] if self.booted else []
        self._forget()
        return [*commands, *self.mirror()]

    def withdraw(self) -> list[Command]:
        """Consent withdrawn: end the session and have the page forget Intercom (intercomSettings' app_id and
        identity, the Messenger's cookies). Unlike end() nothing is mirrored: an app_id left in intercomSettings
        would let Intercom's loader boot again on the next Turbo/Turbolinks load."""
        commands: list[Command] = [IntercomCall("shutdown")] if self.booted else []
        self._forget()
        self.mirrored = None  # a later grant's boot writes intercomSettings again
        return [*commands, self.forget_command()]

    def forget_command(self) -> ForgetIntercom:
        """What the page removes so that nothing of Intercom's stays: also sent on a plain refusal, which must not
        keep the cookies an earlier, consented visit left (the page half applies the same at once, by itself)."""
        return ForgetIntercom(self.settings.app_id, ("app_id", *MIRRORED_KEYS))

    def reset(self) -> list[Command]:
        """Logout: end the session, forget the user, and boot a fresh visitor (the CDPs leave the Messenger dead).

        Repeated resets coalesce: while the session is the visitor the last reset booted and nothing has touched it
        since, there is no one to log out, so nothing is sent (a loop of resets must not become a loop of boots).
        """
        if self.booted and self.fresh_visitor:
            return [Log("debug", "reset: the session is already a fresh visitor nothing has touched; nothing sent")]
        commands = [*self.end(), *self.boot({})]
        self.fresh_visitor = True
        return commands

    def mirror(self) -> list[Command]:
        """Keep `window.intercomSettings` holding who the session is.

        Intercom's loader boots from intercomSettings on its own: when its frame starts with no `boot` queued, and
        again after every Turbo/Turbolinks visit. Holding the session's identity and credential there makes such a
        boot the same verified user (after a logout, the visitor), never an anonymous stranger or the previous user.
        """
        identity = {key: self.sent[key] for key in MIRRORED_KEYS if self.sent.get(key) is not None}
        settings = {**self.settings.messenger_settings(), **identity}
        if settings == self.mirrored:
            return []
        self.mirrored = settings
        return [SetIntercomSettings(settings)]

    def _sent(self, payload: dict[str, Any]) -> list[Command]:
        """The update queue sent `payload`: Intercom holds it now, and the page mirrors who the session is."""
        self.sent.update(payload)
        return [IntercomCall("update", (payload,) if payload else ()), *self.mirror()]

    def _forget(self) -> None:
        self.booted = False
        self.user_id = None
        self.email = None
        self.sent = {}
        self.updates.clear()
        self.company = None
        self.fresh_visitor = False

    @staticmethod
    def _unlocked(data: dict[str, Any]) -> dict[str, Any]:
        """Call data without the Messenger settings only the bridge settings may set (app_id, api_base, ...)."""
        return {k: v for k, v in data.items() if k not in LOCKED_SETTINGS}
