"""Integrity: hostile or careless pages cannot steer the tag, stop it, or freeze themselves through it.

Each test reproduces one finding of the hostile-page review (DOM clobbering, a tampered snapshot, Trusted Types,
a throwing Intercom getter, a frozen Object.prototype, a replaced Promise, bursts, single huge calls, consent and
the anonymous id, prototype pollution) and pins the repaired behaviour.
"""

from __future__ import annotations

import time

from playwright.sync_api import Request

from tests.e2e.bridge_page import APP_ID, SNIPPET, BridgePage
from tests.e2e.conftest import Watch

# The log lines, and the start-up figures the "Python started" line carries as data (`started`: {ms, mode}).
LOG_CAPTURE = (
    "window.__logs = []; window.__started = []; addEventListener('pybridge:log', e => {"
    " window.__logs.push(String(e.detail.message || ''));"
    " if (e.detail.started) window.__started.push(e.detail.started); });"
)
# A stand-in for an Intercom install the page made itself: counts what the bridge calls, answers nothing.
COUNTING_INTERCOM = (
    "<script>window.__counted = {};"
    "window.Intercom = function (method) { window.__counted[method] = (window.__counted[method] || 0) + 1; };"
    "</script>"
)


def requested(bridge: BridgePage) -> list[str]:
    urls: list[str] = []

    def record(request: Request) -> None:
        urls.append(request.url)

    bridge.page.on("request", record)
    return urls


def test_a_clobbered_current_script_cannot_choose_the_bundle_folder(bridge: BridgePage, watch: Watch) -> None:
    """`<img name="currentScript">` shadows document.currentScript; the tag still loads only its own bundle."""
    watch.allow_error(r"Failed to load resource")  # the injected image itself is a 404
    urls = requested(bridge)
    attacker = f"{bridge.server.origin}/attacker/x/embed.js"
    bridge.open(before=f'<img name="currentScript" src="{attacker}" data-app-id="{APP_ID}">')
    bridge.js("() => pybridge.identify('u-clobber', {email: 'c@example.com'})")
    bridge.settle()
    assert not [u for u in urls if "/attacker/" in u and not u.endswith("/attacker/x/embed.js")], urls
    assert any(u.endswith("/py-bridge/worker.mjs") for u in urls)
    assert [u["user_id"] for u in bridge.users()] == ["u-clobber"]


def test_elements_named_pybridge_do_not_switch_the_bridge_off(bridge: BridgePage, watch: Watch) -> None:
    """`<a id="pybridge">` and `<a name="__pybridge">` make window.pybridge an element; the tag is not fooled."""
    bridge.open(before='<a id="pybridge" href="#"></a><a id="pybridge" name="__pybridge" href="#"></a>')
    bridge.js("() => pybridge.track('Not Clobbered')")
    bridge.settle()
    assert not watch.messages(contains="included more than once")
    assert "Not Clobbered" in [e["name"] for e in bridge.workspace()["events"]]


def test_a_snapshot_written_into_cache_storage_is_never_loaded(bridge: BridgePage) -> None:
    """Any script of the origin can write Cache Storage: the worker never reads a snapshot from there, only the
    build's own file (HTTP cache or network), and that one only when its SHA-256 matches the build."""
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    bridge.js(
        "async () => { const cache = await caches.open('py-bridge-snapshot');"
        " const bytes = new Uint8Array(1024 * 1024); bytes.fill(7);"
        " for (const n of ['snapshot.bin', 'py-bridge/snapshot.bin']) await cache.put('/' + n, new Response(bytes)); }"
    )
    bridge.open()
    assert bridge.js("() => window.__started"), bridge.js("() => window.__logs")
    bridge.js("() => pybridge.identify('u-after-tamper')")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-after-tamper"]


