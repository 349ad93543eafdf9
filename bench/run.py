"""py-bridge benchmarks: browser start-up, long tasks, a call burst, CPython mapping throughput, bundle size.

Run with `make bench` or `.venv/bin/python bench/run.py [--runs N]`. Prints a table and writes
bench/results/latest.json. Every request that does not stay on this machine is aborted, except Intercom's hosts,
which are answered by the local Intercom sandbox (as in tests/e2e/conftest.py).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from py_bridge import start_bridge  # noqa: E402
from py_bridge.bundle import build  # noqa: E402
from py_bridge.devserver import DevServer  # noqa: E402
from py_bridge.sandbox import Sandbox  # noqa: E402
from tests.e2e.offline import CHROMIUM, CHROMIUM_ARGS, route_offline  # noqa: E402

APP_ID = "abc12345"
SECRET = "sandbox-secret"
BURST = 3_000
CPYTHON_CALLS = 20_000
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

# Installed before any page script: long-task observer, the Python start-up log line, and a ready() callback
# queued the way the documented snippet queues calls (embed.js replays an existing `window.pybridge` array).
INIT_SCRIPT = """
(() => {
  const bench = (window.__bench = { longTasks: [], pythonStartMs: null, readyAt: null, logs: [] });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { bench.longTaskError = String(e); }
  window.addEventListener("pybridge:log", (event) => {
    const message = event.detail && event.detail.message;
    if (typeof message === "string" && message.startsWith("Python started in")) {
      bench.pythonStartMs = parseFloat(message.slice("Python started in".length));
      bench.fromSnapshot = message.includes("(from snapshot)");
    }
    if (event.detail && (event.detail.level === "error" || event.detail.level === "warn")) {
      bench.logs.push(event.detail.level + ": " + message);
    }
  });
  window.pybridge = [["ready", () => { bench.readyAt = performance.now(); }]];
})();
"""

BURST_JS = """
(n) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) window.pybridge.track("Burst", { i });
  window.__bench.burstStart = t0;
  window.__bench.burstLoopMs = performance.now() - t0; // the page's own synchronous loop (embed.js call cost)
  return t0;
}
"""

COUNT_JS = """
() => {
  const s = window.__intercomSandbox;
  let n = 0;
  if (s) for (const c of s.calls) if (c[0] === "trackEvent" && c[1][0] === "Burst") n++;
  return [n, performance.now()];
}
"""


def page_html(origin: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>py-bridge bench</title>"
        f'<script async src="{origin}/py-bridge/embed.js" data-app-id="{APP_ID}" data-widget-id="#help"></script>'
        "</head><body><h1>Bench</h1><button id='help'>Help</button></body></html>"
    )


def long_task_summary(tasks: list[dict[str, float]]) -> dict[str, float]:
    return {"count": len(tasks), "longest_ms": round(max((t["duration"] for t in tasks), default=0.0), 1)}


def browser_run(browser: Browser, server: DevServer, sandbox: Sandbox, index: int) -> dict[str, Any]:
    """One cold run: a new context (no cache), the page opened, ready awaited, the visitor boot, the burst."""
    sandbox.handle("POST", "/reset", "", {}, json.dumps({"secret": SECRET, "verification": "off"}).encode())
    external: list[str] = []
    page_errors: list[str] = []

    context = browser.new_context()
    try:
        route_offline(context, sandbox, on_external=external.append)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.add_init_script(INIT_SCRIPT)
        path = f"/bench/page-{index}.html"
        server.add_document(path, page_html(server.origin))

        page.goto(server.origin + path, wait_until="commit")
        page.wait_for_function("() => window.__bench && window.__bench.readyAt !== null", timeout=60_000, polling=10)
        ready = page.evaluate("() => window.__bench")
        ready_ms = ready["readyAt"]
        startup_tasks = [t for t in ready["longTasks"] if t["start"] < ready_ms]

        page.wait_for_function("() => window.__intercomSandbox && window.__intercomSandbox.booted", timeout=30_000)
        page.evaluate("() => window.__intercomSandbox.idle()")

        t0 = page.evaluate(BURST_JS, BURST)
        deadline = time.monotonic() + 60
        while True:
            count, now = page.evaluate(COUNT_JS)
            if count >= BURST:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"burst: only {count}/{BURST} trackEvent calls after 60 s")
            time.sleep(0.02)
        burst_ms = now - t0
        after = page.evaluate("() => window.__bench")
        burst_tasks = [t for t in after["longTasks"] if t["start"] <= now and t["start"] + t["duration"] >= t0]
        revisit = revisit_run(page, server, index)
        return {
            **revisit,
            "ready_ms": round(ready_ms, 1),
            "python_start_ms": ready["pythonStartMs"],
            "startup_long_tasks": long_task_summary(startup_tasks),
            "burst_ms": round(burst_ms, 1),
            "burst_loop_ms": round(after.get("burstLoopMs") or 0.0, 1),
            "burst_calls_per_s": round(BURST / (burst_ms / 1000), 1),
            "burst_long_tasks": long_task_summary(burst_tasks),
            "bridge_warnings": after["logs"],
            "page_errors": page_errors,
            "external_requests_aborted": external,
            "long_task_observer_error": ready.get("longTaskError"),
        }
    finally:
        context.close()


SNAPSHOT_KEYS_JS = "() => caches.open('py-bridge-snapshot').then(c => c.keys()).then(k => k.length)"


def revisit_run(page: Page, server: DevServer, index: int) -> dict[str, Any]:
    """The same visitor's next page view: wait until the snapshot is cached (prefetched when idle), then reload."""
    deadline = time.monotonic() + 60
    while page.evaluate(SNAPSHOT_KEYS_JS) < 1:
        if time.monotonic() > deadline:
            return {"revisit_ready_ms": None, "revisit_python_start_ms": None, "revisit_from_snapshot": False}
        time.sleep(0.1)
    path = f"/bench/revisit-{index}.html"
    server.add_document(path, page_html(server.origin))
    page.goto(server.origin + path, wait_until="commit")
    page.wait_for_function("() => window.__bench && window.__bench.readyAt !== null", timeout=60_000, polling=10)
    ready = page.evaluate("() => window.__bench")
    tasks = [t for t in ready["longTasks"] if t["start"] < ready["readyAt"]]
    return {
        "revisit_ready_ms": round(ready["readyAt"], 1),
        "revisit_python_start_ms": ready["pythonStartMs"],
        "revisit_from_snapshot": bool(ready.get("fromSnapshot")),
        "revisit_long_tasks": long_task_summary(tasks),
    }


