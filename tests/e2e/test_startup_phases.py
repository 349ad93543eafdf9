"""Start-up as data: each phase the page sees is a `pybridge:<phase>` performance mark on the page's timeline, and
the `started` data of the pybridge:log event carries the phases known when Python is ready (issue: a revisit that
costs what the snippet costs, item 5). `make bench` prints them, so a regression names its phase."""

from __future__ import annotations

from tests.e2e.bridge_page import BridgePage

RECORD_STARTED = (
    "<script>window.__started = null; addEventListener('pybridge:log', (e) => {"
    " if (e.detail && e.detail.started) window.__started = e.detail.started; });</script>"
)
MARKS = (
    "() => Object.fromEntries(performance.getEntriesByType('mark')"
    ".filter((m) => m.name.startsWith('pybridge:')).map((m) => [m.name.slice(9), m.startTime]))"
)


def test_every_start_up_phase_is_a_mark_in_the_pages_timeline_in_order(bridge: BridgePage) -> None:
    bridge.open(before=RECORD_STARTED, settings={"load": "eager"})
    bridge.wait_for(lambda: bridge.widget_state() and bridge.widget_state()["booted"], what="the Messenger booted")
    marks = bridge.wait_for(lambda: (m := bridge.js(MARKS)) and "messenger_started" in m and m, what="the marks")
    for phase in ("tag", "python_requested", "python_ready", "widget_requested", "messenger_started"):
        assert phase in marks, (phase, marks)
    assert marks["tag"] <= marks["python_requested"] <= marks["python_ready"]
    # The worker's own phases (measured from its start) land between the request and Python being ready.
    worker = {name: at for name, at in marks.items() if name.startswith("worker_")}
    assert "worker_python" in worker, marks
    assert all(marks["python_requested"] - 1 <= at <= marks["python_ready"] + 1 for at in worker.values()), marks
    started = bridge.js("() => window.__started")
    assert started["mode"] in ("snapshot", "normal")
    assert {"tag", "python_requested", "python_ready", "worker_python"} <= set(started["phases"])
    assert abs(started["phases"]["python_ready"] - marks["python_ready"]) <= 1
