"""The second entry: a PyScript page imports py_bridge in a `<script type="py">` and drives the same core.

PyScript (self-hosted under /py-bridge/pyscript/) runs Pyodide (self-hosted under /py-bridge/pyodide-<hash>/) on
the page's main thread and unpacks py_bridge-<hash>.zip (names in manifest.json) into its file system through the
`files` config; the CDN tests load all of it from the `cdn_server` origin under the CSP docs/pyscript.md documents.
The fixtures fail a test on any request that leaves the machine, on any console error and on any Python traceback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from typing import Any

from playwright.sync_api import Route

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch


def pyscript_config(bridge: BridgePage, origin: str = "") -> dict[str, Any]:
    """PyScript's config for this build: its content-hashed runtime folder and core zip, from manifest.json."""
    manifest = json.loads((bridge.server.bundle_dir / "manifest.json").read_text(encoding="utf-8"))
    return {
        "interpreter": f"{origin}/py-bridge/{manifest['runtime']}pyodide.mjs",
        "files": {f"{origin}/py-bridge/{manifest['core_zip']}": "./*"},
    }


def head(origin: str = "") -> str:
    return (
        f'<link rel="stylesheet" href="{origin}/py-bridge/pyscript/core.css">'
        f'<script type="module" src="{origin}/py-bridge/pyscript/core.js"></script>'
    )


START_TIMEOUT_MS = 60_000
PY = {"Content-Type": "text/x-python; charset=utf-8", "Access-Control-Allow-Origin": "*"}


def open_pyscript_page(
    bridge: BridgePage, code: str, *, origin: str = "", headers: dict[str, str] | None = None, before: str = ""
) -> None:
    """Open a host page whose `<script type="py">` runs `code` and then sets <body data-py-done>. With `origin`,
    PyScript, Pyodide and the core zip come from that origin (a CDN); `before` is markup ahead of PyScript."""
    body = textwrap.dedent(code).strip() + '\nfrom js import document\ndocument.body.dataset.pyDone = "1"\n'
    tag = f"<script type=\"py\" config='{json.dumps(pyscript_config(bridge, origin))}'>\n{body}</script>"
    bridge.open(before=before + head(origin), tag=tag, wait_ready=False, headers=headers)
    bridge.page.wait_for_selector("body[data-py-done]", state="attached", timeout=START_TIMEOUT_MS)


def dataset(bridge: BridgePage, key: str) -> str:
    return str(bridge.js(f"() => document.body.dataset.{key} || ''"))


def user(bridge: BridgePage, user_id: str) -> dict[str, Any] | None:
    return next((u for u in bridge.users() if u.get("user_id") == user_id), None)


def event_names(bridge: BridgePage) -> list[str]:
    return [e["name"] for e in bridge.workspace()["events"]]


def test_pyscript_page_identifies_tracks_and_binds_the_launcher(bridge: BridgePage, watch: Watch) -> None:
    """install() + identify() + track() from Python reach the sandbox workspace; #help opens the Messenger."""
    open_pyscript_page(
        bridge,
        f"""
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help")
        bridge.identify("py-user-1", {{"email": "py@example.com", "plan": "pro"}})
        bridge.track("PyScript Used", {{"n": 1}})
        """,
    )
    found = bridge.wait_for(lambda: user(bridge, "py-user-1"), timeout_s=20, what="py-user-1 in the workspace")
    assert found["email"] == "py@example.com"
    assert found["custom_attributes"]["plan"] == "pro"
    bridge.wait_for(lambda: "PyScript Used" in event_names(bridge), timeout_s=20, what="the PyScript Used event")
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "PyScript Used")
    assert event["metadata"] == {"n": 1}

    state = bridge.widget_state()
    assert state is not None
    assert state["booted"] is True
    # Calls made right after install() are replayed at start, like the embed's pre-load queue: one boot, straight
    # away as the identified user (no visitor booted and then updated).
    assert state["bootCount"] == 1
    assert state["calls"][0][0] == "boot"
    assert state["calls"][0][1][0]["user_id"] == "py-user-1"
    assert bridge.workspace()["visitors"] == {}
    # intercomSettings follow the session, so a boot Intercom's loader makes on its own keeps this user
    assert bridge.js("() => window.intercomSettings") == {
        "app_id": APP_ID,
        "custom_launcher_selector": "#help",
        "user_id": "py-user-1",
        "email": "py@example.com",
    }
    assert watch.intercom_requests.count(f"https://widget.intercom.io/widget/{APP_ID}") == 1

    assert bridge.js("() => window.__intercomSandbox.panelOpen") is False
    bridge.page.click("#help")
    bridge.wait_for(lambda: bridge.js("() => window.__intercomSandbox.panelOpen"), what="Messenger open")
    assert not watch.messages(contains="[py-bridge]"), watch.messages(contains="[py-bridge]")


