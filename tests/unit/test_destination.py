"""The Intercom destination: boot once, update only what changed, user switches, reset, throttle, controls."""

from __future__ import annotations

from typing import Any

import pytest

from py_bridge.core.commands import Command, IntercomCall, Listen, LoadWidget, Log, Schedule, SetIntercomSettings
from py_bridge.core.destinations.intercom import IntercomDestination, parse_intercom_settings
from py_bridge.core.destinations.intercom.throttle import UPDATE_LIMIT, UPDATE_WINDOW_S, UpdateBudget
from py_bridge.core.events import Event

APP = "abc12345"
MESSENGER = {"app_id": APP, "custom_launcher_selector": "#IntercomDefaultWidget"}


class Clock:
    """A fake monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock | None = None, *, loaded: bool = True, **raw: Any) -> IntercomDestination:
    destination = IntercomDestination(parse_intercom_settings({"app_id": APP, **raw}), clock=clock or Clock())
    destination.load()
    if loaded:
        destination.signal("widget", {"status": "loaded"})
    return destination


def calls(commands: list[Command]) -> list[IntercomCall]:
    return [c for c in commands if isinstance(c, IntercomCall)]


def updates(commands: list[Command]) -> list[IntercomCall]:
    return [c for c in commands if isinstance(c, IntercomCall) and c.method == "update"]


def warnings(commands: list[Command]) -> list[str]:
    return [c.message for c in commands if isinstance(c, Log) and c.level == "warn"]


def identify(user_id: str | None = "u1", traits: dict[str, Any] | None = None, **options: Any) -> Event:
    return Event(type="identify", user_id=user_id, traits=traits or {}, options=options, anonymous_id="anon-1")


PAGE = Event(type="page")
RESET = Event(type="reset")


def track(name: str, properties: dict[str, Any] | None = None) -> Event:
    return Event(type="track", name=name, properties=properties or {})


def group(group_id: str | None, traits: dict[str, Any] | None = None) -> Event:
    return Event(type="group", group_id=group_id, traits=traits or {})


# -- loading and boot ---------------------------------------------------------------------------------------------


def test_load_sets_intercom_settings_and_injects_the_widget_once() -> None:
    """Official install: intercomSettings then the widget script; a second load does nothing."""
    destination = IntercomDestination(parse_intercom_settings({"app_id": APP}), clock=Clock())
    assert destination.load() == [
        SetIntercomSettings(MESSENGER),
        LoadWidget(f"https://widget.intercom.io/widget/{APP}"),
    ]
    assert destination.load() == []


def test_native_intercom_is_reused_without_loading_the_widget() -> None:
    """A page that already runs Intercom gets no second widget, and one warning."""
    destination = IntercomDestination(parse_intercom_settings({"app_id": APP}), clock=Clock(), native=True)
    commands = destination.load()
    assert not any(isinstance(c, LoadWidget | SetIntercomSettings) for c in commands)
    assert len(warnings(commands)) == 1
    assert destination.widget == "loaded"
    assert calls(destination.handle(PAGE)) == [IntercomCall("boot", (MESSENGER,))]


def test_first_identify_boots_the_user_with_its_data() -> None:
    """Boot once, with the first call's data: the user is booted directly, not as a visitor first."""
    destination = make(loaded=False)
    commands = destination.handle(identify("u1", {"email": "a@b.c"}))
    assert calls(commands) == [IntercomCall("boot", ({**MESSENGER, "user_id": "u1", "email": "a@b.c"},))]
    assert destination.settle() == []


def test_settle_boots_a_visitor_when_nothing_else_did() -> None:
    """With no call at all the Messenger still shows: a visitor boot with the messenger settings only."""
    destination = make(loaded=False)
    assert destination.settle() == [IntercomCall("boot", (MESSENGER,))]
    assert destination.settle() == []


def test_first_page_boots_and_later_pages_update_without_arguments() -> None:
    """page -> boot the first time, then update() (a page impression)."""
    destination = make()
    assert calls(destination.handle(PAGE)) == [IntercomCall("boot", (MESSENGER,))]
    assert calls(destination.handle(PAGE)) == [IntercomCall("update")]


def test_first_track_boots_then_sends_the_event() -> None:
    """trackEvent needs a booted Messenger: boot, then the event, in that order."""
    destination = make()
    assert calls(destination.handle(track("Signed Up", {"plan": "pro"}))) == [
        IntercomCall("boot", (MESSENGER,)),
        IntercomCall("trackEvent", ("Signed Up", {"plan": "pro"})),
    ]