def test_trusted_types_enforcement_works_with_the_py_bridge_policy(bridge: BridgePage, watch: Watch) -> None:
    """Under `require-trusted-types-for 'script'`, the policy named py-bridge vouches for the worker and widget."""
    csp = "require-trusted-types-for 'script'; trusted-types py-bridge"
    bridge.open(headers={"Content-Security-Policy": csp})
    bridge.js("() => pybridge.identify('u-tt', {email: 'tt@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-tt"]


def test_trusted_types_without_our_policy_is_one_clear_error(bridge: BridgePage, watch: Watch) -> None:
    """A CSP that allows other policies only: the tag says which CSP line to add; the page never sees an error."""
    watch.allow_error(r"^\[py-bridge\] ")
    watch.allow_error(r"TrustedTypePolicy|requires 'TrustedScriptURL'")  # the browser's own CSP reports
    csp = "require-trusted-types-for 'script'; trusted-types site-policy"
    bridge.open(headers={"Content-Security-Policy": csp}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "trusted-types py-bridge"), what="trusted types error")
    bridge.js("() => pybridge.track('still accepted')")


def test_a_throwing_intercom_getter_is_one_warning_and_never_a_page_error(bridge: BridgePage, watch: Watch) -> None:
    """window.Intercom defined as a getter that throws: the Messenger is reported unavailable; ready still fires."""
    before = "<script>Object.defineProperty(window, 'Intercom', {get() { throw new Error('no'); }});</script>"
    bridge.open(before=before)
    assert watch.messages("warning", "could not load")
    assert bridge.js("() => { pybridge.track('x'); pybridge.identify('u'); return 'ok'; }") == "ok"


def test_a_frozen_object_prototype_and_a_trait_named_tostring_keep_the_bridge_working(bridge: BridgePage) -> None:
    """Strict-mode writes of a key such as toString throw under a frozen prototype; the tag never makes them."""
    bridge.open(before="<script>Object.freeze(Object.prototype);</script>")
    bridge.js("() => pybridge.identify('u-frozen', {toString: 'kept as data', plan: 'pro'})")
    bridge.js("() => pybridge.track('After Freeze', {valueOf: 1})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-frozen"]
    assert "After Freeze" in [e["name"] for e in bridge.workspace()["events"]]


def test_a_page_without_promise_loses_no_call(bridge: BridgePage, watch: Watch) -> None:
    """window.Promise removed at the moment of a call: the call is queued and sent, and so are later ones."""
    bridge.open()
    threw = bridge.js(
        "() => { const P = window.Promise; window.Promise = undefined; let threw = null;"
        " try { pybridge.track('Without Promise'); } catch (e) { threw = String(e); }"
        " setTimeout(() => { window.Promise = P; }, 0); return threw; }"
    )
    assert threw is None
    bridge.wait_for(lambda: bridge.js("() => typeof window.Promise === 'function'"), what="window.Promise restored")
    bridge.js("() => pybridge.track('After Promise')")
    bridge.settle()
    names = [e["name"] for e in bridge.workspace()["events"]]
    assert "Without Promise" in names
    assert "After Promise" in names
    assert not watch.messages(contains="failed")


def test_a_burst_longer_than_the_start_timeout_is_worked_through_and_its_overflow_counted(
    bridge: BridgePage, watch: Watch
) -> None:
    """200,000 tracks in one tick with start_timeout_ms 5000: the worker is busy, not dead (heartbeats); the
    backlog bound (50,000 calls) keeps the first 50,000, which all arrive, and the overflow is counted once."""
    bridge.open(before=COUNTING_INTERCOM, settings={"start_timeout_ms": 5000})
    started = time.monotonic()
    bridge.js("() => { for (let i = 0; i < 200000; i++) pybridge.track('Burst', {i}); }")
    bridge.wait_for(
        lambda: bridge.js("() => window.__counted.trackEvent || 0") >= 50000, timeout_s=120, what="50,000 tracks"
    )
    dropped = bridge.wait_for(lambda: watch.messages("warning", "dropped while the worker was busy"), what="count")
    assert dropped[0].startswith("[py-bridge] 150000 call(s) were dropped"), dropped
    bridge.js("() => pybridge.track('After Burst')")
    bridge.wait_for(lambda: bridge.js("() => window.__counted.trackEvent") == 50001, what="the next call")
    assert not watch.messages(contains="stopped responding")
    print(f"200,000-call burst handled in {time.monotonic() - started:.1f} s")


