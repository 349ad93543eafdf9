"""Transformations in the browser: the site's Python files run in the worker before the Intercom mapping."""

from __future__ import annotations

import itertools
import textwrap

import pytest

from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

_files = itertools.count()
PY = {"Content-Type": "text/x-python; charset=utf-8"}


def serve(bridge: BridgePage, code: str) -> str:
    """Serve a transform file on the page's origin; returns its path (relative to the page's origin)."""
    path = f"/t/transforms/t{next(_files)}.py"
    bridge.server.add_document(path, textwrap.dedent(code).strip() + "\n", PY)
    return path


def event_names(bridge: BridgePage) -> list[str]:
    return [e["name"] for e in bridge.workspace()["events"]]


RENAME = """
    def transform(event):
        if event["type"] == "track":
            event["event"] = event["event"].lower().replace(" ", "_")
        return event
"""
ENRICH = """
    import fractions  # not in the trimmed standard library: fetched on demand

    CALLS = []  # module-level code runs once

    def transform(event):
        CALLS.append(1)
        if event["type"] == "track":
            event["properties"]["half"] = str(fractions.Fraction(1, 2))
            event["properties"]["seen"] = len(CALLS)
        return event
"""
DROP_TEST_USERS = """
    def transform(event):
        if event["type"] == "identify" and event["traits"].get("email", "").endswith("@test.invalid"):
            return None
        return event
"""


def test_files_rename_enrich_and_drop_in_order(bridge: BridgePage) -> None:
    """Several files run in order; a rename and an enrichment reach Intercom; a None drops the event."""
    files = [serve(bridge, RENAME), serve(bridge, ENRICH), serve(bridge, DROP_TEST_USERS)]
    bridge.open(settings={"transform": files})
    bridge.js(
        "() => { pybridge.track('Signed Up', {plan: 'pro'}); pybridge.identify('u-test', {email: 'x@test.invalid'}); }"
    )
    bridge.js("() => pybridge.identify('u-real', {email: 'real@example.com'})")
    bridge.settle()
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "signed_up")
    assert event["metadata"] == {"plan": "pro", "half": "1/2", "seen": 1}
    assert [u["user_id"] for u in bridge.users()] == ["u-real"]


def test_a_raising_or_badly_returning_file_sends_the_event_untransformed_with_one_traceback(
    bridge: BridgePage, watch: Watch
) -> None:
    """Default transform_errors send: the event goes on as it was; the user's traceback names the entry (by index and
    origin) and the line."""
    raising = serve(
        bridge,
        """
        def transform(event):
            if event["type"] == "track":
                return helper(event)
            return event

        def helper(event):
            raise KeyError("missing")
        """,
    )
    bad_return = serve(bridge, "def transform(event):\n    return 42\n")
    watch.allow_user_traceback(r"^\[py-bridge\] transform\[[01]\] \(http://127\.0\.0\.1:\d+\) ")
    bridge.open(settings={"transform": [raising, bad_return]})
    bridge.js("() => { pybridge.track('Kept'); pybridge.track('Kept'); }")
    bridge.settle()
    assert event_names(bridge).count("Kept") >= 1
    page = bridge.server.origin
    reports = watch.messages(contains=f"[py-bridge] transform[0] ({page})")
    assert len(reports) == 1, reports
    assert reports[0].startswith(f"[py-bridge] transform[0] ({page}) raised KeyError at line 7 on a track event")
    assert f'File "transform[0] ({page})", line 7, in helper' in reports[0]
    assert watch.messages("error", f"[py-bridge] transform[1] ({page}) returned a number")


def test_transform_errors_drop_drops_the_event(bridge: BridgePage, watch: Watch) -> None:
    """transform_errors drop: an event a file fails on is not sent; the events it does not fail on still are."""
    watch.allow_user_traceback(r"^\[py-bridge\] transform\[0\] ")
    raising = serve(
        bridge,
        """
        def transform(event):
            if event["type"] == "track" and event["event"] == "Dropped On Error":
                raise ValueError("no")
            return event
        """,
    )
    bridge.open(settings={"transform": [raising], "transform_errors": "drop"})
    bridge.js("() => pybridge.track('Dropped On Error')")
    bridge.settle()  # the marker track, made after it, went through the same file and reached the sandbox
    assert watch.messages(contains="ValueError")
    assert "Dropped On Error" not in event_names(bridge)