def test_track_without_metadata_sends_the_name_only() -> None:
    """Nothing is added to the event that the call did not carry."""
    destination = make()
    destination.settle()
    assert calls(destination.handle(track("Ping"))) == [IntercomCall("trackEvent", ("Ping",))]


# -- identify updates and user switches ---------------------------------------------------------------------------


def test_identify_update_sends_only_changed_keys() -> None:
    """The second identify of the same user sends only what changed."""
    destination = make()
    destination.handle(identify("u1", {"name": "Ann", "plan": "free"}))
    assert updates(destination.handle(identify("u1", {"name": "Ann", "plan": "pro"}))) == [
        IntercomCall("update", ({"plan": "pro"},))
    ]


def test_identify_with_nothing_new_sends_nothing() -> None:
    """Unchanged data is not re-sent (it would waste the update budget)."""
    destination = make()
    destination.handle(identify("u1", {"name": "Ann"}))
    assert calls(destination.handle(identify("u1", {"name": "Ann"}))) == []


def test_visitor_identified_later_is_updated_with_the_user_id() -> None:
    """Visitor -> user within one session goes through update with user_id."""
    destination = make()
    destination.settle()
    assert calls(destination.handle(identify("u1", {"name": "Ann"}))) == [
        IntercomCall("update", ({"user_id": "u1", "name": "Ann"},))
    ]


def test_another_user_shuts_down_then_boots_the_new_user() -> None:
    """A different user on the same page must not be merged into the first: shutdown, then boot."""
    destination = make()
    destination.handle(identify("u1", {"name": "Ann"}))
    assert calls(destination.handle(identify("u2", {"name": "Bob"}))) == [
        IntercomCall("shutdown"),
        IntercomCall("boot", ({**MESSENGER, "user_id": "u2", "name": "Bob"},)),
    ]


def test_another_email_only_user_is_a_switch_too() -> None:
    """Email-only users are identified by email: a new email is a new person."""
    destination = make()
    destination.handle(identify(None, {"email": "a@x.io"}))
    assert [c.method for c in calls(destination.handle(identify(None, {"email": "b@x.io"})))] == ["shutdown", "boot"]


def test_hide_default_launcher_from_options_is_sent_with_the_user() -> None:
    """hide_default_launcher read from options.Intercom goes into the user's boot/update."""
    destination = make()
    commands = destination.handle(identify("u1", {}, Intercom={"hideDefaultLauncher": True}))
    assert calls(commands) == [IntercomCall("boot", ({**MESSENGER, "user_id": "u1", "hide_default_launcher": True},))]


# -- group --------------------------------------------------------------------------------------------------------


def test_group_updates_the_company() -> None:
    """group -> update({company}) with company_id = groupId."""
    destination = make()
    destination.settle()
    assert calls(destination.handle(group("c1", {"name": "Acme", "plan": "pro"}))) == [
        IntercomCall("update", ({"company": {"company_id": "c1", "name": "Acme", "plan": "pro"}},))
    ]


def test_group_company_is_remembered_for_later_identifies_of_the_user() -> None:
    """group then identify: the session keeps the company; identifies neither drop nor needlessly resend it."""
    destination = make()
    destination.settle()
    destination.handle(group("c1", {"name": "Acme"}))
    assert calls(destination.handle(identify("u1", {"plan": "x"}))) == [
        IntercomCall("update", ({"user_id": "u1", "plan": "x"},))
    ]
    assert destination.company == {"company_id": "c1", "name": "Acme"}
    assert destination.sent["company"] == {"company_id": "c1", "name": "Acme"}


def test_identify_with_its_own_company_replaces_the_remembered_one() -> None:
    """A company trait on identify becomes the session's company."""
    destination = make()
    destination.handle(group("c1"))
    commands = destination.handle(identify("u1", {"company": {"id": "c2"}}))
    assert calls(commands) == [IntercomCall("update", ({"user_id": "u1", "company": {"company_id": "c2"}},))]
    assert destination.company == {"company_id": "c2"}


def test_user_switch_forgets_the_previous_users_company() -> None:
    """Another person on the page does not inherit the first user's company."""
    destination = make()
    destination.handle(identify("u1"))
    destination.handle(group("c1", {"name": "Acme"}))
    commands = destination.handle(identify("u2"))
    assert calls(commands) == [IntercomCall("shutdown"), IntercomCall("boot", ({**MESSENGER, "user_id": "u2"},))]
    assert destination.company is None


def test_group_before_any_call_boots_with_the_company() -> None:
    """group as first call boots the Messenger with the company already attached."""
    destination = make()
    assert calls(destination.handle(group("c1"))) == [
        IntercomCall("boot", ({**MESSENGER, "company": {"company_id": "c1"}},))
    ]


