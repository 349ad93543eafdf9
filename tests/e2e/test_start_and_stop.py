"""What a page awaits always settles: debug.export() under every load policy (the demo's eager one included), and
ready(fn) also when the bridge stops on bad settings."""

from __future__ import annotations

import json

import pytest

from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch
from tests.e2e.test_demo import DEMO_APP, names


@pytest.mark.parametrize("policy", ["eager", "load", "idle"])
def test_debug_export_holds_the_sessions_events_under_every_load_policy(bridge: BridgePage, policy: str) -> None:
    bridge.open(settings={"load": policy})
    bridge.js("() => pybridge.track('Exported Under Policy')")
    bridge.settle()
    events = [json.loads(line) for line in bridge.js("() => pybridge.debug.export()").splitlines()]
    assert "Exported Under Policy" in [e.get("event") for e in events]


def test_debug_export_on_the_demo_page_holds_its_events(bridge: BridgePage) -> None:
    bridge.page.goto(bridge.server.origin + "/")
    bridge.wait_ready()
    bridge.js("() => pybridge.track('Demo Export')")
    bridge.wait_for(lambda: "demo_export" in names(bridge), what="the demo's track")
    assert DEMO_APP
    events = [json.loads(line) for line in bridge.js("() => pybridge.debug.export()").splitlines()]
    assert any("Demo Export" in json.dumps(e) or "demo_export" in json.dumps(e) for e in events), events


@pytest.mark.parametrize(
    ("tag_options", "error"),
    [
        ({"settings": {"region": "mars"}}, "not started"),
        ({"extra": "data-settings='not json'"}, "not valid JSON"),
    ],
)
def test_ready_callbacks_run_once_when_the_bridge_stops_on_bad_settings(
    bridge: BridgePage, watch: Watch, tag_options: dict[str, object], error: str
) -> None:
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(
        before="<script>window.readyRuns = 0; window.pybridge = [['ready', () => readyRuns++]];</script>",
        wait_ready=False,
        **tag_options,
    )
    bridge.wait_for(lambda: watch.messages("error", error), what="the settings error")
    bridge.wait_ready(timeout_s=10)  # a ready(fn) registered after the stop runs too
    assert bridge.js("() => window.readyRuns") == 1


def test_settings_python_refuses_give_exactly_one_error_that_names_the_field(bridge: BridgePage, watch: Watch) -> None:
    """docs/reference.md promises one `[py-bridge]` error: Python's, naming the field and the value. The page does
    not add a second line when Python stops the bridge."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(settings={"region": "mars", "load": "eager"}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "mars"), what="the settings error")
    bridge.wait_ready(timeout_s=10)  # the stop has been applied: ready(fn) ran
    bridge.js("() => new Promise((done) => pybridge.ready(done))")
    errors = watch.messages("error", "[py-bridge]")
    assert len(errors) == 1, errors
    assert "intercom.region" in errors[0]
    assert "disabled on this page" in errors[0] or "not started" in errors[0]