def test_files_that_fail_to_load_are_reported_once_and_skipped(bridge: BridgePage, watch: Watch) -> None:
    """A 404, a syntax error and a file without transform(): each reported once; the good file still runs."""
    watch.allow_error(r"Failed to load resource")
    watch.allow_user_traceback(r"^\[py-bridge\] transform\[[12]\] ")
    broken = serve(bridge, "def transform(event)\n    return event\n")
    empty = serve(bridge, "x = 1\n")
    good = serve(bridge, RENAME)
    bridge.open(settings={"transform": ["/t/transforms/missing.py", broken, empty, good]})
    bridge.js("() => pybridge.track('Still Renamed')")
    bridge.settle()
    assert "still_renamed" in event_names(bridge)
    assert len(watch.messages(contains="transform[0] (http://127.0.0.1:")) == 1  # index and origin: no path, no token
    assert not watch.messages(contains="missing.py")
    page = bridge.server.origin
    assert len(watch.messages("error", f"[py-bridge] transform[1] ({page}) is skipped: SyntaxError at line 1")) == 1
    assert len(watch.messages("error", f"[py-bridge] transform[2] ({page}) is skipped: it defines no transform")) == 1
    assert not watch.messages(contains="/t/transforms/")  # neither path nor file name, in any message


def test_a_file_from_another_origin_is_refused(bridge: BridgePage, watch: Watch) -> None:
    """Only the page's and the bundle's origins may serve transformations."""
    bridge.open(settings={"transform": ["https://evil.example/steal.py"]})
    assert watch.messages("warning", "refused")
    assert not [u for u in watch.external if "evil.example" in u]


RAISES_ON_BOOM = """
    def transform(event):
        if event["type"] == "track" and event["event"] == "Boom":
            raise KeyError("missing")
        return event
"""
SLOW_ON_TRACK = """
    import time

    def transform(event):
        if event["type"] == "track":
            until = time.perf_counter() + 0.05
            while time.perf_counter() < until:
                pass
        return event
"""


def test_warnings_name_each_entry_by_the_sites_index_when_the_page_refused_an_earlier_one(
    bridge: BridgePage, watch: Watch
) -> None:
    """The page refuses the site's transform[0] (another origin) and sends the rest: a 404, a syntax error, a
    traceback and a slow file are named as the site numbered them (transform[1] .. [4]), never as the position in
    the shorter list the worker got (issue 18, item 5)."""
    watch.allow_error(r"Failed to load resource")
    watch.allow_user_traceback(r"^\[py-bridge\] transform\[[23]\] \(http://127\.0\.0\.1:\d+\) ")
    page = bridge.server.origin
    files = ["/t/transforms/missing.py", serve(bridge, "def transform(event)\n"), serve(bridge, RAISES_ON_BOOM)]
    files.append(serve(bridge, SLOW_ON_TRACK))
    bridge.open(settings={"transform": ["https://evil.example/t.py", *files], "transform_slow_ms": 10})
    bridge.js("() => pybridge.track('Boom')")
    bridge.settle()
    assert "Boom" in event_names(bridge)  # transform_errors send: the event went on as it was
    named = {text.split(" (")[0] for text in watch.messages(contains="] transform[")}
    assert named == {f"[py-bridge] transform[{i}]" for i in range(5)}, watch.console
    assert watch.messages("warning", f"[py-bridge] transform[1] ({page}) could not be fetched (HTTP 404)")
    assert watch.messages("error", f"[py-bridge] transform[2] ({page}) is skipped: SyntaxError at line 1")
    assert watch.messages("error", f"[py-bridge] transform[3] ({page}) raised KeyError at line 3 on a track event")
    assert watch.messages("warning", f"[py-bridge] transform[4] ({page}) took ")


def test_after_restarts_without_hanging_files_every_warning_still_names_the_sites_index(
    bridge: BridgePage, watch: Watch
) -> None:
    """Each restart drops the hanging file from the list the next worker gets; the next hang, and a traceback after
    both restarts, are still named by the site's index: transform[1], transform[2], transform[3] (issue 18, item 5)."""
    watch.allow_error(r"^\[py-bridge\] the transformation transform\[[12]\] \(http://127\.0\.0\.1:\d+\) did not finish")
    watch.allow_user_traceback(r"^\[py-bridge\] transform\[3\] \(http://127\.0\.0\.1:\d+\) raised KeyError")
    page = bridge.server.origin
    hangs = [serve(bridge, "while True:\n    pass\n"), serve(bridge, "while True:\n    pass\n")]
    files = ["https://evil.example/t.py", *hangs, serve(bridge, RAISES_ON_BOOM), serve(bridge, RENAME)]
    bridge.open(settings={"transform": files, "transform_load_ms": 1000}, wait_ready=False)
    bridge.wait_ready(timeout_s=40)
    bridge.js("() => pybridge.track('Boom')")
    bridge.settle()
    assert "boom" in event_names(bridge)  # the raising file's event went on through the rename
    restarts = watch.messages("error", "] the transformation transform[")
    assert [text.split(" (")[0] for text in restarts] == [
        "[py-bridge] the transformation transform[1]",
        "[py-bridge] the transformation transform[2]",
    ], restarts
    assert all(f"({page}) did not finish loading within 1000 ms" in text for text in restarts)
    assert watch.messages("error", f"[py-bridge] transform[3] ({page}) raised KeyError at line 3")