def test_group_without_id_is_dropped_with_a_warning() -> None:
    """Intercom needs a company id."""
    destination = make()
    commands = destination.handle(group(None, {"name": "Acme"}))
    assert calls(commands) == []
    assert warnings(commands) == ["group: a groupId is required (Intercom needs a company id); call dropped"]


# -- reset --------------------------------------------------------------------------------------------------------


def test_reset_shuts_down_forgets_and_boots_a_visitor_with_listeners_again() -> None:
    """Logout: shutdown, a fresh visitor boot, and the Messenger callbacks registered again."""
    destination = make()
    destination.handle(identify("u1", {"name": "Ann"}))
    destination.handle(group("c1"))
    assert destination.listen("unread") == [Listen("unread")]
    commands = destination.handle(RESET)
    assert commands == [
        IntercomCall("shutdown"),
        SetIntercomSettings(MESSENGER),
        IntercomCall("boot", (MESSENGER,)),
        Listen("unread"),
    ]
    assert (destination.user_id, destination.email, destination.company, destination.pending) == (None, None, None, {})


def test_after_reset_the_same_user_can_log_in_again() -> None:
    """The next login after a logout is sent (the CDPs' `booted` flag bug must not exist)."""
    destination = make()
    destination.handle(identify("u1", {"name": "Ann"}))
    destination.handle(RESET)
    assert calls(destination.handle(identify("u1", {"name": "Ann"}))) == [
        IntercomCall("update", ({"user_id": "u1", "name": "Ann"},))
    ]


def test_listener_registered_before_boot_is_sent_with_the_boot() -> None:
    """on('show') before boot is remembered and registered right after the boot."""
    destination = make()
    assert destination.listen("show") == []
    assert destination.listen("show") == []
    assert destination.settle() == [IntercomCall("boot", (MESSENGER,)), Listen("show")]


# -- identity verification ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "option"), [("user_hash", "user_hash"), ("jwt", "intercom_user_jwt")])
def test_unsigned_identify_is_held_back_with_a_warning_naming_the_option(mode: str, option: str) -> None:
    """With identity_verification, an identify without its credential is not sent as that user."""
    destination = make(identity_verification=mode)
    destination.settle()
    commands = destination.handle(identify("u1", {"name": "Ann"}))
    assert calls(commands) == []
    assert len(warnings(commands)) == 1
    assert f"options.integrations.Intercom.{option} is missing" in warnings(commands)[0]
    assert "'u1'" in warnings(commands)[0]
    assert destination.user_id is None
    assert destination.stats.held_back == 1


@pytest.mark.parametrize(
    ("mode", "options", "sent"),
    [
        ("user_hash", {"integrations": {"Intercom": {"user_hash": "H"}}}, {"user_hash": "H"}),
        ("jwt", {"Intercom": {"intercomUserJwt": "J"}}, {"intercom_user_jwt": "J"}),
    ],
)
def test_signed_identify_goes_through_with_its_credential(
    mode: str, options: dict[str, Any], sent: dict[str, str]
) -> None:
    """The credential travels with the identify that introduces the user."""
    destination = make(identity_verification=mode)
    destination.settle()
    commands = destination.handle(identify("u1", {"name": "Ann"}, **options))
    assert calls(commands) == [IntercomCall("update", ({"user_id": "u1", "name": "Ann", **sent},))]


def test_verified_user_needs_no_credential_for_later_trait_updates() -> None:
    """Once the session is verified, later identifies of the same user update without resending the hash."""
    destination = make(identity_verification="user_hash")
    destination.handle(identify("u1", {}, Intercom={"user_hash": "H"}))
    assert calls(destination.handle(identify("u1", {"plan": "pro"}))) == [IntercomCall("update", ({"plan": "pro"},))]


def test_email_only_unsigned_identify_is_held_back() -> None:
    """An email identifies the user too, so it needs the credential as well."""
    destination = make(identity_verification="user_hash")
    commands = destination.handle(identify(None, {"email": "a@b.c"}))
    assert calls(commands) == []
    assert "an email-only user" in warnings(commands)[0]


# -- the update budget --------------------------------------------------------------------------------------------


def test_budget_sliding_window_counts_and_frees() -> None:
    """20 per 30 minutes; page updates leave a reserve of 2 for data; a slot frees exactly one window later."""
    budget = UpdateBudget()
    for i in range(UPDATE_LIMIT - 2):
        budget.use(float(i))
    assert budget.can_send(20.0, carries_data=False) is False
    assert budget.can_send(20.0, carries_data=True) is True
    budget.use(20.0)
    budget.use(21.0)
    assert budget.remaining(22.0) == 0
    assert budget.seconds_until_free(22.0) == UPDATE_WINDOW_S - 22.0
    assert budget.remaining(UPDATE_WINDOW_S) == 1


