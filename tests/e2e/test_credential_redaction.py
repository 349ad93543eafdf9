"""A JWT passed under any accepted name never shows in debug mode: not in the console group, not in the export."""

from __future__ import annotations

import json

from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

# Every console call's arguments as JSON, so objects logged in a group (what the call received) can be read whole.
RECORD_CONSOLE = (
    "window.__console = [];"
    " for (const level of ['log', 'info', 'warn', 'groupCollapsed']) {"
    "   const original = console[level].bind(console);"
    "   console[level] = (...args) => {"
    "     try { window.__console.push(JSON.stringify(args)); } catch (e) { window.__console.push('unserialisable'); }"
    "     return original(...args); }; }"
)
# What a server would sign for u-jwt (no verification here: only where the value shows matters).
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoidS1qd3QifQ.c2lnbmVkLWJ5LXRoZS1zZXJ2ZXI"


def test_a_jwt_passed_as_jwt_is_redacted_in_the_debug_group_the_log_events_and_the_export(
    bridge: BridgePage, watch: Watch
) -> None:
    """identify(..., {integrations: {Intercom: {jwt}}}) with debug on: the group and export show `[redacted]`."""
    bridge.page.add_init_script(RECORD_CONSOLE)
    bridge.open(extra="data-debug")
    bridge.js("() => { window.__logs = []; addEventListener('pybridge:log', e => window.__logs.push(e.detail)); }")
    bridge.js(
        "(t) => pybridge.identify('u-jwt', {email: 'jwt@example.com'}, {integrations: {Intercom: {jwt: t}}})", TOKEN
    )
    bridge.settle()
    console = bridge.js("() => window.__console")
    group = next(i for i, line in enumerate(console) if '[py-bridge] identify(\\"u-jwt\\"' in line)
    received = json.loads(console[group + 1])  # console.log("received:", args) right after the group's title
    assert received[0] == "received:"
    assert received[1][2] == {"integrations": {"Intercom": {"jwt": "[redacted]"}}}
    assert not [line for line in console if TOKEN in line]
    assert TOKEN not in json.dumps(watch.console)
    logs = json.dumps(bridge.js("() => window.__logs"))
    assert "u-jwt" in logs
    assert TOKEN not in logs
    exported = [json.loads(line) for line in bridge.js("() => pybridge.debug.export()").splitlines()]
    identify = next(e for e in exported if e.get("type") == "identify" and e.get("userId") == "u-jwt")
    assert identify["integrations"]["Intercom"]["jwt"] == "[redacted]"
    assert TOKEN not in json.dumps(exported)
