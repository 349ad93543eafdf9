"""Smoke: the tag boots the sandbox Messenger."""

from tests.e2e.bridge_page import BridgePage


def test_tag_boots_visitor_messenger(bridge: BridgePage) -> None:
    """A page with only the tag ends with a booted visitor and a launcher."""
    bridge.open()
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), what="boot")
    state = bridge.widget_state()
    print(state)
    print(bridge.workspace())
