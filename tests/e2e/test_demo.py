"""The demo page: the live calls, and the Transformations panel that edits Python run by the bridge's worker."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.bridge_page import BridgePage

DEMO_APP = "demo1234"
RENAMER = (
    "def transform(event):\n"
    "    if event['type'] == 'track':\n"
    "        event['event'] = 'edited_in_the_page'\n"
    "    return event\n"
)


def names(bridge: BridgePage) -> list[str]:
    return [e["name"] for e in bridge.workspace(DEMO_APP)["events"]]


def test_the_demo_transformation_can_be_edited_applied_and_downloaded(bridge: BridgePage) -> None:
    """The default demo transform snake_cases track names; an edited one applies after Apply; the link downloads it."""
    original = bridge.server.demo_transform
    try:
        bridge.page.goto(bridge.server.origin + "/")
        bridge.wait_ready()
        bridge.js("() => pybridge.track('Signed Up')")
        bridge.wait_for(lambda: "signed_up" in names(bridge), what="the default transform's rename")
        bridge.page.wait_for_function(
            "() => document.getElementById('transform-source').value.includes('def transform')"
        )
        bridge.page.fill("#transform-source", RENAMER)
        with bridge.page.expect_navigation():
            bridge.page.click("#transform-apply")
        bridge.wait_ready()
        bridge.js("() => pybridge.track('Anything')")
        bridge.wait_for(lambda: "edited_in_the_page" in names(bridge), what="the edited transform")
        bridge.page.wait_for_function("() => document.getElementById('transform-source').value.includes('edited')")
        with bridge.page.expect_download() as download:
            bridge.page.click("#transform-download")
        assert download.value.suggested_filename == "transform.py"
        assert "edited_in_the_page" in Path(download.value.path()).read_text(encoding="utf-8")
    finally:
        bridge.server.demo_transform = original