def test_a_list_of_more_than_20_entries_stops_the_bridge_with_the_settings_error_and_fetches_nothing(
    bridge: BridgePage, watch: Watch
) -> None:
    """At most 20 entries is Python's rule (settings.MAX_TRANSFORMS): neither the page nor the worker cuts a longer
    list to 20 and runs it; Python refuses the setting and the bridge does not start (issue 18, item 5)."""
    watch.allow_error(r"^\[py-bridge\] not started")
    requested: list[str] = []
    bridge.page.route("**/t/cap/*", lambda route: (requested.append(route.request.url), route.fulfill(status=404)))
    files = [f"/t/cap/f{n}.py" for n in range(21)]
    bridge.open(settings={"transform": files}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "[py-bridge] not started: transform "), what="the settings error")
    assert watch.messages("error", "[py-bridge] not started: transform ") == [
        "[py-bridge] not started: transform must be a URL, a {url, sha256} object, or a list of at most 20 of them"
        " (received: a list of 21 items)"
    ]
    assert requested == []
    assert bridge.calls() == []


def test_a_transform_that_never_returns_is_stopped_and_no_call_is_lost(bridge: BridgePage, watch: Watch) -> None:
    """A file that hangs blocks the worker; the watchdog restarts it without that file, state kept, calls re-sent."""
    watch.allow_error(r"^\[py-bridge\] the transformation .* did not return")
    hanging = serve(
        bridge,
        """
        def transform(event):
            if event["type"] == "track" and event["event"] == "Hang":
                while True:
                    pass
            return event
        """,
    )
    bridge.open(settings={"transform": [hanging, serve(bridge, RENAME)]})
    bridge.js("() => pybridge.identify('u-hang', {email: 'h@example.com'})")
    bridge.settle()
    boots = bridge.widget_state()["bootCount"]
    responsive = bridge.js("() => { pybridge.track('Hang'); pybridge.track('After Hang'); return 'page responsive'; }")
    assert responsive == "page responsive"
    bridge.wait_for(lambda: "after_hang" in event_names(bridge), timeout_s=40, what="the call after the hang")
    assert "hang" in event_names(bridge)  # re-sent to the new worker, without the hanging file
    assert len(watch.messages("error", "did not return")) == 1
    assert bridge.widget_state()["bootCount"] == boots  # the restarted worker knew the session: no second boot
    bridge.js("() => pybridge.track('Later')")
    bridge.settle()
    later = next(e for e in bridge.workspace()["events"] if e["name"] == "later")
    assert later["contact_type"] == "user"


WRITES_THEN_HANGS = {
    "logs a warning": """
        import logging

        def transform(event):
            if event["type"] == "track" and event["event"] == "Hang":
                logging.warning("about to work for a long time")
                while True:
                    pass
            return event
    """,
    "prints to stderr": """
        import sys

        def transform(event):
            if event["type"] == "track" and event["event"] == "Hang":
                print("about to work for a long time", file=sys.stderr, flush=True)
                while True:
                    pass
            return event
    """,
    # js is the worker's global scope: its postMessage reaches the page. This one keeps posting while it hangs.
    "keeps posting messages": """
        import time

        import js

        def transform(event):
            if event["type"] == "track" and event["event"] == "Hang":
                last = 0.0
                while True:
                    if time.monotonic() - last > 0.2:
                        js.postMessage(js.JSON.parse('{"progress": "still working"}'))
                        last = time.monotonic()
            return event
    """,
}


@pytest.mark.parametrize("writes", list(WRITES_THEN_HANGS))
def test_a_file_that_writes_then_never_returns_is_restarted_without_it_and_no_call_is_lost(
    bridge: BridgePage, watch: Watch, writes: str
) -> None:
    """Whatever the file said before hanging (a log line, stderr, its own postMessage, again and again), the page
    still knows which file is running: the worker is restarted without it, named as the site's transform[1], and the
    call, the next one and later ones reach Intercom (issue 22, item 2)."""
    watch.allow_error(r"^\[py-bridge\] the transformation transform\[1\] \(http://127\.0\.0\.1:\d+\) did not return")
    watch.allow_error(r"^\[py-bridge\] python: .*about to work for a long time")
    hanging = serve(bridge, WRITES_THEN_HANGS[writes])
    bridge.open(settings={"transform": ["https://evil.example/t.py", hanging, serve(bridge, RENAME)]})
    bridge.js("() => pybridge.identify('u-writes', {email: 'w@example.com'})")
    bridge.settle()
    boots = bridge.widget_state()["bootCount"]
    bridge.js("() => { pybridge.track('Hang'); pybridge.track('After Hang'); }")
    tracked = lambda: [c[1][0] for c in bridge.calls("trackEvent")]  # noqa: E731
    bridge.wait_for(lambda: "after_hang" in tracked(), timeout_s=40, what="the call after the hang")
    assert "hang" in tracked()  # re-sent to the new worker, without the hanging file
    assert len(watch.messages("error", "did not return")) == 1
    assert bridge.widget_state()["bootCount"] == boots
    bridge.js("() => pybridge.track('Later')")
    bridge.settle()
    assert "later" in tracked()
    assert not watch.messages("error", "stopped responding")