def drive(destination: IntercomDestination, clock: Clock) -> tuple[list[Command], dict[str, Any]]:
    """100 SPA navigations, an identify change every 5th: returns all commands and the newest value of each key."""
    out: list[Command] = []
    newest: dict[str, Any] = {}
    out += destination.handle(identify("u1", {"step": -1}))
    newest["step"] = -1
    for i in range(100):
        clock.now += 3
        out += destination.handle(PAGE)
        if i % 5 == 0:
            traits = {"step": i, f"seen_{i}": True}
            newest.update(traits)
            out += destination.handle(identify("u1", traits))
    return out, newest


def test_throttle_never_sends_more_than_20_updates_per_30_minutes() -> None:
    """100 page calls plus identify changes inside 5 minutes: at most 20 updates reach Intercom."""
    clock = Clock()
    destination = make(clock)
    out, _ = drive(destination, clock)
    assert len(updates(out)) == UPDATE_LIMIT
    assert destination.stats.page_updates_skipped > 0
    assert destination.stats.updates_deferred > 0


def test_throttle_merges_deferred_data_and_flushes_it_on_tick_with_nothing_lost() -> None:
    """Deferred data merges into one pending update, the newest value wins, and a tick after the window sends it."""
    clock = Clock()
    destination = make(clock)
    out, newest = drive(destination, clock)
    schedules = [c for c in out if isinstance(c, Schedule)]
    assert len(schedules) == 1
    assert destination.pending["step"] == 95
    clock.now += schedules[0].delay_s
    flushed = updates(destination.signal("tick", {}))
    assert len(flushed) == 1
    assert flushed[0].args[0]["step"] == 95
    held = {**destination.sent}
    assert {k: held.get(k) for k in newest} == newest
    assert destination.pending == {}


def test_tick_before_the_budget_frees_reschedules_instead_of_sending() -> None:
    """A timer that fires early must not exceed the budget; it asks for another tick."""
    clock = Clock()
    destination = make(clock)
    drive(destination, clock)
    clock.now += 1
    commands = destination.signal("tick", {})
    assert updates(commands) == []
    assert len([c for c in commands if isinstance(c, Schedule)]) == 1


def test_page_only_update_is_skipped_when_the_budget_is_short() -> None:
    """Page impressions are the first thing to give up: they are skipped, not queued."""
    clock = Clock()
    destination = make(clock)
    destination.settle()
    sent = [updates(destination.handle(PAGE)) for _ in range(30)]
    assert sum(len(s) for s in sent) == UPDATE_LIMIT - 2
    assert destination.pending == {}
    assert destination.stats.page_updates_skipped == 30 - (UPDATE_LIMIT - 2)


def test_newest_value_wins_even_when_it_returns_to_the_value_intercom_holds() -> None:
    """plan A (sent), B (deferred), A again: the flush must not send B."""
    clock = Clock()
    destination = make(clock)
    destination.handle(identify("u1", {"plan": "A"}))
    for i in range(UPDATE_LIMIT):
        clock.now += 1
        destination.handle(identify("u1", {"n": i}))
    destination.handle(identify("u1", {"plan": "B"}))
    destination.handle(identify("u1", {"plan": "A"}))
    clock.now += UPDATE_WINDOW_S
    destination.signal("tick", {})
    assert destination.sent["plan"] == "A"


def test_user_switch_drops_the_previous_users_pending_update() -> None:
    """Pending data belongs to the user it was about; a new user starts clean."""
    clock = Clock()
    destination = make(clock)
    drive(destination, clock)
    assert destination.pending
    destination.handle(identify("u2"))
    assert destination.pending == {}
    clock.now += UPDATE_WINDOW_S
    assert destination.signal("tick", {}) == []


# -- widget failure -----------------------------------------------------------------------------------------------


def test_widget_failure_warns_once_and_drops_calls_without_growth() -> None:
    """A blocked widget: one warning, then calls are accepted and dropped; nothing accumulates."""
    destination = make(loaded=False)
    destination.handle(identify("u1"))
    commands = destination.signal("widget", {"status": "failed", "reason": "blocked"})
    assert len(warnings(commands)) == 1
    assert "could not load" in warnings(commands)[0]
    later: list[Command] = []
    for i in range(500):
        later += destination.handle(identify("u1", {"n": i}))
        later += destination.handle(PAGE)
        later += destination.handle(track("E"))
    assert calls(later) == []
    assert warnings(later) == []
    assert destination.pending == {}
    assert destination.stats.dropped_unavailable == 1500
    assert destination.settle() == []


