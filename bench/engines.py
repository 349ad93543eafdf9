"""First visit and revisit in Firefox ESR and WebKitGTK, beside Chromium's: `make bench`'s other engines.

The browsers and their drivers are the engine tests' (py_bridge/tools/engines, docs/engines.md): Firefox over
WebDriver BiDi, WebKitGTK through Selenium on an Xvfb display. Neither intercepts requests, so these pages load
Intercom from the bench server's local sandbox (`sandbox_url` for py-bridge; the snippet's widget URL and
`api_base` pointed at it, as on the Lighthouse pages), and both browsers' proxy is the engine tests' trap: nothing
leaves loopback, and anything that tries is listed in the run's problems. Nothing on loopback is intercepted, so
the HTTP cache works as for a visitor.

Per run and variant, a new browser with a new profile: open the page, wait for the Messenger's `boot` (the same
in-page probe as the Chromium runs, here the first script of the page), keep it open until 8 s after navigation,
then open the same URL again in the same tab and wait for `boot` again. That second navigation is a visitor's
revisit, not a reload: no engine sends `Cache-Control: max-age=0` or a validator for the bundle on it.

WebKit's browser is not MiniBrowser here but bench/webkit_browser.py, the same WebKitGTK with a persistent data
manager: `MiniBrowser --automation` always runs in an ephemeral (private-browsing) session, which has no HTTP disk
cache, and WebKit's memory cache does not keep fetch() bodies, so its every revisit downloaded the whole runtime
again (20 MB: the wasm and the snapshot), which no visitor's WebKit browser does. Without PyGObject's WebKit2 4.1
(Debian gir1.2-webkit2-4.1) the bench falls back to MiniBrowser and marks those runs `"http_cache": "none"`.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pages import DEFAULT, SNIPPET, Variant, host_page, init_script
from scenarios import BOOT_TIMEOUT_MS, STAY_MS, bundle_bytes, fetched_paths, reset_sandbox
from serve import BenchServer

from py_bridge.tools.engines import ENGINES, Engine, ExitTrap, Firefox, Record, WebKit, missing_binary

VARIANTS = (SNIPPET, DEFAULT)
BLANK = "/engines/blank.html"

WEBKIT_BROWSER = Path(__file__).resolve().with_name("webkit_browser.py")
PROFILE_VARIABLE = "PY_BRIDGE_BENCH_WEBKIT_PROFILE"  # webkit_browser.py's

BENCH_STATE = (
    "() => window.__bench ? {bootAt: __bench.bootAt, timeOrigin: __bench.timeOrigin, logs: __bench.logs} : null"
)


def page_with_probe(variant: Variant, origin: str) -> str:
    """The Chromium runs' host page, Intercom from the local sandbox, the probe as its first script."""
    document = host_page(variant, origin, hero=False, local_intercom=True)
    return document.replace("<head>", f"<head><script>{init_script(variant)}</script>", 1)


