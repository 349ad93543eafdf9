"""Lighthouse (npm `lighthouse` 12.x, pinned in bench/package.json) on the hero host page, one run per variant.

Lighthouse launches its own Chromium (Debian's, through CHROME_PATH) with a fresh profile, so the DevTools
interception of the Playwright runs is not available: these pages load Intercom from the bench server's local
sandbox instead (`sandbox_url` for py-bridge, the snippet's widget URL and api_base pointed at the sandbox).
Throttling: the desktop preset with DevTools throttling set to the same link as the Playwright runs
(50 Mbit/s, 40 ms, no CPU slowdown), so LCP and TBT are observed, not simulated.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pages import Variant, host_page
from serve import BenchServer

from py_bridge.tools.browser import CHROMIUM, CHROMIUM_ARGS

BENCH = Path(__file__).resolve().parent
BINARY = BENCH / "node_modules" / ".bin" / "lighthouse"
KBPS = round(50_000_000 / 1024)  # Lighthouse's Kbps are 1,024 bit/s: 48,828 Kbps = 50 Mbit/s
FLAGS = [
    "--quiet",
    "--output=json",
    "--only-categories=performance",
    "--preset=desktop",
    "--throttling-method=devtools",
    "--throttling.requestLatencyMs=40",
    f"--throttling.downloadThroughputKbps={KBPS}",
    f"--throttling.uploadThroughputKbps={KBPS}",
    "--throttling.cpuSlowdownMultiplier=1",
    "--max-wait-for-load=60000",
    "--disable-full-page-screenshot",
]


def available() -> str | None:
    """None when Lighthouse can run, else why not."""
    if not BINARY.is_file():
        return "bench/node_modules has no lighthouse: run `npm ci --prefix bench` (make bench does)"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing"
    return None


def run(server: BenchServer, variant: Variant, timeout_s: float = 240) -> dict[str, Any]:
    url = server.add_document(
        f"/lighthouse/{variant.key}.html", host_page(variant, server.origin, hero=True, local_intercom=True)
    )
    chrome_flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    with tempfile.TemporaryDirectory(prefix="py-bridge-lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": tmp}
        cmd = [str(BINARY), url, *FLAGS, f"--output-path={report}", f"--chrome-flags={chrome_flags}"]
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"lighthouse timed out after {timeout_s:.0f} s"}
        if done.returncode != 0 or not report.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"lighthouse exit {done.returncode}: {' | '.join(tail)[:400]}"}
        data = json.loads(report.read_text(encoding="utf-8"))
    audits = data.get("audits", {})
    score = data.get("categories", {}).get("performance", {}).get("score")

    def value(name: str) -> float | None:
        number = audits.get(name, {}).get("numericValue")
        return round(number, 1) if isinstance(number, int | float) else None

    return {
        "performance_score": round(score * 100) if isinstance(score, int | float) else None,
        "lcp_ms": value("largest-contentful-paint"),
        "tbt_ms": value("total-blocking-time"),
        "fcp_ms": value("first-contentful-paint"),
        "cls": value("cumulative-layout-shift"),
        "runtime_error": (data.get("runtimeError") or {}).get("message"),
        "lighthouse_version": data.get("lighthouseVersion"),
        "url": url,
    }
