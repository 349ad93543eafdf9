"""Security: the executor only does what it was built to do; selectors and settings are validated; no traces."""

from __future__ import annotations

from playwright.sync_api import Page, Route

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

EVIL = "https://evil.example/steal.js"


def test_a_tampered_worker_cannot_make_the_page_load_foreign_scripts_or_call_arbitrary_code(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """Commands outside the allowlist (foreign script, eval, unknown ops) are refused by the executor."""
    watch.allow_error(r"^\[py-bridge\] refused to load")

    def tampered(route: Route) -> None:
        original = route.fetch().text()
        attack = (
            "self.postMessage({type: 'commands', commands: ["
            f" {{op: 'load', src: '{EVIL}'}},"
            " {op: 'call', method: 'eval', args: ['window.__pwned = 1']},"
            " {op: 'call', method: 'constructor', args: []},"
            " {op: 'exec', code: 'window.__pwned = 2'},"
            " {op: 'settings', settings: 'not an object'}]});\n"
        )
        route.fulfill(body=attack + original, headers={"content-type": "text/javascript"})

    page.route("**/py-bridge/worker.mjs", tampered)
    bridge.open(wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "refused to load"), what="refusal")
    assert EVIL not in watch.external
    assert bridge.js("() => window.__pwned") is None
    assert not bridge.js("() => [...document.scripts].some(s => s.src.includes('evil.example'))")


# Every object a page script can reach from `window` (own properties, also non-enumerable) and from `pybridge`, a few
# levels deep, that is a channel into the executor: a Worker (dispatching a forged "message" event on it runs the
# page's onmessage with commands of the script's choosing), a MessagePort or a BroadcastChannel.
REACHABLE_CHANNELS = """
() => {
  const kinds = [['Worker', window.Worker], ['MessagePort', window.MessagePort],
                 ['BroadcastChannel', window.BroadcastChannel]];
  const found = []; const seen = new Set();
  const visit = (value, path, depth) => {
    if (!value || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    for (const [name, type] of kinds) {
      if (typeof type === 'function' && value instanceof type) found.push(name + ' at ' + path);
    }
    if (depth === 0 || value instanceof Node) return;
    let keys = [];
    try { keys = Object.getOwnPropertyNames(value); } catch (e) { return; }
    for (const key of keys) {
      let child;
      try { child = value[key]; } catch (e) { continue; }
      visit(child, path + '.' + key, depth - 1);
    }
  };
  for (const key of Object.getOwnPropertyNames(window)) {
    if (key === 'window' || key === 'self' || key === 'top' || key === 'parent' || key === 'frames') continue;
    let value;
    try { value = window[key]; } catch (e) { continue; }
    visit(value, 'window.' + key, key === 'pybridge' ? 4 : 1);
  }
  return found;
}
"""


def test_a_page_script_finds_no_handle_to_the_bridges_worker(bridge: BridgePage) -> None:
    """The executor takes commands only from its own worker's onmessage, and no handle to that worker (or any other
    message channel) is reachable from window or pybridge, so a later script cannot forge commands. (A script that
    runs before the tag can wrap window.Worker; that script is the page's own and trusted.)"""
    bridge.open()
    bridge.settle()
    assert bridge.js("() => typeof window.Worker") == "function"
    assert bridge.js(REACHABLE_CHANNELS) == []


def test_invalid_or_markup_selectors_are_rejected_and_never_reach_intercom(bridge: BridgePage, watch: Watch) -> None:
    """data-widget-id that is not a CSS selector (or carries markup): one error, nothing loaded."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(widget_id="#help[[", wait_ready=False)
    error = bridge.wait_for(lambda: watch.messages("error", "widget_id"), what="selector error")
    assert "is not a valid CSS selector in this page" in error[0]
    assert "#help[[" not in error[0]
    assert watch.intercom_requests == []


def test_markup_in_the_selector_is_refused(bridge: BridgePage, watch: Watch) -> None:
    """A selector carrying markup is refused before it could be inserted anywhere."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(widget_id='<img src=x onerror="window.__pwned=1">', wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "widget_id"), what="selector error")
    assert bridge.js("() => window.__pwned") is None
    assert watch.intercom_requests == []


def test_a_cdn_bundle_under_a_csp_without_wasm_permission_fails_cleanly(
    bridge: BridgePage, watch: Watch, cdn_server: DevServer
) -> None:
    """The blob worker inherits the page's CSP: without 'wasm-unsafe-eval' Pyodide cannot start; one clear error."""
    watch.allow_error(r"^\[py-bridge\] |Content Security Policy|Refused|WebAssembly|wasm")
    origin = cdn_server.origin
    csp = f"script-src 'self' {origin} https://widget.intercom.io; worker-src blob: {origin}"
    bridge.open(
        src=f"{origin}/py-bridge/embed.js",
        settings={"start_timeout_ms": 8000},
        headers={"Content-Security-Policy": csp},
        wait_ready=False,
    )
    bridge.wait_for(lambda: watch.messages("error", "[py-bridge]"), timeout_s=20, what="start error")
    assert bridge.js("() => { pybridge.track('x'); return 'ok'; }") == "ok"
    bridge.nothing_booted()


def test_a_cdn_bundle_under_the_documented_csp_works(bridge: BridgePage, cdn_server: DevServer) -> None:
    """The README's CSP for a bundle on a CDN origin is enough."""
    origin = cdn_server.origin
    csp = (
        f"script-src 'self' {origin} 'wasm-unsafe-eval' https://widget.intercom.io; worker-src blob: {origin};"
        f" connect-src 'self' {origin} https://*.intercom.io"
    )
    bridge.open(src=f"{origin}/py-bridge/embed.js", headers={"Content-Security-Policy": csp})
    bridge.js("() => pybridge.identify('u-cdn-csp', {email: 'c@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-cdn-csp"]


def test_reset_leaves_no_trace_of_the_user_in_the_bridges_storage(bridge: BridgePage) -> None:
    """After reset nothing in localStorage/sessionStorage/cookies written by py-bridge names the previous user."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-private-7', {email: 'private@example.com'})")
    bridge.settle()
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    stored = bridge.js(
        "() => JSON.stringify({local: Object.entries(localStorage), session: Object.entries(sessionStorage),"
        " cookies: document.cookie})"
    )
    assert "u-private-7" not in stored
    assert "private@example.com" not in stored
    keys = bridge.js("() => Object.keys(localStorage).filter(k => k.startsWith('pybridge'))")
    # The new visitor's id only: the checks above show it does not name the user.
    assert keys == ["pybridge.anonymous_id"]