def test_calls_with_ten_megabyte_keys_are_cut_not_carried(bridge: BridgePage, watch: Watch) -> None:
    """Object keys are bounded like values: a 10 MB key is dropped with one warning and the call still arrives."""
    bridge.open()
    elapsed = bridge.js(
        "() => { const key = 'k'.repeat(10 * 1024 * 1024); const t = performance.now();"
        " for (let i = 0; i < 20; i++) pybridge.track('Long Key', {[key]: i, kept: i});"
        " return performance.now() - t; }"
    )
    bridge.settle()
    events = [e for e in bridge.workspace()["events"] if e["name"] == "Long Key"]
    assert events
    assert all(set(e["metadata"]) == {"kept"} for e in events)
    assert len(watch.messages("warning", "object keys longer than")) == 1
    assert elapsed < 1000, elapsed


def test_single_hostile_calls_return_at_once(bridge: BridgePage) -> None:
    """A 4e9 length, a 100 MB typed array and an object of 10^6 keys cost the page a bounded, short time."""
    bridge.open()
    timings = bridge.js(
        "() => { const out = {}; let t = performance.now();"
        " pybridge.push({length: 4e9, 0: 'track', 1: 'Huge Length'}); out.length = performance.now() - t;"
        " const bytes = new Uint8Array(1e8); t = performance.now();"
        " pybridge.track('Typed', {bytes}); out.typed = performance.now() - t;"
        " const wide = {}; for (let i = 0; i < 1e6; i++) wide['k' + i] = i; t = performance.now();"
        " pybridge.identify('u-wide', wide); out.wide = performance.now() - t; return out; }"
    )
    assert timings["length"] < 50, timings
    assert timings["typed"] < 50, timings
    assert timings["wide"] < 1500, timings
    bridge.settle()
    names = [e["name"] for e in bridge.workspace()["events"]]
    assert "Huge Length" in names
    assert "Typed" in names


def test_consent_keeps_one_anonymous_id_across_page_views_and_refusal_forgets_it(bridge: BridgePage) -> None:
    """With consent required, a granted visitor keeps one anonymous id per browser; consent(false) removes it."""
    settings = {"consent": {"required": True}}
    bridge.open(settings=settings)
    bridge.js("() => pybridge.consent(true)")
    first = bridge.js("() => localStorage.getItem('pybridge.anonymous_id')")
    assert first
    bridge.open(settings=settings)
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')") == first
    bridge.js("() => pybridge.consent(true)")
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')") == first
    bridge.js("() => pybridge.consent(false)")
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')") is None


def test_calls_queued_with_the_snippet_keep_the_browser_context(bridge: BridgePage) -> None:
    """The README snippet captures url/title/time; locale, user agent and timezone are added when replayed."""
    before = f"<script>{SNIPPET}pybridge.identify('u-ctx-q', {{email: 'q@example.com'}});</script>"
    bridge.open(before=before, settings={"include_context": True})
    bridge.settle()
    user = bridge.users()[0]
    attributes = user["custom_attributes"]
    assert any("Chrome" in str(v) for v in attributes.values()), attributes
    assert any(
        str(v) == bridge.js("() => Intl.DateTimeFormat().resolvedOptions().timeZone") for v in attributes.values()
    )


