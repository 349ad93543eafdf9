"""Faults injected for real in Chromium: the bridge reports them once, never throws into the page, loses no call."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.bridge_page import SNIPPET, BridgePage
from tests.e2e.conftest import Watch

HOSTILE_CALLS = r"""
() => {
  const circular = {name: 'loop'}; circular.self = circular;
  let deep = {}; const root = deep; for (let i = 0; i < 5000; i++) { deep.next = {}; deep = deep.next; }
  const polluted = JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "ok": 1}');
  const big = 'x'.repeat(1024 * 1024);
  const results = [];
  const attempts = [
    () => pybridge.identify('u-hostile', {email: 'h@example.com', self: circular, fn: () => 1, sym: Symbol('s'),
                                          n: BigInt(12), nan: NaN, inf: Infinity, deep: root, big: big,
                                          when_at: new Date('2024-05-01T00:00:00Z'), bad_date: new Date('nope')}),
    () => pybridge.identify(12345, 'text'),
    () => pybridge.track(undefined),
    () => pybridge.track(null),
    () => pybridge.track(42),
    () => pybridge.track('   '),
    () => pybridge.track('Hostile Props', polluted),
    () => pybridge.track('Huge', {big: big, list: [1, 2, 3], date: new Date(0)}),
    () => pybridge.group(undefined, {name: 'No id'}),
    () => pybridge.group({}, 'nonsense'),
    () => pybridge.page(12, {}, 'x'),
    () => pybridge.push(['explode', 1]),
    () => pybridge.push('not an array'),
    () => pybridge.intercom.showSpace('<img src=x>'),
    () => pybridge.intercom.showArticle('1; alert(1)'),
    () => pybridge.intercom.on('nonsense', 5),
    () => pybridge.ready('not a function'),
    () => pybridge.identify(Symbol('id')),
  ];
  for (const attempt of attempts) {
    try { attempt(); results.push('ok'); } catch (e) { results.push('threw: ' + e.message); }
  }
  return results;
}
"""


def test_blocked_widget_warns_once_and_the_page_keeps_working(bridge: BridgePage, watch: Watch) -> None:
    """An ad blocker blocks widget.intercom.io: one warning, ready still fires, calls accepted without growth."""
    watch.blocked.append(re.compile(r"widget\.intercom\.io"))
    watch.allow_error(r"ERR_BLOCKED_BY_CLIENT|Failed to load resource")
    bridge.open()
    warnings = watch.messages("warning", "could not load")
    assert len(warnings) == 1
    assert warnings[0].startswith("[py-bridge] the Intercom Messenger could not load")
    queued = bridge.js("() => window.Intercom.q.length")  # kept: a later copy of the widget may still drain it
    results = bridge.js("() => { for (let i = 0; i < 500; i++) pybridge.track('Offline ' + i); return 'ok'; }")
    assert results == "ok"
    bridge.js("() => pybridge.identify('u-blocked', {email: 'b@example.com'})")
    bridge.handled()  # Python handled the identify and the page applied its decision (the widget cannot answer)
    assert bridge.js("() => window.Intercom.q.length") == queued  # nothing piles up in the stub
    assert bridge.js("() => document.querySelector('h1').textContent") == "Host page"


@pytest.mark.parametrize(
    ("asset", "fault", "fast_start"),
    [
        ("pyodide-*/pyodide.asm.wasm", "404", True),
        ("stdlib-*.zip", "404", False),  # a snapshot start needs neither zip: the normal start does
        ("py_bridge-*.zip", "404", False),
        ("pyodide-*/pyodide.asm.wasm", "wrong-mime", True),
        ("py_bridge-*.zip", "hang", False),
        ("worker.mjs", "404", True),
    ],
)
def test_bundle_asset_faults_give_one_clear_error_and_calls_never_throw(
    bridge: BridgePage, watch: Watch, page: Page, asset: str, fault: str, fast_start: bool
) -> None:
    """A missing, mistyped or never-answered bundle asset: start-up is raced against a timeout; one error."""
    # Pyodide reports the injected fault itself too ("Error occurred while installing the standard library", the
    # file's 404), depending on how far the start got before start_timeout_ms: that is the fault, not a problem.
    watch.allow_error(
        r"^\[py-bridge\] |Failed to load resource|pyodide|wasm|WebAssembly|python|standard library|stdlib-"
    )

    def inject(route: Route) -> None:
        if fault == "404":
            route.fulfill(status=404, body="missing")
        elif fault == "wrong-mime":
            response = route.fetch()
            route.fulfill(response=response, headers={**response.headers, "content-type": "text/plain"})
        # "hang": never answer

    page.route(f"**/py-bridge/{asset}", inject)
    bridge.open(settings={"start_timeout_ms": 4000, "fast_start": fast_start}, wait_ready=False)
    calls = "() => { pybridge.identify('u1', {}); pybridge.track('x'); pybridge.page(); return 'ok'; }"
    assert bridge.js(calls) == "ok"
    if fault == "wrong-mime":
        # Pyodide falls back from streaming compilation; either it starts or it reports one clear error.
        bridge.wait_for(
            lambda: watch.messages("error", "[py-bridge]") or (bridge.widget_state() or {}).get("booted"),
            timeout_s=20,
            what="start or error",
        )
        return
    errors = bridge.wait_for(lambda: watch.messages("error", "[py-bridge]"), timeout_s=20, what="start error")
    assert len(errors) == 1, errors
    assert "py-bridge is disabled on this page" in errors[0]
    assert bridge.js(calls) == "ok"
    bridge.nothing_booted()


def test_csp_that_forbids_workers_is_reported_not_thrown(bridge: BridgePage, watch: Watch) -> None:
    """A CSP without worker-src for us: one [py-bridge] error; the page and pybridge calls keep working."""
    watch.allow_error(r"^\[py-bridge\] |Content Security Policy|Refused")
    csp = "script-src 'self' 'wasm-unsafe-eval' https://widget.intercom.io; worker-src 'none'"
    bridge.open(headers={"Content-Security-Policy": csp}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "[py-bridge]"), what="worker error")
    assert bridge.js("() => { pybridge.track('after'); return 'ok'; }") == "ok"


def test_worker_crash_mid_session_is_detected_and_later_calls_do_not_throw(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """The worker dies mid-session (self.close()): detected by the watchdog, reported once, calls still safe."""
    watch.allow_error(r"^\[py-bridge\] ")

    bridge.crash_worker_on("crash-now")
    bridge.open(settings={"start_timeout_ms": 10000})
    bridge.settle()
    bridge.js("() => pybridge.track('crash-now')")
    errors = bridge.wait_for(lambda: watch.messages("error", "stopped responding"), timeout_s=30, what="crash report")
    assert len(errors) == 1
    assert bridge.js("() => { for (let i = 0; i < 100; i++) pybridge.track('after crash'); return 'ok'; }") == "ok"
    bridge.console_seen()  # the worker is gone, so no marker can cross it: every line printed so far is recorded
    assert len(watch.messages("error", "[py-bridge]")) == 1


def test_thousands_of_calls_made_during_start_arrive_in_order(bridge: BridgePage) -> None:
    """5,000 calls queued before Python starts all reach Intercom, in order, none lost."""
    before = f"<script>{SNIPPET}for (let i = 0; i < 5000; i++) pybridge.track('Early', {{i: i}});</script>"
    bridge.open(before=before)
    bridge.wait_for(lambda: len(bridge.calls("trackEvent")) >= 5000, timeout_s=60, what="5000 events")
    order = [c[1][1]["i"] for c in bridge.calls("trackEvent")]
    assert order == list(range(5000))


def test_the_prestart_queue_is_bounded_and_says_when_it_drops(bridge: BridgePage, watch: Watch) -> None:
    """With max_queue 100, 150 calls before start: the first 100 arrive in order, a warning reports the drop."""
    before = f"<script>{SNIPPET}for (let i = 0; i < 150; i++) pybridge.track('Bounded', {{i: i}});</script>"
    # calls pushed before the tag are replayed into the bounded queue by embed.js
    bridge.open(before=before, settings={"max_queue": 100})
    bridge.settle()  # a marker track made after the start arrives after every replayed call
    assert [c[1][1]["i"] for c in bridge.calls("trackEvent") if c[1][0] == "Bounded"] == list(range(100))
    assert watch.messages("warning", "pre-start queue is full (100 calls")
    assert watch.messages("warning", "50 call(s) were dropped before Python started")


def test_a_burst_of_3000_tracks_in_one_tick_arrives_in_order_without_long_tasks(bridge: BridgePage) -> None:
    """3,000 tracks in one tick reach Intercom in order; our main-thread work stays under the long-task bar."""
    bridge.open()
    bridge.settle()
    bridge.js(
        "() => { window.__longTasks = []; new PerformanceObserver(l => l.getEntries().forEach(e =>"
        " window.__longTasks.push(e.duration))).observe({type: 'longtask'});"
        " for (let i = 0; i < 3000; i++) pybridge.track('Burst', {i: i}); }"
    )
    bridge.wait_for(
        lambda: len([c for c in bridge.calls("trackEvent") if c[1][0] == "Burst"]) >= 3000, timeout_s=60, what="burst"
    )
    order = [c[1][1]["i"] for c in bridge.calls("trackEvent") if c[1][0] == "Burst"]
    assert order == list(range(3000))
    long_tasks = bridge.js("() => window.__longTasks")
    assert all(duration < 200 for duration in long_tasks), long_tasks


def test_hostile_input_is_dropped_or_repaired_and_the_bridge_keeps_working(bridge: BridgePage, watch: Watch) -> None:
    """Circular, functions, Symbols, BigInt, NaN, deep nesting, megabyte strings, prototype keys: no throw."""
    bridge.open()
    results = bridge.js(HOSTILE_CALLS)
    assert results == ["ok"] * len(results)
    bridge.settle()
    warnings = watch.messages("warning", "[py-bridge]")
    for expected in ("circular", "cannot be sent", "not a finite number", "prototype", "event name must be"):
        assert any(expected in w for w in warnings), (expected, warnings)
    user = next(u for u in bridge.users() if u["user_id"] == "u-hostile")
    assert user["custom_attributes"]["n"] == 12
    assert user["custom_attributes"]["when_at"] == 1714521600
    assert len(user["custom_attributes"]["big"]) == 255
    assert "self" not in user["custom_attributes"]
    assert bridge.workspace()["rejections"] == []
    # everything the widget received is plain JSON (no functions, no NaN, nothing huge)
    text = json.dumps(bridge.calls(), allow_nan=False)
    assert len(text) < 200_000


def test_consent_required_loads_nothing_until_granted_then_replays(bridge: BridgePage, watch: Watch) -> None:
    """consent.required: no Intercom request, no intercom-* cookie, no stored id before consent; then replay."""
    bridge.open(settings={"consent": {"required": True}})
    bridge.js("() => { pybridge.identify('u-consent', {email: 'c@example.com'}); pybridge.track('Before Consent'); }")
    bridge.handled()  # Python held both calls; a load it decided would be on the page by now
    assert bridge.intercom_on_the_page() == []
    assert watch.intercom_requests == []
    assert not [c for c in bridge.page.context.cookies() if c["name"].startswith("intercom")]
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')") is None
    bridge.js("() => pybridge.consent(true)")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-consent"]
    assert any(e["name"] == "Before Consent" for e in bridge.workspace()["events"])
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')")


def test_consent_refused_drops_the_held_calls_and_loads_nothing(bridge: BridgePage, watch: Watch) -> None:
    """consent(false): held calls dropped, nothing loaded, later calls dropped too."""
    bridge.open(settings={"consent": {"required": True}})
    bridge.js("() => { pybridge.identify('u-no', {}); pybridge.consent(false); pybridge.track('After Refusal'); }")
    bridge.wait_for(lambda: watch.messages("info", "consent refused"), what="refusal")
    bridge.handled()  # the track after the refusal was handled too
    assert bridge.intercom_on_the_page() == []
    assert watch.intercom_requests == []


def test_strict_csp_without_unsafe_eval_or_inline_works(bridge: BridgePage) -> None:
    """script-src 'self' 'wasm-unsafe-eval' https://widget.intercom.io; worker-src 'self': the tag works."""
    csp = "script-src 'self' 'wasm-unsafe-eval' https://widget.intercom.io; worker-src 'self'"
    bridge.open(headers={"Content-Security-Policy": csp})
    bridge.js("() => pybridge.identify('u-csp', {email: 'csp@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-csp"]


