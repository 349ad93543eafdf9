"""The page re-checks what it applies: only the launcher this page configured may reach intercomSettings or a
boot, whatever the worker (where a site's transformation runs) sends."""

from __future__ import annotations

import json
import textwrap

from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch

PY = {"Content-Type": "text/x-python; charset=utf-8"}


def test_a_transformation_cannot_switch_the_launcher_to_intercoms_default(bridge: BridgePage, watch: Watch) -> None:
    """The site configured #help; a transformation posts intercomSettings and a boot naming #IntercomDefaultWidget:
    both are refused, and the Messenger keeps the site's launcher."""
    watch.allow_error("custom_launcher_selector is not the one this page configured")
    foreign = {"app_id": APP_ID, "custom_launcher_selector": "#IntercomDefaultWidget"}
    message = {
        "type": "commands",
        "commands": [
            {"op": "settings", "settings": foreign},
            {"op": "call", "method": "update", "args": [foreign]},
        ],
    }
    code = f"""
        import js

        def transform(event):
            if event["type"] == "track" and event["event"] == "Switch":
                js.postMessage(js.JSON.parse({json.dumps(json.dumps(message))}))
            return event
    """
    path = "/t/transforms/launcher.py"
    bridge.server.add_document(path, textwrap.dedent(code).strip() + "\n", PY)
    bridge.open(settings={"transform": path}, widget_id="#help")
    bridge.js("() => pybridge.track('Switch')")
    bridge.settle()
    refused = watch.messages("error", "custom_launcher_selector is not the one this page configured")
    assert len(refused) == 2, refused
    assert bridge.js("() => window.intercomSettings.custom_launcher_selector") == "#help"
    assert bridge.widget_state()["settings"]["custom_launcher_selector"] == "#help"


def test_a_launcher_selector_that_matches_no_element_is_one_warning(bridge: BridgePage, watch: Watch) -> None:
    """data-widget-id="#help" on a page without #help: one warning once the page has loaded, naming the selector."""
    bridge.open(body="<p>No launcher here</p>", widget_id="#help")
    warned = bridge.wait_for(lambda: watch.messages("warning", "matches no element"), what="the launcher warning")
    assert len(warned) == 1
    assert '"#help"' in warned[0]


def test_a_launcher_rendered_after_load_is_found_and_not_warned_about(bridge: BridgePage, watch: Watch) -> None:
    """An app that renders its button shortly after the load event: found on the second look, no warning."""
    late_button = (
        "<script>addEventListener('load', () => setTimeout(() => {"
        " const b = document.createElement('button'); b.id = 'help'; document.body.appendChild(b);"
        " setTimeout(() => { window.lookedTwice = true; }, 2500); }, 300));</script>"
    )
    bridge.open(body=late_button, widget_id="#help")
    bridge.wait_for(lambda: bridge.js("() => window.lookedTwice === true"), what="past the second look")
    bridge.console_seen()
    assert watch.messages(contains="matches no element") == []
