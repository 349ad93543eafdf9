"""Start-up as data: each phase the page sees is a `pybridge:<phase>` performance mark on the page's timeline, and
the `started` data of the pybridge:log event carries the phases known when Python is ready (issue: a revisit that
costs what the snippet costs, item 5), and `debug.export()` begins with them. `make bench` prints them, so a
regression names its phase."""

from __future__ import annotations

import io
import json
from pathlib import Path

from py_bridge.core.trace import STARTUP_RECORD
from py_bridge.core.transform import replay
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


def test_debug_export_begins_with_the_start_up_phases_and_a_replay_passes_over_them(
    bridge: BridgePage, tmp_path: Path
) -> None:
    """The export's first line is the session's start-up (the phases on the page's timeline when it was asked for,
    how Python started); the events follow, and `py-bridge transform` replays them as before."""
    bridge.open(settings={"load": "eager"})
    bridge.wait_for(lambda: (m := bridge.js(MARKS)) and "messenger_started" in m, what="the Messenger started")
    bridge.js("() => pybridge.track('After Start')")
    bridge.settle()
    first, *rest = bridge.js("() => pybridge.debug.export()").splitlines()
    startup = json.loads(first)[STARTUP_RECORD]
    assert startup["mode"] in ("snapshot", "normal")
    assert isinstance(startup["ms"], int)
    assert {"tag", "python_requested", "worker_python", "python_ready", "messenger_started"} <= set(startup["phases"])
    # The Messenger's script starts while Python starts: its frame may be up before or after Python is ready.
    assert startup["phases"]["tag"] <= min(startup["phases"]["python_ready"], startup["phases"]["messenger_started"])
    events = [json.loads(line) for line in rest]
    assert all("type" in event for event in events), events
    assert "After Start" in [event.get("event") for event in events]

    (tmp_path / "noop.py").write_text("def transform(event):\n    return event\n")
    (tmp_path / "session.jsonl").write_text("\n".join([first, *rest]) + "\n")
    out, err = io.StringIO(), io.StringIO()
    assert replay([str(tmp_path / "noop.py")], str(tmp_path / "session.jsonl"), out=out, err=err) == 0
    assert [json.loads(line) for line in out.getvalue().splitlines()] == events
    assert err.getvalue() == ""
