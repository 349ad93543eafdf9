"""Intercom's own load overlaps Python's start, on a first visit as on a revisit (issue: a revisit that costs what
the snippet costs, item 3).

Where the settings allow it (a policy that loads at once, consent not required or already given, a well-formed App
ID, and nothing else in them that the page can see Python would refuse) the page starts the Messenger's script as
soon as the tag runs, while Python starts; Python still decides every boot, update and call. Where they do not (the
`idle` or `interaction` policy, consent pending or refused, an Intercom install of the page's own, settings Python
refuses), nothing reaches Intercom before Python says so. The worker's script is held in these tests, so "before
Python" is a state the test controls.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch

WIDGET = f"https://widget.intercom.io/widget/{APP_ID}"
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def hold_the_worker(page: Page) -> list[Route]:
    held: list[Route] = []
    page.route("**/py-bridge/worker.mjs", lambda route: held.append(route))
    return held


def messenger_waiting(bridge: BridgePage, watch: Watch) -> None:
    """The Messenger's script was requested and its frame started (the stub replaced by its API), and it waits: no
    boot, no user data, no ping, no intercomSettings."""
    bridge.wait_for(lambda: WIDGET in watch.intercom_requests, what="the Messenger's script, before Python")
    bridge.wait_for(lambda: bridge.js("() => !!(window.Intercom && !window.Intercom.q)"), what="the Messenger's API")
    assert bridge.widget_state()["bootCount"] == 0
    assert not [u for u in watch.intercom_requests if "/messenger/" in u]
    assert bridge.js("() => typeof window.intercomSettings") == "undefined"


def python_boots_it(bridge: BridgePage, held: list[Route]) -> dict[str, Any]:
    """The worker let through: Python starts, decides the boot, and the waiting Messenger boots once."""
    held[0].continue_()
    bridge.wait_ready()
    bridge.wait_for(lambda: bridge.widget_state()["booted"], what="the boot Python decided")
    state = bridge.widget_state()
    assert state["bootCount"] == 1
    return state


def page_loaded_with_the_worker_held(bridge: BridgePage, held: list[Route]) -> None:
    """The positive marker before asserting that nothing was requested: the worker's script is asked for (so the
    tag has run and decided) and the page's load event has passed (the Messenger's script is injected only then)."""
    bridge.wait_for(lambda: held, timeout_s=20, what="the worker's script requested")
    bridge.wait_for(lambda: bridge.js("() => document.readyState === 'complete'"), what="the page's load event")
    bridge.js("() => new Promise((resolve) => setTimeout(resolve, 0))")  # a load listener added after ours has run


@pytest.mark.parametrize("load", ["eager", "load"])
def test_a_first_visit_loads_the_messenger_script_while_python_starts_and_nothing_boots_before_python(
    bridge: BridgePage, watch: Watch, page: Page, load: str
) -> None:
    held = hold_the_worker(page)
    bridge.open(settings={"load": load}, wait_ready=False)
    bridge.js("() => { pybridge.identify('u-early', {email: 'early@example.com'}); }")
    bridge.wait_for(lambda: held, what="the worker's script requested")
    messenger_waiting(bridge, watch)
    state = python_boots_it(bridge, held)
    assert state["settings"]["user_id"] == "u-early"
    assert watch.intercom_requests.count(WIDGET) == 1  # the early one: Python's load did not repeat it


def test_a_revisit_starts_the_messenger_script_early_too(bridge: BridgePage, watch: Watch, page: Page) -> None:
    bridge.open(settings={"load": "eager"}, path="/t/revisited.html")
    bridge.wait_for(lambda: bridge.widget_state() and bridge.widget_state()["booted"], what="the first visit's boot")
    page.goto("about:blank")
    watch.intercom_requests.clear()
    held = hold_the_worker(page)
    bridge.open(settings={"load": "eager"}, wait_ready=False, path="/t/revisited.html")
    messenger_waiting(bridge, watch)
    python_boots_it(bridge, held)


def test_consent_given_while_python_starts_starts_the_messenger_script_then(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """A consent banner answers after the tag ran: the script starts at the answer, not when Python is ready."""
    held = hold_the_worker(page)
    bridge.open(settings={"load": "eager", "consent": {"required": True}}, wait_ready=False)
    page_loaded_with_the_worker_held(bridge, held)
    assert watch.intercom_requests == []
    bridge.js("() => pybridge.consent(true)")
    messenger_waiting(bridge, watch)
    python_boots_it(bridge, held)


def test_consent_given_in_the_pre_load_queue_starts_the_messenger_script_at_once(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    held = hold_the_worker(page)
    before = "<script>window.pybridge = [['consent', true]];</script>"
    bridge.open(settings={"load": "eager", "consent": {"required": True}}, before=before, wait_ready=False)
    bridge.wait_for(lambda: held, what="the worker's script requested")
    messenger_waiting(bridge, watch)
    python_boots_it(bridge, held)


@pytest.mark.parametrize(
    ("settings", "before"),
    [
        ({"consent": {"required": True}, "load": "eager"}, ""),
        ({"load": "idle"}, ""),
        ({"load": "eager"}, f"<script>window.intercomSettings = {{app_id: '{APP_ID}'}};</script>"),
        ({"load": "eager", "consent": {"required": True}}, "<script>window.pybridge = [['consent', false]];</script>"),
    ],
    ids=["consent-pending", "idle-policy", "page-has-intercomSettings", "consent-refused-in-the-queue"],
)
def test_nothing_reaches_intercom_before_python_where_the_settings_do_not_allow_it(
    bridge: BridgePage, watch: Watch, page: Page, settings: dict[str, Any], before: str
) -> None:
    held = hold_the_worker(page)
    bridge.open(settings=settings, before=before, wait_ready=False)
    page_loaded_with_the_worker_held(bridge, held)
    assert watch.intercom_requests == []
    assert "window.Intercom" not in bridge.intercom_on_the_page()


@pytest.mark.parametrize(
    ("tag", "field"),
    [
        ({"settings": {"load": "eager", "trak_pages": True}}, "trak_pages"),
        ({"settings": {"load": "eager", "region": "mars"}}, "region"),
        ({"settings": {"load": "eager"}, "widget_id": "<b>"}, "widget_id"),
        ({"settings": {"load": "eager", "appId": "otherapp"}}, "app_id"),
        ({"settings": {"load": "eager", "api_base": "https://api-iam.eu.intercom.io", "region": "au"}}, "api_base"),
    ],
    ids=["unknown-key", "unknown-region", "markup-selector", "two-app-ids", "contradicting-api-base"],
)
def test_settings_python_will_refuse_never_load_the_messenger_script(
    bridge: BridgePage, watch: Watch, page: Page, tag: dict[str, Any], field: str
) -> None:
    """The page sees these before Python (the setting names, the App ID, the region hosts and the selector's rules
    come from Python, generated into the page's constants): no request at all, and Python's refusal is the one
    error."""
    watch.allow_error(field)
    watch.allow_error("not started")
    held = hold_the_worker(page)
    bridge.open(wait_ready=False, **tag)
    page_loaded_with_the_worker_held(bridge, held)
    assert watch.intercom_requests == []
    held[0].continue_()
    bridge.wait_for(lambda: watch.messages("error", field), what="Python's refusal")
    assert watch.intercom_requests == []
    assert "window.Intercom" not in bridge.intercom_on_the_page()


def test_settings_python_refuses_for_a_reason_the_page_cannot_see_boot_nothing(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """A wrong type the page does not check: the Messenger's script may have started; it waits, and Python's
    refusal stops the bridge before anything boots."""
    watch.allow_error("track_pages")
    watch.allow_error("not started")
    bridge.open(settings={"load": "eager", "track_pages": "yes"}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "track_pages"), what="Python's refusal")
    bridge.wait_for(lambda: bridge.js("() => !!(window.Intercom && !window.Intercom.q)"), what="the Messenger's API")
    assert bridge.widget_state()["bootCount"] == 0
    assert not [u for u in watch.intercom_requests if "/messenger/" in u]


def test_a_refusal_before_the_page_has_loaded_cancels_the_early_script(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """The script is injected at the page's load event; a visitor who refuses before it never reaches Intercom."""
    images: list[Route] = []
    page.route("**/slow-image.gif", lambda route: images.append(route))
    held = hold_the_worker(page)
    bridge.open(
        settings={"load": "eager"}, body='<img src="/slow-image.gif" alt="">', wait_ready=False, wait_until="commit"
    )
    bridge.wait_for(lambda: held and images, what="the worker and the page's image requested")
    bridge.js("() => pybridge.consent(false)")
    images[0].fulfill(status=200, content_type="image/gif", body=PIXEL)
    page_loaded_with_the_worker_held(bridge, held)
    held[0].continue_()
    bridge.wait_ready()
    bridge.handled()
    assert watch.intercom_requests == []
    assert bridge.js("() => document.cookie") == ""


def test_a_consent_refusal_removes_what_earlier_builds_kept(bridge: BridgePage, watch: Watch, page: Page) -> None:
    """Builds before the first-visit overlap kept the accepted settings in localStorage; a refusal removes them."""
    bridge.open(settings={"load": "eager"})
    bridge.js("() => localStorage.setItem('pybridge.accepted', '{}')")
    bridge.js("() => pybridge.consent(false)")
    assert bridge.js("() => localStorage.getItem('pybridge.accepted')") is None