def test_widget_signal_after_settling_is_ignored() -> None:
    """A late or repeated widget signal cannot flip a loaded Messenger to failed."""
    destination = make()
    assert destination.signal("widget", {"status": "failed"}) == []
    assert destination.widget == "loaded"


# -- Messenger controls -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "call"),
    [
        ("show", [], IntercomCall("show")),
        ("hide", [], IntercomCall("hide")),
        ("showMessages", [], IntercomCall("showMessages")),
        ("showNewMessage", [], IntercomCall("showNewMessage")),
        ("showNewMessage", ["Hi"], IntercomCall("showNewMessage", ("Hi",))),
        ("showNewMessage", ["x" * 2000], IntercomCall("showNewMessage", ("x" * 1000,))),
        ("showSpace", ["help"], IntercomCall("showSpace", ("help",))),
        ("showSpace", ["tickets"], IntercomCall("showSpace", ("tickets",))),
        ("showArticle", [123], IntercomCall("showArticle", (123,))),
        ("showArticle", ["456"], IntercomCall("showArticle", (456,))),
        ("startTour", [7], IntercomCall("startTour", (7,))),
        ("startSurvey", [" 8 "], IntercomCall("startSurvey", (8,))),
    ],
)
def test_valid_messenger_control_is_called(method: str, args: list[Any], call: IntercomCall) -> None:
    """Controls map to the Intercom method with validated arguments."""
    destination = make()
    destination.settle()
    assert destination.control(method, args) == [call]


@pytest.mark.parametrize(
    ("method", "args", "fragment"),
    [
        ("showSpace", ["settings"], "showSpace(name)"),
        ("showSpace", [], "showSpace(name)"),
        ("showSpace", ["Help"], "showSpace(name)"),
        ("showArticle", ["abc"], "showArticle(id)"),
        ("showArticle", [-1], "showArticle(id)"),
        ("showArticle", [1.5], "showArticle(id)"),
        ("showArticle", [True], "showArticle(id)"),
        ("startTour", [], "startTour(id)"),
        ("startSurvey", ["1; alert(1)"], "startSurvey(id)"),
        ("showNewMessage", [5], "showNewMessage(text)"),
        ("boot", [{}], "is not a Messenger control"),
        ("shutdown", [], "is not a Messenger control"),
    ],
)
def test_invalid_messenger_control_is_ignored_with_a_warning(method: str, args: list[Any], fragment: str) -> None:
    """Bad space names or ids never reach Intercom; one warning names the control."""
    destination = make()
    destination.settle()
    commands = destination.control(method, args)
    assert calls(commands) == []
    assert len(warnings(commands)) == 1
    assert fragment in warnings(commands)[0]


def test_control_before_boot_boots_the_visitor_first() -> None:
    """show() before any call must work: boot, then show."""
    destination = make()
    assert destination.control("show", []) == [IntercomCall("boot", (MESSENGER,)), IntercomCall("show")]


def test_control_when_the_widget_failed_warns() -> None:
    """No Messenger, no control: a warning instead of a call."""
    destination = make(loaded=False)
    destination.signal("widget", {"status": "failed"})
    commands = destination.control("show", [])
    assert calls(commands) == []
    assert warnings(commands) == ["intercom.show() ignored: the Intercom Messenger is unavailable"]


def test_no_30_minute_window_ever_holds_more_than_20_updates_over_hours() -> None:
    """Navigations and trait changes spread over 3 hours, ticks delivered when asked: every window stays within 20."""
    clock = Clock()
    destination = make(clock)
    destination.handle(identify("u1"))
    sent_at: list[float] = []
    due: float | None = None
    newest = 0
    for i in range(600):
        clock.now += 18
        out = destination.handle(PAGE)
        if i % 7 == 0:
            newest = i
            out += destination.handle(identify("u1", {"step": i}))
        if due is not None and clock.now >= due:
            due = None
            out += destination.signal("tick", {})
        for command in out:
            if isinstance(command, Schedule):
                due = clock.now + command.delay_s
        sent_at += [clock.now for _ in updates(out)]
    clock.now += UPDATE_WINDOW_S
    sent_at += [clock.now for _ in updates(destination.signal("tick", {}))]
    for index, start in enumerate(sent_at):
        assert len([t for t in sent_at[index:] if t - start < UPDATE_WINDOW_S]) <= UPDATE_LIMIT
    assert destination.sent["step"] == newest
    assert destination.pending == {}


