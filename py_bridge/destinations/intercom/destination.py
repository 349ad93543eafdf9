"""The Intercom destination: session state (booted, who, what Intercom already holds) around the pure mapping.

Boot happens once per session, with the data of the first call that needs Intercom. Identity changes are handled
the way Intercom documents (shutdown, then boot the new user), which the CDP integrations never do after a logout.
Updates go through the budget so nothing carrying data is lost to Intercom's throttle.

With identity_verification, an identify that introduces a user without its credential is held back. When that user
is someone other than the one the session holds, the session is also ended and a fresh visitor booted: the page has
said the person changed, so the previous user's conversations must not stay on screen and no later call may be
attributed to them. A visitor (rather than holding every call) keeps the Messenger usable and loses nothing; when
the signed identify arrives the visitor becomes that user by an ordinary update.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from py_bridge.commands import (
    Command,
    ForgetIntercom,
    IntercomCall,
    Listen,
    LoadWidget,
    Log,
    MessengerEvent,
    Schedule,
    SetIntercomSettings,
)
from py_bridge.credentials import CREDENTIAL_KEYS, redact_deep
from py_bridge.destinations.intercom.mapping import (
    MESSENGER_SETTINGS,
    PER_CALL_SETTINGS,
    company_payload,
    credentials,
    event_payload,
    user_payload,
)
from py_bridge.destinations.intercom.settings import IntercomSettings
from py_bridge.destinations.intercom.throttle import UpdateBudget
from py_bridge.events import Event
from py_bridge.notes import Notes
from py_bridge.saved_state import Fields

__all__ = ["SPACES", "IntercomDestination", "NativeSession", "Stats", "redact"]

SPACES: Final = frozenset({"home", "messages", "help", "news", "tasks", "tickets"})
MIRRORED_KEYS: Final = ("user_id", "email", *CREDENTIAL_KEYS)
# Messenger settings only the bridge settings set: never taken from call data, whatever the mapping returned.
LOCKED_SETTINGS: Final = MESSENGER_SETTINGS - PER_CALL_SETTINGS
MAX_MESSAGE: Final = 1000
WIDGET_STATES: Final = ("idle", "loading", "late", "loaded", "failed")
LISTENABLE: Final[tuple[MessengerEvent, ...]] = ("show", "hide", "unread")
MAX_AHEAD_S: Final = 24 * 3600  # a saved budget charge later than this past the clock is not one this page made
_MISSING: Final = object()
_ID_RE: Final = re.compile(r"\d{1,18}")


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy safe for logs: identity-verification values replaced, in any spelling and at any depth."""
    safe: dict[str, Any] = redact_deep(payload)
    return safe


@dataclass(frozen=True)
class NativeSession:
    """A session the page's own Intercom install booted before the bridge started (who it is, if the page said)."""

    user_id: str | None = None
    email: str | None = None


@dataclass
class Stats:
    """Counters reported in debug logs and read by tests and benchmarks."""

    boots: int = 0
    updates_sent: int = 0
    page_updates_skipped: int = 0
    updates_deferred: int = 0
    events_sent: int = 0
    dropped_unavailable: int = 0
    held_back: int = 0