REMEMBERS = """
    SEEN = []  # module-level state: it would carry one user's emails into the next user's events

    def transform(event):
        if event["type"] == "identify" and event["traits"].get("email"):
            SEEN.append(event["traits"]["email"])
        if event["type"] == "track":
            event["properties"]["seen"] = ",".join(SEEN)
        return event
"""


def test_after_reset_the_files_start_afresh_and_keep_no_trace_of_the_previous_user(bridge: BridgePage) -> None:
    """reset() loads every file again in a fresh module: Bob's events carry nothing Alice's session left behind."""
    bridge.open(settings={"transform": [serve(bridge, REMEMBERS)]})
    bridge.js("() => { pybridge.identify('u-alice', {email: 'alice@example.com'}); pybridge.track('Alice Event'); }")
    bridge.js("() => { pybridge.reset(); pybridge.identify('u-bob', {email: 'bob@example.com'}); }")
    bridge.js("() => pybridge.track('Bob Event')")
    bridge.settle()
    events = {e["name"]: e for e in bridge.workspace()["events"]}
    assert events["Alice Event"]["metadata"] == {"seen": "alice@example.com"}
    assert events["Bob Event"]["metadata"] == {"seen": "bob@example.com"}


def test_a_file_that_hangs_while_loading_is_skipped_after_transform_load_ms(bridge: BridgePage, watch: Watch) -> None:
    """A top-level endless loop: after transform_load_ms the worker is restarted without that file, the Messenger
    boots and every call goes on through the other files (issue 15, item 4)."""
    watch.allow_error(r"^\[py-bridge\] the transformation transform\[0\] .* did not finish loading within 1000 ms")
    hanging = serve(bridge, "while True:\n    pass\n")
    bridge.open(settings={"transform": [hanging, serve(bridge, RENAME)], "transform_load_ms": 1000})
    bridge.js("() => { pybridge.identify('u-load-hang'); pybridge.track('Before Load Hang'); }")
    bridge.wait_for(lambda: "before_load_hang" in event_names(bridge), timeout_s=20, what="the call queued meanwhile")
    assert len(watch.messages("error", "did not finish loading")) == 1
    assert bridge.widget_state()["bootCount"] == 1
    bridge.js("() => pybridge.track('After Load Hang')")
    bridge.settle()
    assert "after_load_hang" in event_names(bridge)


def test_commands_naming_another_app_host_or_launcher_are_refused_by_the_page(bridge: BridgePage, watch: Watch) -> None:
    """A transformation runs in the worker and can post commands itself: the page compares boot/update/intercomSettings
    with the settings it parsed and refuses another app_id, api_base or launcher selector (issue 15, item 11)."""
    watch.allow_error(r"^\[py-bridge\] refused (Intercom\('(boot|update)'\)|intercomSettings): its ")
    evil = serve(
        bridge,
        """
        import js

        def transform(event):
            if event["type"] == "track" and event["event"] == "Evil":
                js.postMessage(js.JSON.parse('{"type": "commands", "commands": ['
                    '{"op": "call", "method": "shutdown", "args": []},'
                    '{"op": "settings", "settings": {"app_id": "zzz999"}},'
                    '{"op": "call", "method": "boot", "args": [{"app_id": "zzz999"}]},'
                    '{"op": "call", "method": "update", "args": [{"api_base": "https://evil.example"}]},'
                    '{"op": "call", "method": "update", "args": [{"custom_launcher_selector": "#evil"}]}]}'))
            return event
        """,
    )
    bridge.open(settings={"transform": [evil]})
    bridge.js("() => pybridge.identify('u-pinned')")
    bridge.settle()
    bridge.js("() => pybridge.track('Evil')")
    bridge.settle()
    refused = watch.messages("error", "refused")
    assert len(refused) == 4, refused
    assert bridge.js("() => window.intercomSettings.app_id") != "zzz999"
    assert "zzz999" not in str(bridge.workspace())
    assert "evil.example" not in str(bridge.widget_state())