def test_a_credential_supplied_later_for_the_same_user_is_sent_with_the_identity() -> None:
    """identify('u1') without a hash, then identify('u1', same traits, hash): the hash goes out with user_id."""
    from py_bridge.core.commands import IntercomCall as Call
    from py_bridge.core.destinations.intercom import IntercomDestination
    from py_bridge.core.destinations.intercom.settings import parse_intercom_settings
    from py_bridge.core.events import Event

    destination = IntercomDestination(parse_intercom_settings({"app_id": "abc12345"}), clock=lambda: 1000.0)
    destination.load()
    destination.handle(Event(type="identify", user_id="u1", traits={"plan": "pro"}))
    signed = Event(
        type="identify",
        user_id="u1",
        traits={"plan": "pro"},
        options={"integrations": {"Intercom": {"user_hash": "h1"}}},
    )
    calls = [c for c in destination.handle(signed) if isinstance(c, Call)]
    assert calls == [Call("update", ({"user_id": "u1", "user_hash": "h1"},))]
    again = [c for c in destination.handle(signed) if isinstance(c, Call)]
    assert again == []


# -- page data never steers the Messenger ---------------------------------------------------------------------------


def test_trait_keys_cannot_boot_another_user_app_or_api_base() -> None:
    """identify({'user.id', 'app.id', 'api.base'}) boots the configured app as a visitor, not 'admin' on 'zzz'."""
    destination = make()
    commands = destination.handle(
        identify(None, {"user.id": "admin", "app.id": "zzz", "api.base": "https://evil.example"})
    )
    assert calls(commands) == [IntercomCall("boot", (MESSENGER,))]
    (warning,) = warnings(commands)  # one line names every dropped key
    assert all(key in warning for key in ("'user.id'", "'app.id'", "'api.base'"))
    assert destination.user_id is None


def test_flattened_traits_cannot_boot_another_app_or_api_base() -> None:
    """nested=flatten with {app: {id}}, {api: {base}}: the boot keeps the configured app_id and default API base."""
    destination = make(nested="flatten")
    commands = destination.handle(identify("u1", {"app": {"id": "zzz"}, "api": {"base": "https://evil.example"}}))
    assert calls(commands) == [IntercomCall("boot", ({**MESSENGER, "user_id": "u1"},))]


def test_group_traits_cannot_override_the_company_id_from_group_id() -> None:
    """group('c1', {'company.id': 'evil'}) updates company c1."""
    destination = make()
    destination.settle()
    commands = destination.handle(group("c1", {"company.id": "evil", "company_id": "evil2", "name": "Acme"}))
    assert calls(commands) == [IntercomCall("update", ({"company": {"company_id": "c1", "name": "Acme"}},))]
    (warning,) = warnings(commands)
    assert "'company.id'" in warning
    assert "'company_id'" in warning


def test_language_override_from_options_is_sent_with_the_user() -> None:
    """The documented per-call place for the Messenger language is options.Intercom, like hide_default_launcher."""
    destination = make()
    commands = destination.handle(identify("u1", {}, Intercom={"languageOverride": "fr"}))
    assert calls(commands) == [IntercomCall("boot", ({**MESSENGER, "user_id": "u1", "language_override": "fr"},))]


# -- identity verification: user switches and email changes --------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "option", "key"),
    [("user_hash", "user_hash", "user_hash"), ("jwt", "intercom_user_jwt", "intercom_user_jwt")],
)
def test_held_back_user_switch_ends_the_previous_users_session_and_later_tracks_are_not_sent_as_them(
    mode: str, option: str, key: str
) -> None:
    """Verified u1, then unsigned identify('u2'): u1's session is shut down and a visitor booted; tracks follow."""
    destination = make(identity_verification=mode)
    destination.listen("unread")
    destination.handle(identify("u1", {"plan": "pro"}, Intercom={option: "S1"}))
    commands = destination.handle(identify("u2", {"name": "Bob"}))
    assert calls(commands) == [IntercomCall("shutdown"), IntercomCall("boot", (MESSENGER,))]
    assert Listen("unread") in commands
    assert len(warnings(commands)) == 1
    assert "'u2' held back" in warnings(commands)[0]
    assert (destination.user_id, destination.email, destination.sent) == (None, None, {})
    assert destination.stats.held_back == 1
    assert calls(destination.handle(track("Clicked"))) == [IntercomCall("trackEvent", ("Clicked",))]
    assert "user_id" not in destination.sent
    signed = destination.handle(identify("u2", {"name": "Bob"}, Intercom={option: "S2"}))
    assert calls(signed) == [IntercomCall("update", ({"user_id": "u2", "name": "Bob", key: "S2"},))]