@functools.cache
def persistent_webkit_missing() -> str | None:
    """Why bench/webkit_browser.py cannot run here (None when it can): it needs the system Python's PyGObject and
    WebKit2 4.1 introspection data."""
    try:
        done = subprocess.run([str(WEBKIT_BROWSER), "--check"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"{WEBKIT_BROWSER.name}: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return f"{WEBKIT_BROWSER.name} cannot run ({last}; Debian gir1.2-webkit2-4.1 provides WebKit2 4.1)"
    return None


@contextlib.contextmanager
def open_engine(name: str, trap: ExitTrap) -> Iterator[tuple[Engine, str]]:
    """A new browser with a new profile and its HTTP cache kind: "persistent", or "none" (MiniBrowser's ephemeral
    session, when bench/webkit_browser.py cannot run)."""
    if name == "firefox":
        yield Firefox(trap), "persistent"
        return
    if persistent_webkit_missing():
        yield WebKit(trap), "none"
        return
    profile = tempfile.mkdtemp(prefix="py-bridge-webkit-")
    try:
        yield WebKit(trap, browser=WEBKIT_BROWSER, env={PROFILE_VARIABLE: profile}), "persistent"
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def wait_boot(engine: Engine) -> dict[str, Any]:
    deadline = time.monotonic() + BOOT_TIMEOUT_MS / 1000
    while True:
        state = engine.call(BENCH_STATE)
        if state and state.get("bootAt") is not None:
            return dict(state)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{engine.name}: no boot within {BOOT_TIMEOUT_MS} ms")
        time.sleep(0.02)


def first_visit_and_revisit(
    name: str, trap: ExitTrap, server: BenchServer, sandbox: Any, variant: Variant, index: int
) -> dict[str, Any]:
    with open_engine(name, trap) as (engine, http_cache):
        return _visits(engine, http_cache, trap, server, sandbox, variant, index)


def _visits(
    engine: Engine, http_cache: str, trap: ExitTrap, server: BenchServer, sandbox: Any, variant: Variant, index: int
) -> dict[str, Any]:
    name = engine.name
    watch = Record()
    trapped = len(trap.trapped)
    try:
        engine.begin(watch, server.origin + BLANK)
        url = server.add_document(
            f"/engines/{name}-{variant.key}-{index}.html", page_with_probe(variant, server.origin)
        )
        reset_sandbox(sandbox)
        server.clear_log()
        engine.goto(url)
        first = wait_boot(engine)
        while (engine.call("() => performance.now()") or 0) < STAY_MS:
            time.sleep(0.1)
        entries = server.entries()
        result: dict[str, Any] = {
            "version": engine.version,
            "http_cache": http_cache,
            "boot_ms": round(first["bootAt"], 1),
            "bytes_before_boot": bundle_bytes(entries, first["timeOrigin"], first["bootAt"]),
            "bytes_first_8s": bundle_bytes(entries, first["timeOrigin"], STAY_MS),
        }
        server.clear_log()
        engine.goto(url)
        again = wait_boot(engine)
        time.sleep(1.0)  # late requests of the revisit reach the log
        entries = server.entries()
        result["revisit_boot_ms"] = round(again["bootAt"], 1)
        result["revisit_runtime_bytes"] = sum(
            e.wire_bytes for e in entries if e.path.startswith("/py-bridge/") and e.path != "/py-bridge/embed.js"
        )
        result["revisit_fetched"] = fetched_paths(entries)
        result["bridge_warnings"] = [*first["logs"], *again["logs"]]
        engine.collect()
        result["page_errors"] = [*watch.page_errors, *(text for kind, text in watch.console if kind == "error")]
        own = engine.own_hosts
        result["external_requests_aborted"] = [
            *watch.external,
            *(r for r in trap.trapped[trapped:] if not (own and own.match(r))),
        ]
        return result
    finally:
        try:
            engine.end()
        finally:
            engine.close()


def run(server: BenchServer, sandbox: Any, runs: int) -> dict[str, Any]:
    """{engine: {"version", "by_variant": {variant: [run, ...]}} or {"skipped": why}}, runs interleaved."""
    server.add_document(BLANK, "<!doctype html><meta charset='utf-8'><title>blank</title>")
    trap = ExitTrap()
    out: dict[str, Any] = {}
    try:
        for name in ENGINES:
            missing = missing_binary(name)
            if missing:
                print(f"{name} skipped: {missing}", flush=True)
                out[name] = {"skipped": missing}
                continue
            print(f"{name}: first visit + revisit, loopback, new profile per run:", flush=True)
            if name == "webkit" and persistent_webkit_missing():
                print(f"  webkit: MiniBrowser's ephemeral session, no HTTP cache: {persistent_webkit_missing()}")
            by_variant: dict[str, list[dict[str, Any]]] = {v.key: [] for v in VARIANTS}
            for index in range(runs):
                for variant in VARIANTS:
                    try:
                        r = first_visit_and_revisit(name, trap, server, sandbox, variant, index)
                    except Exception as error:  # a failed run is recorded, never fatal
                        r = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
                    by_variant[variant.key].append(r)
                    shown = r.get("error") or f"boot {r['boot_ms']:.0f} ms, revisit {r['revisit_boot_ms']:.0f} ms"
                    print(f"  {name:<8} run {index + 1}/{runs} {variant.key:<12} {shown}", flush=True)
            versions = [r["version"] for runs_ in by_variant.values() for r in runs_ if r.get("version")]
            out[name] = {"version": versions[0] if versions else "", "by_variant": by_variant}
    finally:
        trap.close()
    return out