def test_identity_values_are_redacted_from_debug_logs(bridge: BridgePage, watch: Watch) -> None:
    """With debug on, user_hash never appears in console lines or pybridge:log events."""
    bridge.open(settings={"debug": True})
    bridge.js(
        "() => { window.__logs = [];"
        " addEventListener('pybridge:log', e => window.__logs.push(JSON.stringify(e.detail)));"
        " pybridge.identify('u-hash', {email: 'h@example.com'}, {integrations: {Intercom: {user_hash: 'f00dfeed'}}}); }"
    )
    bridge.settle()
    logs = bridge.js("() => window.__logs.join('\\n')")
    assert "[redacted]" in logs
    assert "f00dfeed" not in logs
    assert "f00dfeed" not in json.dumps(watch.console)
    assert "u-hash" in logs


def test_a_huge_shared_object_graph_is_cut_instead_of_freezing_the_page(bridge: BridgePage, watch: Watch) -> None:
    """{a: o, b: o} nested 40 times is 2^40 values as a tree: the call returns at once and a warning says so."""
    bridge.open()
    elapsed = bridge.js(
        "() => { let o = {v: 1}; for (let i = 0; i < 40; i++) o = {a: o, b: o};"
        " const t = performance.now(); pybridge.track('Graph', {kept: 'yes', graph: o});"
        " return performance.now() - t; }"
    )
    assert elapsed < 500
    bridge.settle()
    assert watch.messages("warning", "carries too much data")
    event = next(c for c in bridge.calls("trackEvent") if c[1][0] == "Graph")
    assert event[1][1] == {"kept": "yes"}
