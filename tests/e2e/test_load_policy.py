"""The load policy: when the tag may start its multi-megabyte runtime, so the host page's own content comes first."""

from __future__ import annotations

import base64
import time

from playwright.sync_api import Route

from tests.e2e.bridge_page import PAST_THE_START_POINTS, WORKER_CLOCK, BridgePage
from tests.e2e.conftest import Watch

PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
SLOW_IMAGE = '<img src="/t/slow-hero.png" alt="hero">'


def slow_image(bridge: BridgePage, delay_s: float = 1.0) -> None:
    """The host page's own hero image arrives late, so its load event comes late."""

    def fulfil(route: Route) -> None:
        time.sleep(delay_s)
        route.fulfill(status=200, headers={"Content-Type": "image/png"}, body=PIXEL)

    bridge.page.route("**/t/slow-hero.png", fulfil)


def timings(bridge: BridgePage) -> dict[str, float]:
    result: dict[str, float] = bridge.js(
        "() => ({worker: window.__workerAt, load: performance.getEntriesByType('navigation')[0].loadEventStart})"
    )
    return result


def test_by_default_the_runtime_starts_after_the_page_has_loaded(bridge: BridgePage) -> None:
    """Default "load": no worker (and so no runtime download) until the page's own load event."""
    bridge.page.add_init_script(WORKER_CLOCK)
    slow_image(bridge)
    bridge.open(body=SLOW_IMAGE + '<button id="help">Help</button>')
    t = timings(bridge)
    assert t["load"] > 900
    assert t["worker"] >= t["load"], t


def test_eager_starts_the_runtime_before_the_page_has_loaded(bridge: BridgePage) -> None:
    """ "eager" keeps the old behaviour for sites that want the Messenger as early as possible."""
    bridge.page.add_init_script(WORKER_CLOCK)
    slow_image(bridge)
    bridge.open(body=SLOW_IMAGE, settings={"load": "eager"})
    t = timings(bridge)
    assert t["worker"] < t["load"], t


def test_idle_starts_after_load_when_the_main_thread_is_idle(bridge: BridgePage) -> None:
    """ "idle": after the load event, in an idle period (at most 5 s later)."""
    bridge.page.add_init_script(WORKER_CLOCK)
    slow_image(bridge)
    bridge.open(body=SLOW_IMAGE, settings={"load": "idle"})
    t = timings(bridge)
    assert t["load"] <= t["worker"] <= t["load"] + 5500, t


def launcher_count(bridge: BridgePage) -> int:
    count: int = bridge.js("() => document.querySelectorAll('[data-py-bridge=launcher]').length")
    return count


def test_interaction_draws_a_look_alike_launcher_and_replays_the_click_as_show(bridge: BridgePage) -> None:
    """ "interaction": nothing heavy until the visitor reaches for the launcher; the click opens the Messenger."""
    bridge.page.add_init_script(WORKER_CLOCK)
    bridge.open(settings={"load": "interaction"}, widget_id=None, wait_ready=False)
    bridge.page.wait_for_selector("[data-py-bridge=launcher]")
    bridge.js(PAST_THE_START_POINTS)
    assert bridge.js("() => window.__workerAt") is None
    bridge.js("() => pybridge.identify('u-lazy', {email: 'lazy@example.com'})")  # queued meanwhile
    bridge.page.click("[data-py-bridge=launcher]")
    bridge.wait_ready()
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("panelOpen"), what="Messenger opened by the click")
    assert launcher_count(bridge) == 0
    assert (bridge.widget_state() or {})["launcherVisible"] is True
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-lazy"]


def test_interaction_with_the_sites_own_launcher_starts_on_hover(bridge: BridgePage) -> None:
    """With a custom widget_id selector no look-alike is drawn; hovering the site's launcher starts the runtime."""
    bridge.page.add_init_script(WORKER_CLOCK)
    bridge.open(settings={"load": "interaction"}, wait_ready=False)
    bridge.wait_for(lambda: bridge.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
    bridge.js(PAST_THE_START_POINTS)
    assert launcher_count(bridge) == 0
    assert bridge.js("() => window.__workerAt") is None
    bridge.page.hover("#help")
    bridge.wait_ready()
    assert bridge.js("() => window.__workerAt") is not None
    assert not (bridge.widget_state() or {}).get("panelOpen")


def test_save_data_falls_back_to_interaction(bridge: BridgePage, watch: Watch) -> None:
    """A visitor who asked the browser to save data does not download the runtime until they reach for the chat."""
    bridge.page.add_init_script(
        WORKER_CLOCK + "Object.defineProperty(navigator, 'connection', {value: {saveData: true, effectiveType: '4g'}});"
    )
    bridge.open(widget_id=None, wait_ready=False)
    bridge.page.wait_for_selector("[data-py-bridge=launcher]")
    bridge.js(PAST_THE_START_POINTS)
    assert bridge.js("() => window.__workerAt") is None
    bridge.js("() => pybridge.intercom.show()")  # a Messenger control starts it too
    bridge.wait_ready()
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("panelOpen"), what="Messenger opened")


def test_an_unknown_load_policy_is_a_clear_settings_error(bridge: BridgePage, watch: Watch) -> None:
    """load: "lazy" is not a policy: one error naming the choices; the page keeps working."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(settings={"load": "lazy"}, wait_ready=False)
    error = bridge.wait_for(lambda: watch.messages("error", "load must be one of"), what="settings error")
    assert "eager | load | idle | interaction" in error[0]


def test_debug_export_settles_before_an_interaction_start(bridge: BridgePage) -> None:
    """Issue 15, item 5: nothing is recorded before Python starts, and the promise says so at once."""
    bridge.open(settings={"load": "interaction"}, widget_id=None, wait_ready=False)
    bridge.page.wait_for_selector("[data-py-bridge=launcher]")
    exported = bridge.page.evaluate(
        "() => Promise.race([pybridge.debug.export(), new Promise((r) => setTimeout(() => r('pending'), 2000))])"
    )
    assert exported == ""


def test_the_look_alike_launcher_goes_when_consent_is_refused(bridge: BridgePage) -> None:
    """Issue 15, item 5: no Messenger will come after consent(false), so the look-alike must not stay, dead."""
    bridge.open(settings={"load": "interaction", "consent": "required"}, widget_id=None, wait_ready=False)
    bridge.page.wait_for_selector("[data-py-bridge=launcher]")
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: launcher_count(bridge) == 0, what="the look-alike launcher removed")


def test_a_tag_stopped_by_bad_settings_drops_a_huge_queue_at_once(bridge: BridgePage, watch: Watch) -> None:
    """Issue 15, item 5: 1,000,000 queued calls and a configuration error: no long replay on the main thread
    (it was an 8.8 s task)."""
    watch.allow_error(r"^\[py-bridge\] data-settings is not valid JSON")
    bridge.page.add_init_script(
        "window.__long = []; new PerformanceObserver((list) => list.getEntries()"
        ".forEach((t) => window.__long.push(t.duration))).observe({type: 'longtask', buffered: true});"
    )
    queue = (
        "<script>window.pybridge = []; for (let i = 0; i < 1000000; i++) pybridge.push(['track', 'Q' + i]);</script>"
    )
    bridge.open(before=queue, tag=bridge.tag(extra="data-settings='{not json'"), wait_ready=False)
    bridge.wait_for(lambda: watch.messages(contains="1000000 queued call(s) dropped"), what="the queue dropped")
    bridge.page.wait_for_timeout(100)  # lets the observer deliver the long tasks of the page's start
    longest = bridge.js("() => Math.max(0, ...window.__long)")
    assert longest < 2000, longest