def test_pyscript_hostile_call_only_warns(bridge: BridgePage, watch: Watch) -> None:
    """track("") and other bad calls from Python never raise into the page: one [py-bridge] warning each."""
    open_pyscript_page(
        bridge,
        f"""
        from datetime import datetime
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help")
        returned = bridge.track("")
        bridge.track("After Hostile", {{"ok": True, "bad": float("nan"), "when": datetime(2024, 1, 2)}})
        bridge.intercom.showSpace("nowhere")
        from js import document
        document.body.dataset.returned = str(returned is bridge)
        """,
    )
    bridge.wait_for(lambda: "After Hostile" in event_names(bridge), timeout_s=20, what="the event after the bad one")
    assert bridge.js("() => document.body.dataset.returned") == "True"
    warnings = watch.messages("warning", "[py-bridge]")
    assert any("track: event name must be a non-empty string" in w for w in warnings), warnings
    assert any("showSpace" in w for w in warnings), warnings
    assert not watch.messages("error", "[py-bridge]")
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "After Hostile")
    assert event["metadata"]["ok"] is True
    assert "bad" not in event["metadata"]
    assert event["metadata"]["when"] == 1704153600  # a datetime crosses as a date: Unix seconds for Intercom
    assert "" not in event_names(bridge)


def test_pyscript_messenger_callbacks_and_ready_run_python(bridge: BridgePage, watch: Watch) -> None:
    """on("show"/"hide") handlers and ready() callbacks are Python functions the page's Messenger calls back."""
    open_pyscript_page(
        bridge,
        f"""
        from js import document
        from py_bridge.pyscript import install
        seen = []
        def record(name):
            seen.append(name)
            document.body.dataset.seen = ",".join(seen)
        bridge = install("{APP_ID}", "#help")
        bridge.ready(lambda: record("ready"))
        bridge.on("show", lambda: record("show"))
        bridge.intercom.on("hide", lambda: record("hide"))
        bridge.on("unread", lambda count: record(f"unread={{count}}"))
        """,
    )

    def seen() -> list[str]:
        return str(bridge.js("() => document.body.dataset.seen || ''")).split(",")

    bridge.wait_for(lambda: "ready" in seen(), what="ready() callback")
    # ready() means the loader ran; the launcher binding comes with the boot, which the widget's frame may make later
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), what="the Messenger booted")
    bridge.page.click("#help")
    bridge.wait_for(lambda: "show" in seen(), what="on('show') handler")
    bridge.js("() => window.Intercom('hide')")
    bridge.wait_for(lambda: "hide" in seen(), what="on('hide') handler")
    bridge.js("() => window.__intercomSandbox.simulateUnread(3)")
    bridge.wait_for(lambda: "unread=3" in seen(), what="on('unread') handler")
    listeners = [c[0] for c in bridge.calls() if c[0] in ("onShow", "onHide", "onUnreadCountChange")]
    assert sorted(listeners) == ["onHide", "onShow", "onUnreadCountChange"]  # each registered once
    assert not watch.messages(contains="[py-bridge]"), watch.messages(contains="[py-bridge]")


def test_pyscript_bad_settings_disable_the_bridge_without_raising(bridge: BridgePage, watch: Watch) -> None:
    """An invalid App ID: one [py-bridge] error naming the field, no widget, and later calls are dropped quietly."""
    watch.allow_error(r"^\[py-bridge\] ")
    open_pyscript_page(
        bridge,
        """
        from py_bridge.pyscript import install
        bridge = install("Not An App Id!", "#help")
        bridge.identify("u-1").track("Still Fine").intercom.show()
        """,
    )
    errors = watch.messages("error", "[py-bridge]")
    assert any("app_id" in e for e in errors), errors
    assert bridge.js("() => typeof window.Intercom") == "undefined"
    assert watch.intercom_requests == []