def cpython_throughput() -> dict[str, Any]:
    bridge, errors = start_bridge({"app_id": APP_ID}, {})
    assert bridge is not None, errors
    bridge.start([])
    track = {
        "kind": "call",
        "method": "track",
        "args": ["Order Completed", {"revenue": 12.5, "currency": "eur", "sku": "x", "n": 3}],
        "context": {"timestamp": 1700000000000},
    }
    start = time.perf_counter()
    for _ in range(CPYTHON_CALLS):
        bridge.receive(track)
    track_s = time.perf_counter() - start

    identifies = [
        {
            "kind": "call",
            "method": "identify",
            "args": ["user-42", {"email": "ada@example.com", "plan": f"plan-{i % 7}", "logins": i}],
            "context": {"timestamp": 1700000000000 + i},
        }
        for i in range(CPYTHON_CALLS)
    ]
    start = time.perf_counter()
    for item in identifies:
        bridge.receive(item)
    identify_s = time.perf_counter() - start
    return {
        "calls": CPYTHON_CALLS,
        "track_calls_per_s": round(CPYTHON_CALLS / track_s),
        "identify_calls_per_s": round(CPYTHON_CALLS / identify_s),
        "track_us_per_call": round(track_s / CPYTHON_CALLS * 1e6, 2),
        "identify_us_per_call": round(identify_s / CPYTHON_CALLS * 1e6, 2),
    }


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes()))