def test_held_back_email_only_switch_ends_the_previous_session() -> None:
    """Verified email-only a@x, then unsigned identify({email: b@x}): a@x's session ends; a visitor continues."""
    destination = make(identity_verification="user_hash")
    destination.handle(identify(None, {"email": "a@x.io"}, Intercom={"user_hash": "HA"}))
    commands = destination.handle(identify(None, {"email": "b@x.io"}))
    assert calls(commands) == [IntercomCall("shutdown"), IntercomCall("boot", (MESSENGER,))]
    assert destination.email is None


def test_unsigned_identify_before_any_user_holds_back_without_a_shutdown() -> None:
    """A visitor session has no previous person to protect: the identify is held back and nothing else happens."""
    destination = make(identity_verification="user_hash")
    destination.settle()
    commands = destination.handle(identify("u2"))
    assert calls(commands) == []
    assert destination.booted


def test_unsigned_user_id_for_the_same_email_user_is_held_back_without_ending_the_session() -> None:
    """Verified email-only a@x, identify('u9', {email: a@x}) unsigned: held back, the same person's session stays."""
    destination = make(identity_verification="user_hash")
    destination.handle(identify(None, {"email": "a@x.io"}, Intercom={"user_hash": "HA"}))
    commands = destination.handle(identify("u9", {"email": "a@x.io"}))
    assert calls(commands) == []
    assert destination.email == "a@x.io"


@pytest.mark.parametrize(("mode", "key"), [("user_hash", "user_hash"), ("jwt", "intercom_user_jwt")])
def test_verified_users_email_change_is_sent_as_an_update_of_that_user_with_the_sessions_credential(
    mode: str, key: str
) -> None:
    """identify({email: new}) with no userId while verified u1 is known: an update of u1, not an 'email-only' hold."""
    destination = make(identity_verification=mode)
    destination.handle(identify("u1", {"email": "old@x.io"}, Intercom={key: "S1"}))
    commands = destination.handle(identify(None, {"email": "new@x.io"}))
    assert calls(commands) == [IntercomCall("update", ({"email": "new@x.io", "user_id": "u1", key: "S1"},))]
    assert warnings(commands) == []
    assert destination.stats.held_back == 0
    assert (destination.user_id, destination.email) == ("u1", "new@x.io")


def test_identify_without_user_id_for_a_known_user_is_not_a_switch_to_the_anonymous_id() -> None:
    """send_anonymous_id: identify({plan}) after identify('u1') updates u1 (analytics.js keeps the userId)."""
    destination = make(send_anonymous_id=True)
    destination.handle(identify("u1"))
    assert calls(destination.handle(identify(None, {"plan": "pro"}))) == [IntercomCall("update", ({"plan": "pro"},))]


# -- reset coalescing -----------------------------------------------------------------------------------------------


def test_repeated_resets_boot_once_while_the_visitor_is_untouched() -> None:
    """reset() x 10,000: one shutdown and one visitor boot; every later reset sends nothing (one debug line)."""
    destination = make()
    destination.handle(identify("u1"))
    first = destination.handle(RESET)
    assert calls(first) == [IntercomCall("shutdown"), IntercomCall("boot", (MESSENGER,))]
    for _ in range(10_000):
        again = destination.handle(RESET)
        assert calls(again) == []
        assert [c.level for c in again if isinstance(c, Log)] == ["debug"]
    assert destination.stats.boots == 2


@pytest.mark.parametrize(
    "touch",
    [
        lambda d: d.handle(PAGE),
        lambda d: d.handle(track("Clicked")),
        lambda d: d.handle(identify(None, {"plan": "x"})),
        lambda d: d.handle(group("c1")),
        lambda d: d.control("show", []),
    ],
    ids=["page", "track", "identify", "group", "show"],
)
def test_reset_after_the_visitor_was_touched_starts_a_new_visitor(touch: Any) -> None:
    """Anything sent to the visitor since the last reset makes the next reset a real one again."""
    destination = make()
    destination.handle(RESET)
    touch(destination)
    assert [c.method for c in calls(destination.handle(RESET))] == ["shutdown", "boot"]


def test_first_reset_of_a_visitor_booted_by_settle_still_shuts_down() -> None:
    """Only a visitor booted by reset() counts as fresh: a settle-booted visitor may carry earlier history."""
    destination = make()
    destination.settle()
    assert [c.method for c in calls(destination.handle(RESET))] == ["shutdown", "boot"]


# -- the budget's clock ---------------------------------------------------------------------------------------------