def test_pyscript_consent_then_the_queue_stub_takes_page_calls_in_order(bridge: BridgePage, watch: Watch) -> None:
    """With consent required nothing loads; on consent the stub is a function whose q the widget drains in order."""
    open_pyscript_page(
        bridge,
        f"""
        import js
        from pyodide.ffi import create_proxy
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help", consent={{"required": True}})
        bridge.track("Held Until Consent")
        js.window.grantConsent = create_proxy(lambda: bridge.consent(True))
        js.window.handled = create_proxy(lambda: bridge.debug.export())
        """,
    )
    # The positive marker: debug.export() is answered after the held track was handled and its commands applied.
    bridge.js("async () => { await handled(); }")
    assert bridge.intercom_on_the_page() == []
    assert bridge.js("() => typeof window.Intercom") == "undefined"
    assert watch.intercom_requests == []
    # Python answers the consent on its next turn (the in-page transport delivers like postMessage): the stub is in
    # place once the `load` command is applied, and the page's own calls queue behind the held track.
    bridge.js("() => { grantConsent(); }")
    bridge.wait_for(lambda: bridge.js("() => typeof window.Intercom") == "function", what="the Intercom stub")
    bridge.js("() => { window.Intercom('trackEvent', 'From Page JS'); }")
    bridge.wait_for(lambda: "From Page JS" in event_names(bridge), timeout_s=20, what="the page's own Intercom call")
    calls = [c[0] if c[0] != "trackEvent" else c[1][0] for c in bridge.calls()]
    assert calls.index("boot") < calls.index("Held Until Consent") < calls.index("From Page JS")


RENAME = """
def transform(event):
    if event["type"] == "track":
        event["event"] = event["event"].lower().replace(" ", "_")
    return event
"""
STAMP = """
def transform(event):
    if event["type"] == "track":
        event["properties"]["via_page"] = True
    return event
"""


def test_pyscript_from_a_cdn_under_the_documented_csp(bridge: BridgePage, watch: Watch, cdn_server: DevServer) -> None:
    """PyScript, Pyodide and the core from another origin, under docs/pyscript.md's CSP: calls with callbacks,
    user(), debug groups, debug export, and transformations from the page's and the bundle's origin (another
    origin refused)."""
    cdn = cdn_server.origin
    assert cdn != bridge.server.origin
    bridge.server.add_document("/t/py/stamp.py", STAMP.lstrip(), PY)
    cdn_server.add_document("/t/py/rename.py", RENAME.lstrip(), PY)
    csp = (
        f"script-src 'self' {cdn} 'unsafe-eval' 'wasm-unsafe-eval' https://widget.intercom.io"
        f" https://js.intercomcdn.com; connect-src 'self' {cdn} https://*.intercom.io wss://*.intercom.io"
    )
    open_pyscript_page(
        bridge,
        f"""
        import asyncio
        from js import document
        from py_bridge.pyscript import install
        done = []
        def note(name):
            done.append(name)
            document.body.dataset.callbacks = ",".join(done)
        transforms = ["/t/py/stamp.py", "{cdn}/t/py/rename.py", "https://elsewhere.invalid/t.py"]
        bridge = install("{APP_ID}", "#help", transform=transforms)
        bridge.debug(True)
        bridge.identify("py-cdn-1", {{"email": "cdn@example.com"}}, lambda: note("identify"))
        bridge.track("Cdn Event", {{"n": 1}}, {{}}, lambda: note("track"))
        def on_ready():
            document.body.dataset.user = str(bridge.user().id())
            document.body.dataset.anonymous = str(bridge.anonymous_id() == bridge.user().anonymous_id())
        bridge.ready(on_ready)
        async def export():
            text = await bridge.debug.export()
            document.body.dataset.exported = text
        exporting = asyncio.ensure_future(export())
        """,
        origin=cdn,
        headers={"Content-Security-Policy": csp},
    )
    bridge.wait_for(lambda: dataset(bridge, "callbacks") == "identify,track", timeout_s=20, what="both callbacks")
    found = bridge.wait_for(lambda: user(bridge, "py-cdn-1"), timeout_s=20, what="py-cdn-1 in the workspace")
    assert found["email"] == "cdn@example.com"
    bridge.wait_for(lambda: "cdn_event" in event_names(bridge), timeout_s=20, what="the transformed event")
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "cdn_event")
    assert event["metadata"] == {"n": 1, "via_page": True}
    bridge.wait_for(lambda: dataset(bridge, "user") == "py-cdn-1", what="user() after ready")
    assert dataset(bridge, "anonymous") == "True"
    exported = bridge.wait_for(lambda: dataset(bridge, "exported"), what="debug export")
    assert '"type": "identify"' in exported
    assert '"event": "Cdn Event"' in exported  # as received: export feeds `py-bridge transform` replays
    groups = [text for kind, text in watch.console if kind == "startGroupCollapsed"]
    assert any(g.startswith('[py-bridge] identify("py-cdn-1"') for g in groups), groups
    assert any(g.startswith('[py-bridge] track("Cdn Event"') for g in groups), groups
    refused = watch.messages("warning", "elsewhere.invalid")
    assert refused
    assert all("refused" in w for w in refused)
    assert not watch.messages("error")
    requests = [r for r in watch.intercom_requests if "widget.intercom.io" in r]
    assert requests == [f"https://widget.intercom.io/widget/{APP_ID}"]