def test_intercom_on_with_prototype_names_and_throwing_arguments_never_throws(bridge: BridgePage, watch: Watch) -> None:
    """intercom.on('constructor'|'__proto__') and arguments whose toString throws: warnings, never exceptions."""
    bridge.open()
    result = bridge.js(
        "() => { const evil = {toString() { throw new Error('boom'); }};"
        " pybridge.intercom.on('constructor', () => {}); pybridge.intercom.on('__proto__', () => {});"
        " pybridge.intercom.on(evil, () => {}); pybridge.push(evil); pybridge.track(evil);"
        " pybridge.ready(evil); pybridge.consent(evil); return 'ok'; }"
    )
    assert result == "ok"
    assert watch.messages("warning", "intercom.on(event, fn)")


def test_repeated_resets_boot_one_fresh_visitor(bridge: BridgePage) -> None:
    """reset() x 10,000 is one logout: one shutdown and one visitor boot, not ten thousand."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-reset', {email: 'r@example.com'})")
    bridge.settle()
    boots = bridge.widget_state()["bootCount"]
    started = time.monotonic()
    bridge.js("() => { for (let i = 0; i < 10000; i++) pybridge.reset(); }")
    bridge.settle()
    assert bridge.widget_state()["bootCount"] == boots + 1
    assert time.monotonic() - started < 20


def test_a_polluted_object_prototype_is_not_read_as_settings(bridge: BridgePage, watch: Watch) -> None:
    """Object.prototype.sandbox_url / max_queue set by another script never configure the tag."""
    before = (
        f"<script>Object.prototype.max_queue = 1; Object.prototype.sandbox_url = '{bridge.server.origin}/evil';"
        f"{SNIPPET}pybridge.track('One'); pybridge.track('Two'); pybridge.track('Three');</script>"
    )
    urls = requested(bridge)
    bridge.open(before=before, wait_ready=False)
    bridge.js("() => { delete Object.prototype.max_queue; delete Object.prototype.sandbox_url; }")
    bridge.wait_ready()
    bridge.settle()
    names = [e["name"] for e in bridge.workspace()["events"]]
    assert {"One", "Two", "Three"} <= set(names)
    assert not [u for u in urls if "/evil" in u]
    assert not watch.messages(contains="pre-start queue is full")


def test_elements_named_add_event_listener_do_not_stop_the_interaction_policy(bridge: BridgePage, watch: Watch) -> None:
    """`<img name="addEventListener">` / `<form name="addEventListener">` shadow document's and window's method
    (issue 15, item 13): the interaction policy (Save-Data and 2g visitors' default) still starts on hover."""
    watch.allow_error(r"Failed to load resource")  # the injected image has no source
    bridge.open(
        before='<img name="addEventListener"><form name="addEventListener"></form>',
        settings={"load": "interaction"},
        wait_ready=False,
    )
    bridge.wait_for(lambda: bridge.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
    assert bridge.js("() => typeof document.addEventListener") == "object"  # clobbered indeed
    # The tag has armed its interaction listeners. The clobbering goes before the Messenger loads: Intercom's own
    # loader (and the sandbox standing in for it) calls document.addEventListener itself.
    bridge.js("() => document.querySelectorAll('[name=addEventListener]').forEach((element) => element.remove())")
    bridge.page.hover("#help")
    bridge.wait_ready()
    bridge.js("() => pybridge.track('Clobbered Listener')")
    bridge.settle()
    assert "Clobbered Listener" in [e["name"] for e in bridge.workspace()["events"]]


def test_a_polluted_prototype_does_not_make_the_tag_think_it_runs_twice(bridge: BridgePage, watch: Watch) -> None:
    """`Object.prototype.__pybridge = true` before the tag: only the tag's own marker counts (item 13)."""
    bridge.open(before="<script>Object.prototype.__pybridge = true; window.pybridge = [];</script>")
    bridge.js("() => pybridge.track('Not Polluted')")
    bridge.settle()
    assert not watch.messages(contains="included more than once")
    assert "Not Polluted" in [e["name"] for e in bridge.workspace()["events"]]