class IntercomDestination:
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
        self.clock = clock
        self.native = native
        self.native_session = native_session
        self.budget = budget or UpdateBudget()
        self.widget = "idle"  # idle -> loading -> loaded | failed, or loading -> late -> loaded | failed
        self.booted = False
        self.user_id: str | None = None
        self.email: str | None = None
        self.sent: dict[str, Any] = {}  # what Intercom holds for this session, key by key
        self.pending: dict[str, Any] = {}  # data waiting for update budget; newest value per key wins
        self.company: dict[str, Any] | None = None
        self.listeners: set[MessengerEvent] = {"show", "hide"} if messenger_events else set()
        self.flush_scheduled = False
        self.fresh_visitor = False  # booted by reset() and untouched since: another reset has nothing to end
        self.stats = Stats()
        self.mirrored: dict[str, Any] | None = None  # what window.intercomSettings holds, as last set
        # Events that came while the page waited for a Messenger that missed widget_timeout_ms ("late"): sent, in
        # order, if it starts after all; bounded like the pre-start queue (max_queue).
        self.late: list[Event] = []
        self.late_limit = late_limit
        self.late_dropped = 0
        self.unregistered: set[MessengerEvent] = set()  # listeners asked for while waiting for a late Messenger

    # -- loading ------------------------------------------------------------------------------------------------
    def load(self) -> list[Command]:
        if self.widget != "idle":
            return []
        if self.native:
            self.widget = "loaded"
            said = "a native Intercom install is already on this page; reusing it (the widget is not loaded twice)"
            session = self.native_session
            if session is None:
                return [Log("warn", said)]
            # The page's own install already booted (or queued a boot): a second boot would start a new session,
            # so this one is continued with updates; another user than the page's still means shutdown + boot.
            self.booted = True
            self.user_id = session.user_id
            self.email = session.email
            self.sent = {k: v for k, v in (("user_id", session.user_id), ("email", session.email)) if v is not None}
            return [Log("warn", f"{said}; its booted session is updated, not booted again")]
        self.widget = "loading"
        self.mirrored = self.settings.messenger_settings()
        return [SetIntercomSettings(self.mirrored), LoadWidget(self.settings.widget_src)]

    @property
    def available(self) -> bool:
        return self.widget in ("loading", "loaded")

    def settle(self) -> list[Command]:
        """Nothing booted the Messenger during the replayed queue: boot the visitor so the Messenger shows."""
        return [] if self.booted or not self.available else self._boot({})

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
            self.flush_scheduled = False
            return self._flush()
        return []

    def _failed(self, reason: str) -> list[Command]:
        """No Messenger (blocked, refused, or no start within the late window): what was kept for it is dropped."""
        kept = len(self.late) + self.late_dropped
        self.widget = "failed"
        self.pending.clear()
        self.late.clear()
        self.late_dropped = 0
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
        kept, self.late = self.late, []
        commands: list[Command] = []
        if self.booted:
            # Listeners asked for while waiting were never registered with the Messenger.
            commands += [Listen(e) for e in sorted(self.unregistered)]
        self.unregistered = set()
        for event in kept:
            commands += self.handle(event)
        commands += self._flush()
        said = f"; {len(kept)} call(s) made while waiting for it were sent" if kept else ""
        return [*commands, Log("info", f"the Intercom Messenger started late{said}")]

    # -- events -------------------------------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Command]:
        if event.type in ("alias", "screen"):
            return [Log("debug", f"{event.type} has no Intercom equivalent; not sent")]
        if event.skips_destination(self.name):
            return [Log("debug", f"{event.type} not sent: options.integrations turned Intercom off for this call")]
        if self.widget == "late":
            return self._keep_for_late_messenger(event)
        if not self.available:
            self.stats.dropped_unavailable += 1
            return [Log("debug", f"{event.type} not sent: the Intercom Messenger is unavailable")]
        if event.type != "reset":
            self.fresh_visitor = False
        notes = Notes()
        if event.type == "page":
            commands = self._boot({}) if not self.booted else self._update(None)
        elif event.type == "identify":
            commands = self._identify(event, notes)
        elif event.type == "track":
            commands = self._track(event, notes)
        elif event.type == "group":
            commands = self._group(event, notes)
        else:
            commands = self.reset()
        return [*(Log("warn", n) for n in notes), *commands]

    def _keep_for_late_messenger(self, event: Event) -> list[Command]:
        if len(self.late) < self.late_limit:
            self.late.append(event)
            return [Log("debug", f"{event.type} kept until the Intercom Messenger starts")]
        self.late_dropped += 1
        if self.late_dropped > 1:
            return []
        return [
            Log(
                "warn",
                f"the queue for the late Messenger is full ({self.late_limit} calls, setting max_queue); further "
                "calls are dropped until it starts",
            )
        ]

    def _identify(self, event: Event, notes: Notes) -> list[Command]:
        data = user_payload(event, self.settings, notes)
        creds = credentials(event.options)
        for key in sorted(PER_CALL_SETTINGS):  # hide_default_launcher, language_override from options only
            value = creds.pop(key, None)
            if value is not None:
                data[key] = value
        # analytics.js keeps the current userId for identify() without one: such a call is about the known user
        # (an email change included), never a new identity (nor the anonymous id of send_anonymous_id).
        known_user = event.user_id is None and self.user_id is not None
        if known_user:
            data.pop("user_id", None)
        user_id = self.user_id if known_user else data.get("user_id")
        email = data.get("email")
        is_switch = bool(
            (user_id and self.user_id and user_id != self.user_id)
            or (not user_id and not self.user_id and email and self.email and email != self.email)
        )
        new_identity = bool(user_id and user_id != self.user_id) or bool(not user_id and email and email != self.email)
        needed = self.settings.identity_verification
        credential = "intercom_user_jwt" if needed == "jwt" else "user_hash"
        if new_identity and needed and credential not in creds:
            return self._hold_back(user_id, email, credential)
        force: tuple[str, ...] = ()
        if not new_identity:
            for key in CREDENTIAL_KEYS:
                if key in creds and creds[key] == self.sent.get(key):
                    creds.pop(key)  # this session already carries it; do not resend
            if creds:
                # A credential new to this session (e.g. the hash arrives after a refused identify): resend the
                # identity with it, even though Intercom already "holds" the same user_id.
                force = (*CREDENTIAL_KEYS, "user_id", "email")
                if self.user_id:
                    data.setdefault("user_id", self.user_id)
            elif known_user and needed and email and email != self.email:
                # The verified user's new email: an update of that user, carrying the session's identity and
                # credential so it is applied to the verified user (the hash signs the user_id, not the email).
                if credential not in self.sent:
                    return self._hold_back(user_id, email, credential)
                data["user_id"] = self.user_id
                data[credential] = self.sent[credential]
                force = ("user_id", credential)
        commands: list[Command] = []
        if is_switch and self.booted:
            # Another user on this page: Intercom documents shutdown + boot; an update would merge two people.
            commands += [*self.end_session(), Log("debug", "identity changed: shutdown, then boot the new user")]
        if isinstance(data.get("company"), dict):
            self.company = data["company"]
        elif self.company and "companies" not in data:
            data["company"] = self.company  # group() before identify(): the company follows the user
        if user_id:
            self.user_id = str(user_id)
        if email:
            self.email = str(email)
        payload = {**data, **creds}
        if not self.booted:
            return [*commands, *self._boot(payload)]
        return self._update(payload, force=force)

    def _hold_back(self, user_id: Any, email: Any, credential: str) -> list[Command]:
        """An identify whose credential is missing: not sent. If it names someone other than the session's user,
        that session ends and a visitor is booted, so nothing later is attributed to the previous user."""
        self.stats.held_back += 1
        who = f"user {user_id!r}" if user_id else "an email-only user"
        warning = Log(
            "warn",
            f"identify for {who} held back: identity_verification is {self.settings.identity_verification!r} but "
            f"options.integrations.Intercom.{credential} is missing; compute it on your server and pass it to "
            "identify()",
        )
        someone_else = bool(self.user_id and user_id != self.user_id) or bool(
            not self.user_id and self.email and email != self.email
        )
        if not (self.booted and someone_else):
            return [warning]
        ended = self.end_session()
        return [
            *ended,
            *self._boot({}),
            warning,
            Log("info", "the previous user's Intercom session was ended; a visitor continues until a signed identify"),
        ]

    def _track(self, event: Event, notes: Notes) -> list[Command]:
        mapped = event_payload(event, self.settings, notes)
        if mapped is None:
            return []
        name, metadata = mapped
        commands = [] if self.booted else self._boot({})
        self.stats.events_sent += 1
        args: tuple[Any, ...] = (name, metadata) if metadata else (name,)
        return [*commands, IntercomCall("trackEvent", args)]

    def _group(self, event: Event, notes: Notes) -> list[Command]:
        if event.group_id is None:
            notes.warn("group: a groupId is required (Intercom needs a company id); call dropped")
            return []
        company = company_payload(event.traits, notes, nested=self.settings.nested, company_id=event.group_id)
        if company is None:
            return []
        self.company = company
        if not self.booted:
            return self._boot({"company": company})
        return self._update({"company": company})

    def end_session(self) -> list[Command]:
        """Shut the Intercom session down (if one is booted) and forget user, traits, company and pending data."""
        commands: list[Command] = [IntercomCall("shutdown")] if self.booted else []
        self._forget()
        return [*commands, *self._mirror()]

    def withdraw(self) -> list[Command]:
        """Consent withdrawn: end the session and have the page forget Intercom (intercomSettings' app_id and
        identity, the Messenger's cookies). Unlike end_session nothing is mirrored: an app_id left in
        intercomSettings would let Intercom's loader boot again on the next Turbo/Turbolinks load."""
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
        commands = [*self.end_session(), *self._boot({})]
        self.fresh_visitor = True
        return commands

    # -- Messenger controls -------------------------------------------------------------------------------------
    def control(self, method: str, args: list[Any]) -> list[Command]:
        if not self.available:
            return [Log("warn", f"intercom.{method}() ignored: the Intercom Messenger is unavailable")]
        call = self._control_call(method, args)
        if isinstance(call, str):
            return [Log("warn", call)]
        self.fresh_visitor = False  # an opened Messenger can start a conversation: the visitor is no longer fresh
        return [*([] if self.booted else self._boot({})), call]

    def _control_call(self, method: str, args: list[Any]) -> IntercomCall | str:
        first = args[0] if args else None
        if method in ("show", "hide", "showMessages"):
            return IntercomCall(method)
        if method == "showNewMessage":
            if first is None:
                return IntercomCall(method)
            if not isinstance(first, str):
                return "intercom.showNewMessage(text): text must be a string; ignored"
            return IntercomCall(method, (first[:MAX_MESSAGE],))
        if method == "showSpace":
            if first not in SPACES:
                names = ", ".join(sorted(SPACES))
                return f"intercom.showSpace(name): name must be one of {names} (received: {str(first)[:40]!r}); ignored"
            return IntercomCall(method, (first,))
        if method in ("showArticle", "startTour", "startSurvey"):
            text = str(first) if isinstance(first, int | str) and not isinstance(first, bool) else ""
            if not _ID_RE.fullmatch(text.strip()):
                shown = str(first)[:40]
                return f"intercom.{method}(id): id must be a positive whole number (received: {shown!r}); ignored"
            return IntercomCall(method, (int(text),))
        return f"intercom.{str(method)[:40]}() is not a Messenger control; ignored"

    def listen(self, event: MessengerEvent) -> list[Command]:
        if event in self.listeners:
            return []
        self.listeners.add(event)
        if self.widget == "late":
            self.unregistered.add(event)
            return []
        return [Listen(event)] if self.booted else []

    # -- a restarted worker ---------------------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """The session as plain JSON, for a worker that replaces this one (see `Bridge.state`).

        Budget charges are readings of `clock` (the page's clock in the worker): the new worker's clock reads the
        same wall time, and `Bridge.resume` moves it on to the newest charge, so they keep their meaning.
        """
        return {
            "widget": self.widget,
            "booted": self.booted,
            "user_id": self.user_id,
            "email": self.email,
            "sent": dict(self.sent),
            "pending": dict(self.pending),
            "company": self.company,
            "listeners": sorted(self.listeners),
            "fresh_visitor": self.fresh_visitor,
            "mirrored": self.mirrored,
            "budget": self.budget.charges(),
            "stats": vars(self.stats).copy(),
        }

    def restore_state(self, data: Fields) -> None:
        """Take over an exported session. Each field is checked (`data` notes the bad ones) before anything is set.

        A scheduled flush died with the old worker: `resumed()` sends or schedules the pending update again.
        """
        widget = data.choice("widget", WIDGET_STATES, self.widget)
        booted = data.flag("booted", False)
        user_id = data.text("user_id")
        email = data.text("email")
        sent = data.mapping("sent", {}) or {}
        pending = data.mapping("pending", {}) or {}
        company = data.mapping("company", None)
        listeners = data.strings("listeners", LISTENABLE)
        fresh_visitor = data.flag("fresh_visitor", False)
        mirrored = data.mapping("mirrored", None)
        charges = data.numbers("budget", self.budget.limit)
        if charges and charges[-1] > self.clock() + MAX_AHEAD_S:
            data.problems.append("intercom.budget")
            charges = []
        counters = data.object("stats")
        stats = Stats(**{name: counters.count(name) for name in vars(Stats())})
        self.widget = widget
        self.booted = booted
        self.user_id = user_id
        self.email = email
        self.sent = sent
        self.pending = pending
        self.company = company
        self.listeners = {e for e in LISTENABLE if e in listeners}
        self.fresh_visitor = fresh_visitor
        self.mirrored = mirrored
        self.budget.restore(charges)
        self.stats = stats
        self.flush_scheduled = False

    def resumed(self) -> list[Command]:
        """After a restart: pending data whose scheduled tick died with the old worker is sent, or scheduled again."""
        self.flush_scheduled = False
        return self._flush()

    def latest_charge(self) -> float | None:
        charges = self.budget.charges()
        return charges[-1] if charges else None

    # -- internals ----------------------------------------------------------------------------------------------
    def _forget(self) -> None:
        self.booted = False
        self.user_id = None
        self.email = None
        self.sent = {}
        self.pending = {}
        self.company = None
        self.fresh_visitor = False

    @staticmethod
    def _unlocked(data: dict[str, Any]) -> dict[str, Any]:
        """Call data without the Messenger settings only the bridge settings may set (app_id, api_base, ...)."""
        return {k: v for k, v in data.items() if k not in LOCKED_SETTINGS}

    def _boot(self, data: dict[str, Any]) -> list[Command]:
        data = self._unlocked(data)
        payload = {**self.settings.messenger_settings(), **data}
        self.booted = True
        self.sent = dict(data)
        self.pending = {}
        self.stats.boots += 1
        # Intercom drops onShow/onHide/onUnreadCountChange on shutdown: register them again after every boot.
        return [IntercomCall("boot", (payload,)), *self._mirror(), *(Listen(e) for e in sorted(self.listeners))]

    def _update(self, data: dict[str, Any] | None, force: tuple[str, ...] = ()) -> list[Command]:
        now = self.clock()
        data = None if data is None else self._unlocked(data)
        changes = {k: v for k, v in (data or {}).items() if k in force or self.sent.get(k, _MISSING) != v}
        for key in (data or {}).keys() - changes.keys():
            self.pending.pop(key, None)  # changed back to what Intercom holds: an older pending value must not win
        if data is not None and not changes and not self.pending:
            return [Log("debug", "update skipped: Intercom already holds this data")]
        self.pending.update(changes)
        carries = bool(self.pending)
        if self.budget.can_send(now, carries_data=carries):
            return self._send_update(now)
        if not carries:
            self.stats.page_updates_skipped += 1
            return [Log("debug", "page update skipped: keeping the Intercom update budget for data")]
        self.stats.updates_deferred += 1
        return self._schedule(
            now, "update deferred (Intercom allows 20 per 30 minutes); merged into the pending update"
        )

    def _send_update(self, now: float) -> list[Command]:
        payload, self.pending = self.pending, {}
        self.sent.update(payload)
        self.budget.use(now)
        self.stats.updates_sent += 1
        return [IntercomCall("update", (payload,) if payload else ()), *self._mirror()]

    def _mirror(self) -> list[Command]:
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

    def _schedule(self, now: float, message: str) -> list[Command]:
        commands: list[Command] = [Log("debug", message)]
        if not self.flush_scheduled:
            self.flush_scheduled = True
            commands.append(Schedule(self.budget.seconds_until_free(now) + 0.05))
        return commands

    def _flush(self) -> list[Command]:
        if not self.pending or not self.booted or not self.available:
            return []
        now = self.clock()
        if self.budget.can_send(now, carries_data=True):
            return self._send_update(now)
        return self._schedule(now, "pending update still waiting for budget")
