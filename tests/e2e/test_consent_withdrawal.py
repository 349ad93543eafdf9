"""Consent and Intercom's own machinery: nothing reaches Intercom before consent, and nothing boots it after withdrawal.

Intercom's loader boots the Messenger by itself from `window.intercomSettings` (when its frame starts, and on every
Turbo/Turbolinks load), and the Messenger keeps its visitor in cookies. So a withdrawal that only calls `shutdown`
is undone by the next `turbo:load`: it must also take the app_id out of intercomSettings and expire the cookies,
on the page's host and on the parent domains the Messenger sets them for. Before consent, not even a connection
hint may name an Intercom host.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch
from tests.e2e.test_pyscript import open_pyscript_page

INTERCOM_HINTS = (
    "() => Array.from(document.querySelectorAll('link[rel=preconnect], link[rel=dns-prefetch]'))"
    ".map(l => l.href).filter(h => /intercom/.test(h))"
)
# Dispatch both loads; the sandbox's loader listeners were added first, so they have run when this returns.
TURBO_LOADS = (
    "() => { document.dispatchEvent(new Event('turbo:load')); document.dispatchEvent(new Event('turbolinks:load'));"
    " return window.__intercomSandbox.idle(); }"
)
FAKE_HOST = "https://www.example.test"


def intercom_cookies(bridge: BridgePage) -> list[dict[str, Any]]:
    return [c for c in bridge.page.context.cookies() if c["name"].startswith("intercom-")]


def identify_after_withdrawal(bridge: BridgePage) -> None:
    """A call after the withdrawal, then the positive marker that Python handled it (nothing reaches the sandbox)."""
    bridge.js("() => pybridge.identify('u-after-withdrawal', {email: 'after@example.com'})")
    bridge.handled()


def assert_nothing_boots_intercom_again(
    bridge: BridgePage, watch: Watch, call_after: Callable[[BridgePage], None] = identify_after_withdrawal
) -> None:
    """After a withdrawal: Turbo and Turbolinks loads boot nothing, a later call sends nothing, and nothing is left to
    boot from. `call_after` makes a call and waits until Python has handled it: the marker before the negatives."""
    bridge.wait_for(lambda: bridge.widget_state()["shutdownCount"] == 1, what="the shutdown in the sandbox")
    bridge.js("() => window.__intercomSandbox.idle()")
    boots = bridge.widget_state()["bootCount"]
    requests = len(watch.intercom_requests)
    assert bridge.js("() => !!document.getElementById('intercom-frame')"), "the loader's frame stays: loads re-boot"
    bridge.js(TURBO_LOADS)
    call_after(bridge)
    assert "u-after-withdrawal" not in json.dumps(bridge.widget_state())
    assert "u-after-withdrawal" not in json.dumps(bridge.workspace())
    assert bridge.widget_state()["bootCount"] == boots
    assert bridge.widget_state()["booted"] is False
    assert watch.intercom_requests[requests:] == []
    assert "app_id" not in (bridge.js("() => window.intercomSettings || {}") or {})
    assert intercom_cookies(bridge) == []
    assert "intercom-" not in bridge.js("() => document.cookie")


def pyscript_identify_after_withdrawal(bridge: BridgePage) -> None:
    """The PyScript page's identifyAfter() and handled() (`bridge.debug.export()`, answered after the identify)."""
    bridge.js("async () => { identifyAfter(); await handled(); await window.__intercomSandbox.idle(); }")


# -- item 6: before consent, and with settings that stop the bridge -------------------------------------------------


def test_consent_pending_adds_no_intercom_hint_and_makes_no_intercom_request(bridge: BridgePage, watch: Watch) -> None:
    """Consent required and not given: Python starts (ready fires) but no preconnect names an Intercom host and no
    request reaches Intercom; after consent(true) the Messenger loads."""
    bridge.open(settings={"consent": {"required": True}, "load": "eager", "debug": True})
    # open() waited for ready: Python started and handled its start (the Messenger stays unloaded until consent)
    bridge.js("() => pybridge.identify('u-pending', {email: 'p@example.com'})")
    bridge.handled()
    assert watch.messages(contains="held until"), "Python held the identify for consent"
    assert bridge.intercom_on_the_page() == []
    assert bridge.js(INTERCOM_HINTS) == []
    assert watch.intercom_requests == []
    assert intercom_cookies(bridge) == []
    bridge.js("() => pybridge.consent(true)")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-pending"]
    assert f"https://widget.intercom.io/widget/{APP_ID}" in watch.intercom_requests


def test_invalid_settings_add_no_intercom_hint(bridge: BridgePage, watch: Watch) -> None:
    """Settings Python refuses stop the bridge before anything is said to Intercom, a connection hint included."""
    watch.allow_error("not started")
    bridge.open(settings={"region": "mars", "load": "eager"}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "not started"), what="the settings error")
    assert bridge.intercom_on_the_page() == []
    assert bridge.js(INTERCOM_HINTS) == []
    assert watch.intercom_requests == []


# -- item 7: withdrawal leaves nothing that boots Intercom again ----------------------------------------------------