def test_pyscript_continues_a_session_the_pages_own_intercom_already_booted(bridge: BridgePage, watch: Watch) -> None:
    """The page's own Intercom booted its user from intercomSettings: install() reports it to the core as the embed
    does (env.native_session), so identifying that user updates the session instead of booting a second one."""
    native = (
        f"<script>window.intercomSettings = {{app_id: '{APP_ID}', user_id: 'u-page', email: 'page@example.com'}};"
        "(function(){var i=function(){i.c(arguments)};i.q=[];i.c=function(a){i.q.push(a)};window.Intercom=i;})();"
        f"</script><script src='https://widget.intercom.io/widget/{APP_ID}'></script>"
    )
    open_pyscript_page(
        bridge,
        f"""
        import asyncio
        import js
        from py_bridge.pyscript import install
        while not (getattr(js.window, "__intercomSandbox", None) and js.window.__intercomSandbox.apiInstalled):
            await asyncio.sleep(0.05)  # the page's Messenger is up (its frame booted from intercomSettings)
        bridge = install("{APP_ID}", "#help")
        bridge.identify("u-page", {{"plan": "pro"}})
        """,
        before=native,
    )
    found = bridge.wait_for(
        lambda: (user(bridge, "u-page") or {}).get("custom_attributes", {}).get("plan"), what="the update"
    )
    assert found == "pro"
    state = bridge.widget_state()
    assert state["bootCount"] == 1  # the page's boot only: py-bridge continued it
    assert state["shutdownCount"] == 0
    updates = [c[1][0] for c in bridge.calls("update") if c[1]]
    assert any(u.get("plan") == "pro" for u in updates), updates
    assert watch.intercom_requests.count(f"https://widget.intercom.io/widget/{APP_ID}") == 1
    assert watch.messages("warning", "its booted session is updated, not booted again")


def visited(bridge: BridgePage, ending: str) -> bool:
    """Whether the sandbox's workspace holds a visitor whose last page view is a URL ending so."""
    return any(str(v.get("last_page_url", "")).endswith(ending) for v in bridge.workspace()["visitors"].values())


