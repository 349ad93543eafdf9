"""py-bridge benchmarks: py-bridge's tag (default and each load policy) side by side with Intercom's official snippet.

Run with `make bench` (5 runs, ~17-19 min on 2 CPUs) or `make bench-quick` (2 runs), or
`.venv/bin/python bench/run.py [--runs N] [--no-lighthouse] [--no-engines] [--bundle DIR]`. Writes
bench/results/latest.json, latest.md (the targets table of issues 10 and 21, then Firefox and WebKit beside
Chromium) and latest.png. See bench/README.md for every scenario.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import gzip
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import engines  # noqa: E402
import lighthouse  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
from pages import (  # noqa: E402
    ALL_VARIANTS,
    CHAT_VARIANTS,
    DEFAULT,
    HERO_PATH,
    SLOW_FRAME_DELAY_MS,
    SLOW_VARIANTS,
    hero_png,
)
from playwright.sync_api import sync_playwright  # noqa: E402
from serve import BenchServer, load_bundle  # noqa: E402

from py_bridge import start_bridge  # noqa: E402
from py_bridge.tools.bundle import build  # noqa: E402
from py_bridge.tools.sandbox import Sandbox  # noqa: E402

APP_ID = "abc12345"
CPYTHON_CALLS = 20_000
RESULTS = BENCH / "results"
BROTLI_CACHE = BENCH / ".cache" / "brotli"


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


def bundle_sizes(assets: dict[str, Any]) -> dict[str, Any]:
    """Sizes by role, found by name so that content-hashed names (`py_bridge-<hash>.zip`, `pyodide-<hash>/`) work."""

    def pick(pattern: str) -> list[str]:
        return sorted(rel for rel in assets if fnmatch.fnmatch(rel, pattern))

    def raw(names: list[str]) -> int:
        return sum(len(assets[n].raw) for n in names)

    def gz(names: list[str]) -> int:
        return sum(len(gzip.compress(assets[n].raw)) for n in names)

    def br(names: list[str]) -> int:
        return sum(len(assets[n].br or assets[n].raw) for n in names)

    embed, core = pick("embed.js"), pick("py_bridge*.zip")
    wasm, snapshots = pick("*pyodide.asm.wasm"), pick("*snapshot-*.bin")
    files = {rel: {"raw": len(a.raw), "brotli": len(a.br) if a.br else None} for rel, a in sorted(assets.items())}
    return {
        "total_bytes": raw(list(assets)),
        "total_brotli_bytes": br(list(assets)),
        "embed_js_bytes": raw(embed),
        "embed_js_gzip_bytes": gz(embed),
        "embed_js_brotli_bytes": br(embed),
        "py_bridge_zip_bytes": raw(core),
        "py_bridge_zip_gzip_bytes": gz(core),
        "pyodide_wasm_bytes": raw(wasm),
        "pyodide_wasm_gzip_bytes": gz(wasm),
        "pyodide_wasm_brotli_bytes": br(wasm),
        "snapshot_bytes": raw(snapshots),
        "snapshot_brotli_bytes": br(snapshots),
        "files": files,
    }


def machine_facts(chromium: str) -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "platform_full": platform.platform(),
        "chromium": chromium,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def progress(scenario: str, variant: str, index: int, runs: int, result: dict[str, Any]) -> None:
    if "error" in result:
        text = f"ERROR {result['error']}"
    else:
        parts = []
        for key in ("boot_ms", "revisit_boot_ms", "interaction_to_boot_ms", "lcp_ms"):
            if result.get(key) is not None:
                parts.append(f"{key.replace('_ms', '')} {result[key]:.0f} ms")
        for key in ("bytes_before_boot", "bytes_first_8s", "revisit_runtime_bytes"):
            if result.get(key) is not None:
                parts.append(f"{key} {result[key] / 1e6:.2f} MB")
        text = ", ".join(parts)
    print(f"  {scenario:<14} run {index + 1}/{runs} {variant:<12} {text}", flush=True)


def run_browser(server: BenchServer, sandbox: Sandbox, slow: Sandbox, runs: int) -> tuple[dict[str, Any], str]:
    """Every scenario, runs interleaved across variants so that machine noise spreads evenly. `slow` is a second
    sandbox whose Messenger takes longer to start (its frame delay), for the slow-Messenger scenario."""
    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        "loopback": {v.key: [] for v in CHAT_VARIANTS},
        "slow_messenger": {v.key: [] for v in SLOW_VARIANTS},
        "link": {v.key: [] for v in CHAT_VARIANTS},
        "hero": {v.key: [] for v in ALL_VARIANTS},
    }

    def collect(group: str, variants: Any, scenario: Any, driver: Any, intercom: Sandbox = sandbox) -> None:
        """Every run interleaves all variants, so a slow moment of the machine hits them alike."""
        for index in range(runs):
            for variant in variants:
                r = scenarios.guarded(scenario, driver, server, intercom, variant, index)
                r["frame_delay_ms"] = intercom.frame_delay_ms  # what the run's widget script waited
                results[group][variant.key].append(r)
                progress(group, variant.key, index, runs, r)

    with sync_playwright() as p:
        print("first visit + revisit, loopback, fresh persistent profile per run:", flush=True)
        collect("loopback", CHAT_VARIANTS, scenarios.first_visit_and_revisit, p)
        print(
            f"first visit + revisit, loopback, the Messenger starting {SLOW_FRAME_DELAY_MS} ms after its script:",
            flush=True,
        )
        collect("slow_messenger", SLOW_VARIANTS, scenarios.first_visit_and_revisit, p, slow)
        browser = p.chromium.launch(executable_path=scenarios.CHROMIUM, args=scenarios.ARGS)
        try:
            chromium = browser.version
            print("first visit over 50 Mbit/s, 40 ms:", flush=True)
            collect("link", CHAT_VARIANTS, scenarios.link_first_visit, browser)
            print("host page LCP (2.9 MB hero) over 50 Mbit/s, 40 ms:", flush=True)
            collect("hero", ALL_VARIANTS, scenarios.hero_lcp, browser)
        finally:
            browser.close()
    return results, chromium


def run_lighthouse(server: BenchServer) -> dict[str, Any]:
    why = lighthouse.available()
    if why:
        print(f"lighthouse skipped: {why}", flush=True)
        return {"skipped": why}
    print("lighthouse (hero page, Intercom from the local sandbox), 1 run per variant:", flush=True)
    server.empty_api_bodies = True
    out: dict[str, Any] = {}
    try:
        # The first Lighthouse run after start-up is slower (cold disk cache for Chromium): warm up, discard.
        lighthouse.run(server, ALL_VARIANTS[0])
        for variant in ALL_VARIANTS:
            started = time.monotonic()
            r = lighthouse.run(server, variant)
            out[variant.key] = r
            shown = r.get("error") or (f"score {r['performance_score']}, LCP {r['lcp_ms']} ms, TBT {r['tbt_ms']} ms")
            print(f"  lighthouse {variant.key:<12} {shown} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        server.empty_api_bodies = False
    return out


def problems_of(
    scenario_results: dict[str, Any], lighthouse_results: dict[str, Any], engine_results: dict[str, Any]
) -> list[str]:
    out: list[str] = []
    scenario_results = {
        **scenario_results,
        **{f"{name}/loopback": e["by_variant"] for name, e in engine_results.items() if "by_variant" in e},
    }
    for scenario, by_variant in scenario_results.items():
        for key, runs in by_variant.items():
            for index, r in enumerate(runs):
                where = f"{scenario}/{key} run {index + 1}"
                if "error" in r:
                    out.append(f"{where}: {r['error']}")
                out += [f"{where}: page error {e}" for e in r.get("page_errors", [])]
                out += [f"{where}: external request aborted {u}" for u in r.get("external_requests_aborted", [])]
                out += [f"{where}: bridge {w}" for w in r.get("bridge_warnings", [])]
    for key, r in lighthouse_results.items():
        if isinstance(r, dict) and r.get("error"):
            out.append(f"lighthouse/{key}: {r['error']}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per variant and scenario (default 5)")
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse runs")
    parser.add_argument("--no-engines", action="store_true", help="skip the Firefox and WebKit runs")
    parser.add_argument("--bundle", type=Path, help="use this built bundle instead of building one")
    args = parser.parse_args()

    started = time.monotonic()
    now = datetime.datetime.now(datetime.UTC)
    cpython = cpython_throughput()
    tmp = Path(tempfile.mkdtemp(prefix="py-bridge-bench-"))
    try:
        bundle = args.bundle
        if bundle is None:
            bundle = tmp / "bundle"
            built = build(bundle)
            print(f"built the bundle (snapshot: {built.snapshot or 'none'})", flush=True)
        assets = load_bundle(bundle, BROTLI_CACHE)
        sizes = bundle_sizes(assets)
        sandbox = Sandbox(secret="sandbox-secret", verification="off")
        # Answers Intercom's URLs in the slow-Messenger scenario only (DevTools interception, like `sandbox`); its
        # frame delay survives the /reset each run starts with.
        slow = Sandbox(secret="sandbox-secret", verification="off", frame_delay_ms=SLOW_FRAME_DELAY_MS)
        server = BenchServer(assets, sandbox).start()
        hero = hero_png()
        server.add_file(HERO_PATH, hero, "image/png")
        try:
            scenario_results, chromium = run_browser(server, sandbox, slow, args.runs)
            engine_results = {"skipped": "--no-engines"} if args.no_engines else engines.run(server, sandbox, args.runs)
            lighthouse_results = {"skipped": "--no-lighthouse"} if args.no_lighthouse else run_lighthouse(server)
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    result: dict[str, Any] = {
        "timestamp": now.isoformat(timespec="seconds"),
        "date": now.strftime("%Y-%m-%d"),
        "runs": args.runs,
        "machine": machine_facts(chromium),
        "config": {
            "link": scenarios.LINK,
            "stay_ms": scenarios.STAY_MS,
            "interaction_after_load_ms": scenarios.INTERACTION_AFTER_LOAD_MS,
            "frame_delay_ms": sandbox.frame_delay_ms,
            "slow_messenger_frame_delay_ms": SLOW_FRAME_DELAY_MS,
            "slow_messenger_variants": [v.key for v in SLOW_VARIANTS],
            "hero_bytes": len(hero),
            "variants": {v.key: v.label for v in ALL_VARIANTS},
            "lighthouse_flags": lighthouse.FLAGS,
        },
        "figures": report.figures(scenario_results),
        "lighthouse": lighthouse_results,
        "engines": engine_results,
        "summary": report.legacy_summary(scenario_results["loopback"][DEFAULT.key]),
        "burst_calls": scenarios.BURST,
        "cpython": cpython,
        "bundle": sizes,
        "per_run": scenario_results,
        "problems": problems_of(scenario_results, lighthouse_results, engine_results),
    }
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = report.markdown(result)
    (RESULTS / "latest.md").write_text(table, encoding="utf-8")
    try:
        report.chart(result, RESULTS / "latest.png")
    except Exception as exc:  # a chart problem must not lose the figures
        print(f"warning: chart not written: {exc}", flush=True)
    print("\n" + table)
    print(f"wrote bench/results/latest.json, latest.md, latest.png in {result['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