def test_budget_never_frees_a_slot_early_when_the_clock_steps_back() -> None:
    """A send read from a clock that stepped back is charged at the latest charge, never booked into the past."""
    budget = UpdateBudget()
    budget.use(5000.0)
    for _ in range(UPDATE_LIMIT - 1):
        budget.use(5000.0 - UPDATE_WINDOW_S)
    assert budget.remaining(5000.0) == 0
    assert budget.remaining(5000.0 + UPDATE_WINDOW_S - 1) == 0


def mirrors(commands: list[Command]) -> list[dict[str, Any]]:
    return [c.settings for c in commands if isinstance(c, SetIntercomSettings)]


def test_intercom_settings_mirror_the_verified_user_so_an_automatic_boot_keeps_them() -> None:
    """Intercom's loader boots from window.intercomSettings on its own (frame start, Turbo): it must hold the user."""
    destination = make(identity_verification="user_hash")
    signed = identify("u1", {"email": "a@example.com", "plan": "pro"}, integrations={"Intercom": {"user_hash": "h1"}})
    commands = destination.handle(signed)
    assert mirrors(commands) == [{**MESSENGER, "user_id": "u1", "email": "a@example.com", "user_hash": "h1"}]
    assert "plan" not in mirrors(commands)[0]  # identity and settings only, not every attribute


def test_intercom_settings_follow_an_email_change_and_fall_back_to_the_visitor_on_reset() -> None:
    """An identity change updates the mirror; after a logout it holds the messenger settings only."""
    destination = make()
    destination.handle(identify("u1", {"email": "a@example.com"}))
    changed = destination.handle(identify("u1", {"email": "b@example.com"}))
    assert mirrors(changed) == [{**MESSENGER, "user_id": "u1", "email": "b@example.com"}]
    assert mirrors(destination.handle(track("Viewed"))) == []  # nothing about who changed: no write
    assert mirrors(destination.handle(RESET)) == [MESSENGER]


# -- consent withdrawn: nothing left that boots Intercom again ------------------------------------------------------


def test_withdraw_shuts_down_and_tells_the_page_to_forget_intercom_without_remirroring_the_app_id() -> None:
    """Intercom's loader boots from intercomSettings.app_id on Turbo loads: withdraw() must not write it back (as
    end_session's mirror does) but have the page remove it with the identity and expire Intercom's cookies."""
    from py_bridge.core.commands import ForgetIntercom

    d = make()
    d.handle(identify("u1", {"email": "u1@example.com"}, integrations={"Intercom": {"user_hash": "h"}}))
    commands = d.withdraw()
    assert commands == [
        IntercomCall("shutdown"),
        ForgetIntercom(APP, ("app_id", "user_id", "email", "user_hash", "intercom_user_jwt")),
    ]
    assert not any(isinstance(c, SetIntercomSettings) for c in commands)
    assert (d.booted, d.user_id, d.email, d.sent) == (False, None, None, {})


def test_forget_intercom_names_the_three_messenger_cookies_of_the_app() -> None:
    """The cookies Intercom documents for the Messenger: visitor id, session and device id, per app."""
    from py_bridge.core.commands import ForgetIntercom, to_message

    command = ForgetIntercom(APP, ("app_id",))
    assert command.cookies == (f"intercom-id-{APP}", f"intercom-session-{APP}", f"intercom-device-id-{APP}")
    assert to_message(command) == {
        "op": "forget",
        "app_id": APP,
        "settings_keys": ["app_id"],
        "cookies": [f"intercom-id-{APP}", f"intercom-session-{APP}", f"intercom-device-id-{APP}"],
    }


def test_withdraw_before_any_boot_still_forgets_and_a_later_boot_mirrors_the_settings_again() -> None:
    """Nothing booted: no shutdown, but the page still forgets; after a new grant the next boot writes
    intercomSettings again (the mirror was reset, so it is not skipped as unchanged)."""
    from py_bridge.core.commands import ForgetIntercom

    d = make()
    assert d.withdraw() == [ForgetIntercom(APP, ("app_id", "user_id", "email", "user_hash", "intercom_user_jwt"))]
    assert SetIntercomSettings(MESSENGER) in d.settle()


def test_a_messenger_that_starts_after_widget_timeout_ms_is_used_from_then_on() -> None:
    """Slow networks (issue 15, item 5): the page reports the late start; later calls reach Intercom again."""
    destination = make(loaded=False)
    destination.load()
    destination.handle(identify("u1"))
    destination.signal("widget", {"status": "late", "reason": "the Messenger did not start within 8 s"})
    assert calls(destination.handle(track("While Waiting"))) == []
    started = destination.signal("widget", {"status": "loaded", "late": True})
    assert [c.args for c in calls(started)] == [("While Waiting",)]
    assert [c.method for c in calls(destination.handle(track("After Late Start")))] == ["trackEvent"]