def test_pyscript_track_pages_turns_spa_navigations_into_page_updates_with_the_new_url(bridge: BridgePage) -> None:
    """track_pages=True, as in the embed: pushState, replaceState and back() from the page's JavaScript each reach
    the sandbox as an Intercom('update') and a page view of the new URL."""
    open_pyscript_page(
        bridge,
        f"""
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help", track_pages=True)
        """,
    )
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), timeout_s=20, what="the Messenger booted")
    bridge.js("() => window.__intercomSandbox.idle()")
    first = bridge.js("() => location.href")
    views = bridge.workspace()["page_views"]
    updates = len(bridge.calls("update"))
    bridge.js("() => history.pushState(null, '', '/spa/pushed?tab=2')")
    bridge.wait_for(lambda: len(bridge.calls("update")) > updates, what="an update after pushState")
    bridge.wait_for(lambda: visited(bridge, "/spa/pushed?tab=2"), what="a page view of the pushed URL")
    assert bridge.workspace()["page_views"] > views
    bridge.js("() => history.replaceState(null, '', '/spa/replaced')")
    bridge.wait_for(lambda: visited(bridge, "/spa/replaced"), what="a page view after replaceState")
    bridge.js("() => history.back()")
    bridge.wait_for(lambda: visited(bridge, first), what="a page view after back()")


SILENT: list[Route] = []


def test_pyscript_transformations_refuse_redirects_html_and_bad_pins_and_skip_a_silent_server(
    bridge: BridgePage, watch: Watch, cdn_server: DevServer
) -> None:
    """As in the embed: no redirect followed (the same-origin URL redirects to another origin, whose file never
    runs), HTML refused, {url, sha256} pins checked on the exact bytes, a file not received within transform_load_ms
    skipped; warnings name index and origin, never the path or the token in a query."""
    foreign = f"{cdn_server.origin}/t/py/foreign-rename.py"
    cdn_server.add_document("/t/py/foreign-rename.py", RENAME.lstrip(), PY)
    bridge.page.route(
        "**/t/py/open-redirect.py*", lambda route: route.fulfill(status=302, headers={"Location": foreign})
    )
    bridge.page.route("**/t/py/silent.py", lambda route: SILENT.append(route))  # never answered
    bridge.server.add_document("/t/py/login.py", RENAME.lstrip(), {"Content-Type": "text/html"})
    bridge.server.add_document("/t/py/pinned.py", STAMP.lstrip(), PY)
    bridge.server.add_document("/t/py/tampered.py", RENAME.lstrip() + "# changed\n", PY)
    pin = "sha256-" + base64.b64encode(hashlib.sha256(STAMP.lstrip().encode()).digest()).decode()
    bad_pin = hashlib.sha256(RENAME.lstrip().encode()).hexdigest()
    transforms = [
        "/t/py/open-redirect.py?token=s3cr3t",
        "/t/py/login.py",
        {"url": "/t/py/pinned.py", "sha256": pin},
        {"url": "/t/py/tampered.py", "sha256": bad_pin},
        "/t/py/silent.py",
        "https://evil.example/t.py?token=s3cr3t",
        "/t/py/missing.py?token=s3cr3t",
    ]
    watch.allow_error(r"Failed to load resource")  # the 404
    open_pyscript_page(
        bridge,
        f"""
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help", transform={transforms!r}, transform_load_ms=500)
        bridge.track("Fetched Safely", {{"n": 1}})
        """,
    )
    bridge.wait_for(lambda: "Fetched Safely" in event_names(bridge), timeout_s=20, what="the event, not renamed")
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "Fetched Safely")
    assert event["metadata"] == {"n": 1, "via_page": True}  # only the pinned file ran
    page = bridge.server.origin
    assert sorted(w for w in watch.messages("warning", "[py-bridge] transform[")) == [
        f"[py-bridge] transform[0] ({page}) refused: it redirects, and transformation files are never fetched through"
        " a redirect; skipped",
        f"[py-bridge] transform[1] ({page}) refused: its Content-Type is text/html, not a Python file type; skipped",
        f"[py-bridge] transform[3] ({page}) refused: its SHA-256 does not match the sha256 pinned in the transform"
        " setting; skipped",
        f"[py-bridge] transform[4] ({page}) could not be fetched (no answer within 500 ms, setting transform_load_ms);"
        " skipped",
        "[py-bridge] transform[5] (https://evil.example) refused: only the page's or the bundle's origin may serve"
        " transformations",
        f"[py-bridge] transform[6] ({page}) could not be fetched (HTTP 404); skipped",
    ]
    assert not [text for _, text in watch.console if "s3cr3t" in text]