def bundle_sizes(bundle: Path, total_bytes: int) -> dict[str, int]:
    wasm = bundle / "pyodide" / "pyodide.asm.wasm"
    return {
        "total_bytes": total_bytes,
        "embed_js_bytes": (bundle / "embed.js").stat().st_size,
        "embed_js_gzip_bytes": gz(bundle / "embed.js"),
        "py_bridge_zip_bytes": (bundle / "py_bridge.zip").stat().st_size,
        "py_bridge_zip_gzip_bytes": gz(bundle / "py_bridge.zip"),
        "pyodide_wasm_bytes": wasm.stat().st_size,
        "pyodide_wasm_gzip_bytes": gz(wasm),
        "snapshot_bytes": sum(p.stat().st_size for p in (bundle / "pyodide").glob("snapshot-*.bin")),
        "snapshot_gzip_bytes": sum(gz(p) for p in (bundle / "pyodide").glob("snapshot-*.bin")),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ready = [r["ready_ms"] for r in runs]
    python = [r["python_start_ms"] for r in runs if r["python_start_ms"] is not None]
    rates = [r["burst_calls_per_s"] for r in runs]
    return {
        "ready_median_ms": round(statistics.median(ready), 1),
        "ready_max_ms": round(max(ready), 1),
        "python_start_median_ms": round(statistics.median(python), 1) if python else None,
        "python_start_max_ms": round(max(python), 1) if python else None,
        "startup_long_tasks_max_count": max(r["startup_long_tasks"]["count"] for r in runs),
        "startup_long_task_max_ms": max(r["startup_long_tasks"]["longest_ms"] for r in runs),
        "burst_median_ms": round(statistics.median(r["burst_ms"] for r in runs), 1),
        "burst_loop_median_ms": round(statistics.median(r["burst_loop_ms"] for r in runs), 1),
        "burst_calls_per_s_median": round(statistics.median(rates), 1),
        "burst_calls_per_s_min": round(min(rates), 1),
        "burst_long_tasks_max_count": max(r["burst_long_tasks"]["count"] for r in runs),
        "burst_long_task_max_ms": max(r["burst_long_tasks"]["longest_ms"] for r in runs),
        "revisit_ready_median_ms": _median([r["revisit_ready_ms"] for r in runs]),
        "revisit_python_start_median_ms": _median([r["revisit_python_start_ms"] for r in runs]),
        "revisit_from_snapshot_runs": sum(1 for r in runs if r["revisit_from_snapshot"]),
        "revisit_long_task_max_ms": max((r.get("revisit_long_tasks") or {"longest_ms": 0})["longest_ms"] for r in runs),
    }


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def print_table(result: dict[str, Any]) -> None:
    s, cp, b = result["summary"], result["cpython"], result["bundle"]
    kib = 1024
    rows = [
        ("start-up: navigation -> ready, median", f"{s['ready_median_ms']:.0f} ms"),
        ("start-up: navigation -> ready, max", f"{s['ready_max_ms']:.0f} ms"),
        ("start-up: Python started in (worker), median", f"{s['python_start_median_ms']} ms"),
        ("start-up: Python started in (worker), max", f"{s['python_start_max_ms']} ms"),
        ("revisit (cached snapshot): navigation -> ready, median", f"{s['revisit_ready_median_ms']} ms"),
        ("revisit: Python started in (worker), median", f"{s['revisit_python_start_median_ms']} ms"),
        ("revisit: runs that started from the snapshot", f"{s['revisit_from_snapshot_runs']}/{result['runs']}"),
        ("revisit: longest main-thread long task", f"{s['revisit_long_task_max_ms']} ms"),
        ("start-up long tasks: max count per run", str(s["startup_long_tasks_max_count"])),
        ("start-up long tasks: longest", f"{s['startup_long_task_max_ms']:.0f} ms"),
        (f"burst of {BURST} track(): median time to sandbox", f"{s['burst_median_ms']:.0f} ms"),
        ("burst: the page's 3000-call loop itself, median", f"{s['burst_loop_median_ms']} ms"),
        ("burst: calls/s, median (min)", f"{s['burst_calls_per_s_median']:.0f} ({s['burst_calls_per_s_min']:.0f})"),
        (
            "burst long tasks: max count / longest",
            f"{s['burst_long_tasks_max_count']} / {s['burst_long_task_max_ms']:.0f} ms",
        ),
        ("CPython track mapping", f"{cp['track_calls_per_s']:,} calls/s ({cp['track_us_per_call']} us)"),
        ("CPython identify mapping", f"{cp['identify_calls_per_s']:,} calls/s ({cp['identify_us_per_call']} us)"),
        ("bundle total", f"{b['total_bytes'] / kib / kib:.2f} MiB"),
        ("embed.js raw / gzip", f"{b['embed_js_bytes'] / kib:.1f} / {b['embed_js_gzip_bytes'] / kib:.1f} KiB"),
        (
            "py_bridge.zip raw / gzip",
            f"{b['py_bridge_zip_bytes'] / kib:.1f} / {b['py_bridge_zip_gzip_bytes'] / kib:.1f} KiB",
        ),
        (
            "pyodide.asm.wasm raw / gzip",
            f"{b['pyodide_wasm_bytes'] / kib / kib:.2f} / {b['pyodide_wasm_gzip_bytes'] / kib / kib:.2f} MiB",
        ),
        (
            "snapshot raw / gzip (fetched once, when idle)",
            f"{b['snapshot_bytes'] / kib / kib:.2f} / {b['snapshot_gzip_bytes'] / kib / kib:.2f} MiB",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print(
        f"\npy-bridge bench: {result['runs']} cold runs, {result['machine']['chromium']}, "
        f"{result['machine']['nproc']} CPUs, Python {result['machine']['python']}"
    )
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold browser runs (default 5)")
    args = parser.parse_args()

    started = time.monotonic()
    cpython = cpython_throughput()
    bundle = Path(tempfile.mkdtemp(prefix="py-bridge-bench-"))
    try:
        built = build(bundle)
        sizes = bundle_sizes(bundle, built.total_bytes)
        sandbox = Sandbox(secret=SECRET, verification="off")
        server = DevServer(bundle, port=0, sandbox=sandbox, demo=False).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    chromium_version = browser.version
                    runs = []
                    for index in range(args.runs):
                        run = browser_run(browser, server, sandbox, index)
                        runs.append(run)
                        print(
                            f"run {index + 1}/{args.runs}: ready {run['ready_ms']:.0f} ms, "
                            f"python {run['python_start_ms']} ms, burst {run['burst_ms']:.0f} ms, "
                            f"long tasks {run['startup_long_tasks']['count']}",
                            flush=True,
                        )
                finally:
                    browser.close()
        finally:
            server.stop()
    finally:
        shutil.rmtree(bundle, ignore_errors=True)

    result = {
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "burst_calls": BURST,
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "chromium": chromium_version,
        },
        "summary": summarise(runs),
        "per_run": runs,
        "cpython": cpython,
        "bundle": sizes,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print_table(result)
    problems = [p for r in runs for p in r["page_errors"] + r["external_requests_aborted"]]
    if problems:
        print("warning: page errors / aborted external requests:", *problems, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
