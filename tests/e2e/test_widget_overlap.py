"""Intercom's own load overlaps Python's start on a revisit (issue: a revisit that costs what the snippet costs,
item 3).

On a revisit with the settings Python accepted before (it loaded the Messenger's script for exactly these), under a
policy that loads at once, with consent not required and no Intercom install of the page's own, the page starts the
Messenger's script while Python starts; Python still decides every boot, update and call. Otherwise (a first
visit, other settings, consent required...) nothing reaches Intercom before Python says so: settings Python refuses
never load it. The worker's script is held in these tests, so "before Python" is a state the test controls.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch

WIDGET = f"https://widget.intercom.io/widget/{APP_ID}"


REVISIT = "/t/revisited.html"


def first_visit(bridge: BridgePage, settings: dict[str, Any], before: str = "") -> None:
    """A visit on which Python accepts the settings and loads the Messenger (what a revisit may start early)."""
    bridge.open(settings=settings, before=before, path=REVISIT)
    bridge.wait_for(lambda: bridge.widget_state() and bridge.widget_state()["booted"], what="the first visit's boot")
    bridge.page.goto("about:blank")
    bridge.watch.intercom_requests.clear()


def hold_the_worker(page: Page) -> list[Route]:
    held: list[Route] = []
    page.route("**/py-bridge/worker.mjs", lambda route: held.append(route))
    return held


@pytest.mark.parametrize("load", ["eager", "load"])
def test_a_revisit_loads_the_messenger_script_while_python_starts_and_nothing_boots_before_python(
    bridge: BridgePage, watch: Watch, page: Page, load: str
) -> None:
    first_visit(bridge, {"load": load})
    held = hold_the_worker(page)
    bridge.open(settings={"load": load}, wait_ready=False, path=REVISIT)
    bridge.js("() => { pybridge.identify('u-early', {email: 'early@example.com'}); }")
    bridge.wait_for(lambda: held, what="the worker's script requested")
    bridge.wait_for(lambda: WIDGET in watch.intercom_requests, what="the Messenger's script, before Python")
    # The Messenger's frame starts (the stub replaced by its API) and waits: no boot, no user data, no ping.
    bridge.wait_for(lambda: bridge.js("() => !!(window.Intercom && !window.Intercom.q)"), what="the Messenger's API")
    state = bridge.widget_state()
    assert state["bootCount"] == 0
    assert not [u for u in watch.intercom_requests if "/messenger/" in u]
    assert bridge.js("() => typeof window.intercomSettings") == "undefined"
    held[0].continue_()
    bridge.wait_ready()
    bridge.wait_for(lambda: bridge.widget_state()["booted"], what="the boot Python decided")
    state = bridge.widget_state()
    assert state["bootCount"] == 1
    assert state["settings"]["user_id"] == "u-early"
    assert watch.intercom_requests.count(WIDGET) == 1  # the revisit's early one: Python's load did not repeat it


@pytest.mark.parametrize(
    ("settings", "before"),
    [
        ({"consent": {"required": True}, "load": "eager"}, ""),
        ({"load": "idle"}, ""),
        ({"load": "eager"}, f"<script>window.intercomSettings = {{app_id: '{APP_ID}'}};</script>"),
    ],
    ids=["consent-required", "idle-policy", "page-has-intercomSettings"],
)
def test_nothing_reaches_intercom_before_python_where_the_settings_do_not_allow_it(
    bridge: BridgePage, watch: Watch, page: Page, settings: dict[str, Any], before: str
) -> None:
    if "consent" in settings:
        first_visit(bridge, settings, before="<script>window.pybridge = [['consent', true]];</script>")
    else:
        first_visit(bridge, settings, before=before)
    held = hold_the_worker(page)
    bridge.open(settings=settings, before=before, wait_ready=False, path=REVISIT)
    bridge.wait_for(lambda: held, timeout_s=20, what="the worker's script requested")
    assert watch.intercom_requests == []
    assert "window.Intercom" not in bridge.intercom_on_the_page()


def test_a_first_visit_or_changed_settings_wait_for_python(bridge: BridgePage, watch: Watch, page: Page) -> None:
    held = hold_the_worker(page)
    bridge.open(settings={"load": "eager"}, wait_ready=False, path=REVISIT)
    bridge.wait_for(lambda: held, what="the worker's script requested")
    assert watch.intercom_requests == []
    page.unroute("**/py-bridge/worker.mjs")
    first_visit(bridge, {"load": "eager"})
    held = hold_the_worker(page)
    bridge.open(settings={"load": "eager", "track_pages": True}, wait_ready=False, path=REVISIT)
    bridge.wait_for(lambda: held, what="the worker's script requested")
    assert watch.intercom_requests == []


def test_settings_python_refuses_are_never_remembered(bridge: BridgePage, watch: Watch, page: Page) -> None:
    """An invalid selector: Python stops the bridge, so no visit ever loads the Messenger's script."""
    watch.allow_error("widget_id")
    watch.allow_error("not started")
    for _ in range(2):
        bridge.open(widget_id="<b>", settings={"load": "eager"}, path=REVISIT)
        bridge.wait_for(lambda: watch.messages("error", "widget_id"), what="Python's refusal")
    assert watch.intercom_requests == []
    assert bridge.js("() => localStorage.getItem('pybridge.accepted')") is None


def test_a_consent_refusal_forgets_the_accepted_settings(bridge: BridgePage, watch: Watch, page: Page) -> None:
    first_visit(bridge, {"load": "eager"})
    bridge.open(settings={"load": "eager"}, path=REVISIT)
    bridge.js("() => pybridge.consent(false)")
    assert bridge.js("() => localStorage.getItem('pybridge.accepted')") is None