def test_the_sandbox_loader_boots_again_from_intercom_settings_on_turbo_loads_after_a_shutdown(
    bridge: BridgePage, watch: Watch
) -> None:
    """The emulator behaves as Intercom's loader: a shut-down Messenger boots again from intercomSettings on
    turbo:load, and a boot sets the visitor and device cookies (a user's ping the session cookie)."""
    page_install = (
        f"<script>window.intercomSettings = {{app_id: '{APP_ID}', user_id: 'u-own', email: 'own@example.com'}};"
        "</script>"
        f"<script async src='https://widget.intercom.io/widget/{APP_ID}'></script>"
    )
    bridge.open(tag=page_install, wait_ready=False)
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), what="the Messenger booted")
    bridge.js("() => window.__intercomSandbox.idle()")
    names = sorted(c["name"] for c in intercom_cookies(bridge))
    assert names == [f"intercom-device-id-{APP_ID}", f"intercom-id-{APP_ID}", f"intercom-session-{APP_ID}"]
    bridge.js("() => window.Intercom('shutdown')")
    bridge.js(TURBO_LOADS)
    state = bridge.widget_state()
    assert (state["booted"], state["bootCount"], state["settings"]["user_id"]) == (True, 2, "u-own")


def test_withdrawn_consent_leaves_nothing_that_boots_intercom_on_turbo_loads(bridge: BridgePage, watch: Watch) -> None:
    """identify, then consent(false): Turbo/Turbolinks loads boot nothing, intercomSettings holds no app_id, and
    Intercom's cookies for the app are gone."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-withdraw', {email: 'w@example.com'})")
    bridge.settle()
    assert len(intercom_cookies(bridge)) == 3
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: watch.messages("info", "consent withdrawn"), what="the withdrawal")
    assert_nothing_boots_intercom_again(bridge, watch)


def test_withdrawn_consent_expires_the_cookies_the_messenger_set_on_the_parent_domain(
    bridge: BridgePage, watch: Watch
) -> None:
    """On www.example.test the Messenger keeps its cookies on example.test; the withdrawal expires them there too."""
    bridge.open_on_host(FAKE_HOST, bridge.tag(src="/py-bridge/embed.js"))
    bridge.wait_ready()
    bridge.js("() => pybridge.identify('u-domain', {email: 'd@example.com'})")
    bridge.settle()
    assert {c["domain"] for c in intercom_cookies(bridge)} == {".example.test"}, intercom_cookies(bridge)
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: watch.messages("info", "consent withdrawn"), what="the withdrawal")
    assert_nothing_boots_intercom_again(bridge, watch)


def test_a_page_install_that_wrote_intercom_settings_does_not_boot_again_after_withdrawal(
    bridge: BridgePage, watch: Watch
) -> None:
    """The page's own install wrote intercomSettings and booted; the bridge continues it. After consent(false) the
    app_id and the identity are gone from the page's object, so its loader has nothing to boot from."""
    page_install = (
        f"<script>window.intercomSettings = {{app_id: '{APP_ID}', user_id: 'u-native', alignment: 'left'}};"
        "(function(){var i=function(){i.c(arguments)};i.q=[];i.c=function(a){i.q.push(a)};window.Intercom=i;"
        f"i('boot', window.intercomSettings);}})();</script>"
        f"<script async src='https://widget.intercom.io/widget/{APP_ID}'></script>"
    )
    bridge.open(before=page_install)
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), what="the page's Messenger booted")
    assert watch.messages("warning", "native Intercom install")
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: watch.messages("info", "consent withdrawn"), what="the withdrawal")
    assert_nothing_boots_intercom_again(bridge, watch)
    assert bridge.js("() => window.intercomSettings") == {"alignment": "left"}


def test_pyscript_withdrawn_consent_leaves_nothing_that_boots_intercom_on_turbo_loads(
    bridge: BridgePage, watch: Watch
) -> None:
    """The PyScript entry applies the same command: after consent(False) Turbo loads boot nothing, no app_id, no
    Intercom cookie."""
    open_pyscript_page(
        bridge,
        f"""
        import js
        from pyodide.ffi import create_proxy
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help")
        bridge.identify("u-py-withdraw", {{"email": "pw@example.com"}})
        js.window.withdrawConsent = create_proxy(lambda: bridge.consent(False))
        js.window.identifyAfter = create_proxy(lambda: bridge.identify("u-after-withdrawal", {{"email": "a@x.com"}}))
        js.window.handled = create_proxy(lambda: bridge.debug.export())
        """,
    )
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), timeout_s=20, what="the Messenger booted")
    bridge.js("() => window.__intercomSandbox.idle()")
    bridge.wait_for(lambda: len(intercom_cookies(bridge)) == 3, what="the Messenger's cookies")
    bridge.js("() => withdrawConsent()")
    bridge.wait_for(lambda: watch.messages("info", "consent withdrawn"), what="the withdrawal")
    assert_nothing_boots_intercom_again(bridge, watch, call_after=pyscript_identify_after_withdrawal)
    assert json.dumps(bridge.js("() => window.intercomSettings || {}")).find("u-py-withdraw") == -1
