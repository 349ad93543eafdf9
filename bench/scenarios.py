"""The browser scenarios of `make bench`, driven with Playwright on Debian's chromium.

Nothing on loopback is routed (Playwright's request routing would turn the HTTP cache off): a DevTools-protocol
session per page intercepts only `https://*` (`Fetch.enable`). Intercom's URLs (`widget.intercom.io`,
`api-iam*.intercom.io`) are answered by the local sandbox (`Sandbox.handle`); any other external request is
aborted and recorded. The emulated link is `Network.emulateNetworkConditions` on the same session (it also
throttles the page's dedicated workers, measured).
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from pages import DEFAULT, HERO_PATH, Variant, host_page, init_script
from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from serve import BenchServer, LogEntry

from py_bridge.tools.browser import CHROMIUM, CHROMIUM_ARGS, INTERCOM_HOSTS

# Nothing may leave the machine even outside the intercepted https:// requests (e.g. a preconnect's DNS lookup).
ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
VIEWPORT = {"width": 1280, "height": 720}
LAUNCHER = (VIEWPORT["width"] - 44, VIEWPORT["height"] - 44)  # centre of a 48 px launcher, 20 px from the corner
LINK = {  # 50 Mbit/s down and up, 40 ms round trip
    "offline": False,
    "latency": 40,
    "downloadThroughput": 50_000_000 / 8,
    "uploadThroughput": 50_000_000 / 8,
}
STAY_MS = 8_000  # the first page stays open this long (idle prefetches happen), bytes are counted in this window
INTERACTION_AFTER_LOAD_MS = 1_000  # load policy "interaction": the visitor hovers the launcher 1 s after load
BOOT_TIMEOUT_MS = 60_000
BURST = 3_000

BURST_JS = """
(n) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) window.pybridge.track("Burst", { i });
  window.__bench.burstLoopMs = performance.now() - t0;
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


class Intercept:
    """One page's DevTools session: Intercom answered by the sandbox, other https aborted, optional emulated link."""

    def __init__(self, context: BrowserContext, page: Page, sandbox: Any, link: dict[str, Any] | None = None) -> None:
        self.sandbox = sandbox
        self.external: list[str] = []
        self.intercom_requests = 0
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Fetch.requestPaused", self._paused)
        self.cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "https://*", "requestStage": "Request"}]})
        if link is not None:
            self.cdp.send("Network.enable")
            self.cdp.send("Network.emulateNetworkConditions", link)

    def _paused(self, event: dict[str, Any]) -> None:
        request = event["request"]
        url = request["url"]
        try:
            if not INTERCOM_HOSTS.match(url):
                self.external.append(url)
                self.cdp.send("Fetch.failRequest", {"requestId": event["requestId"], "errorReason": "BlockedByClient"})
                return
            self.intercom_requests += 1
            path, _, query = re.sub(r"^https://[^/]+", "", url).partition("?")
            entries = request.get("postDataEntries") or []
            if entries:
                body = b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
            else:
                body = (request.get("postData") or "").encode("utf-8")
            response = self.sandbox.handle(request["method"], path, query, request.get("headers", {}), body)
            self.cdp.send(
                "Fetch.fulfillRequest",
                {
                    "requestId": event["requestId"],
                    "responseCode": response.status,
                    "responseHeaders": [{"name": k, "value": v} for k, v in response.headers.items()],
                    "body": base64.b64encode(response.body).decode("ascii"),
                },
            )
        except Exception as exc:  # a closed page: nothing left to answer
            if "closed" not in str(exc).lower() and "Target" not in str(exc):
                raise


def reset_sandbox(sandbox: Any) -> None:
    """An empty workspace; the frame delay goes back to the sandbox's own (150 ms, or what it was made with)."""
    sandbox.handle("POST", "/reset", "", {}, b'{"secret": "sandbox-secret", "verification": "off"}')


def long_tasks(tasks: list[dict[str, float]], until_ms: float) -> dict[str, float]:
    inside = [t for t in tasks if t["start"] < until_ms]
    return {
        "count": len(inside),
        "total_ms": round(sum(t["duration"] for t in inside), 1),
        "longest_ms": round(max((t["duration"] for t in inside), default=0.0), 1),
    }


def bundle_bytes(entries: list[LogEntry], time_origin_ms: float, until_ms: float | None = None) -> int:
    """Bytes on the wire of bundle requests that the browser issued before `until_ms` (page time)."""
    total = 0
    for entry in entries:
        if not entry.path.startswith("/py-bridge/"):
            continue
        at = entry.start * 1000 - time_origin_ms
        if until_ms is None or at < until_ms:
            total += entry.wire_bytes
    return total


def fetched_paths(entries: list[LogEntry]) -> list[str]:
    return [f"{e.path} {e.status} {e.wire_bytes}" for e in entries if e.path.startswith("/py-bridge/")]


def visit(page: Page, url: str, variant: Variant) -> dict[str, Any]:
    """Open `url` and wait for the Messenger's first boot; "interaction" hovers, then clicks, the launcher first."""
    page.goto(url, wait_until="commit")
    if variant.policy == "interaction":
        page.wait_for_function(
            f"() => window.__bench && __bench.loadAt !== null && performance.now() >= __bench.loadAt + "
            f"{INTERACTION_AFTER_LOAD_MS}",
            timeout=BOOT_TIMEOUT_MS,
            polling=20,
        )
        page.mouse.move(*LAUNCHER)
        page.wait_for_timeout(150)
        page.mouse.click(*LAUNCHER)
    page.wait_for_function(
        "() => window.__bench && window.__bench.bootAt !== null", timeout=BOOT_TIMEOUT_MS, polling=50
    )
    bench: dict[str, Any] = page.evaluate("() => window.__bench")
    return bench


# The start-up phases the tag marks (`performance.mark("pybridge:<phase>")`, web/page/timeline.js), in ms since
# navigation: read once the Messenger booted, so the later phases (the widget, the Messenger's start) are in.
PHASES_JS = """() => Object.fromEntries(performance.getEntriesByType('mark')
  .filter((m) => m.name.startsWith('pybridge:')).map((m) => [m.name.slice(9), Math.round(m.startTime)]))"""


def boot_figures(bench: dict[str, Any]) -> dict[str, Any]:
    interaction = bench.get("interactionAt")
    return {
        "boot_ms": round(bench["bootAt"], 1),
        "interaction_to_boot_ms": round(bench["bootAt"] - interaction, 1) if interaction is not None else None,
        "load_event_ms": round(bench["loadAt"], 1) if bench.get("loadAt") is not None else None,
        "ready_ms": round(bench["readyAt"], 1) if bench.get("readyAt") is not None else None,
        "python_start_ms": bench.get("pythonStartMs"),
        "from_snapshot": bool(bench.get("fromSnapshot")),
        "phases": bench.get("phases") or {},
    }


def first_visit_and_revisit(
    p: Playwright, server: BenchServer, sandbox: Any, variant: Variant, index: int
) -> dict[str, Any]:
    """Loopback. A fresh persistent profile: the first visit (boot, bytes before boot and in the first 8 s, long
    tasks), the page left open 8 s, then the same URL again in the same tab (HTTP cache and Cache Storage kept)."""
    profile = tempfile.mkdtemp(prefix="py-bridge-bench-profile-")
    context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS, viewport=VIEWPORT)
    errors: list[str] = []
    try:
        context.add_init_script(init_script(variant))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)[:300]))
        intercept = Intercept(context, page, sandbox)
        url = server.add_document(f"/visit/{variant.key}-{index}.html", host_page(variant, server.origin, hero=False))
        reset_sandbox(sandbox)
        server.clear_log()

        first = visit(page, url, variant)
        page.wait_for_function(f"() => performance.now() >= {STAY_MS}", timeout=STAY_MS + 30_000, polling=100)
        stayed: dict[str, Any] = {**page.evaluate("() => window.__bench"), "phases": page.evaluate(PHASES_JS)}
        entries = server.entries()
        origin_ms = stayed["timeOrigin"]
        result: dict[str, Any] = {
            **boot_figures(stayed),
            "bytes_before_boot": bundle_bytes(entries, origin_ms, first["bootAt"]),
            "bytes_first_8s": bundle_bytes(entries, origin_ms, STAY_MS),
            "long_tasks_8s": long_tasks(stayed["longTasks"], STAY_MS),
            "long_tasks_to_boot": long_tasks(stayed["longTasks"], first["bootAt"]),
            "bridge_warnings": stayed["logs"],
            "fetched_8s": fetched_paths(entries),
        }

        page.mouse.move(5, 5)  # away from the launcher: a revisit must not start "interaction" by itself
        server.clear_log()
        again = visit(page, url, variant)
        page.wait_for_timeout(1_000)
        after: dict[str, Any] = {**page.evaluate("() => window.__bench"), "phases": page.evaluate(PHASES_JS)}
        entries = server.entries()
        revisit = boot_figures(after)
        result.update({f"revisit_{key}": value for key, value in revisit.items()})
        result["revisit_bundle_bytes"] = bundle_bytes(entries, after["timeOrigin"])
        result["revisit_runtime_bytes"] = sum(
            e.wire_bytes for e in entries if e.path.startswith("/py-bridge/") and e.path != "/py-bridge/embed.js"
        )
        result["revisit_fetched"] = fetched_paths(entries)
        result["revisit_long_tasks"] = long_tasks(after["longTasks"], again["bootAt"] + 1_000)
        if variant == DEFAULT:
            result.update(burst(page))
        result["page_errors"] = errors
        result["external_requests_aborted"] = intercept.external
        return result
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def burst(page: Page) -> dict[str, Any]:
    """The earlier bench's burst: 3,000 track() calls in one tick, until all reach the sandbox widget."""
    page.wait_for_function("() => window.__bench.readyAt !== null", timeout=BOOT_TIMEOUT_MS, polling=50)
    page.evaluate("() => window.__intercomSandbox.idle()")
    t0 = page.evaluate(BURST_JS, BURST)
    deadline = time.monotonic() + 60
    while True:
        count, now = page.evaluate(COUNT_JS)
        if count >= BURST:
            break
        if time.monotonic() > deadline:
            return {"burst_ms": None, "burst_error": f"only {count}/{BURST} after 60 s"}
        page.wait_for_timeout(20)
    after = page.evaluate("() => window.__bench")
    tasks = [t for t in after["longTasks"] if t["start"] <= now and t["start"] + t["duration"] >= t0]
    return {
        "burst_ms": round(now - t0, 1),
        "burst_loop_ms": round(after.get("burstLoopMs") or 0.0, 1),
        "burst_long_tasks": long_tasks(tasks, float("inf")),
    }


def fresh_page(
    browser: Browser, sandbox: Any, variant: Variant, errors: list[str]
) -> tuple[BrowserContext, Page, Intercept]:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(init_script(variant))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)[:300]))
    return context, page, Intercept(context, page, sandbox, LINK)


def link_first_visit(
    browser: Browser, server: BenchServer, sandbox: Any, variant: Variant, index: int
) -> dict[str, Any]:
    """A first visit (fresh profile) over the emulated 50 Mbit/s, 40 ms link: navigation -> boot."""
    errors: list[str] = []
    context, page, intercept = fresh_page(browser, sandbox, variant, errors)
    try:
        url = server.add_document(f"/link/{variant.key}-{index}.html", host_page(variant, server.origin, hero=False))
        reset_sandbox(sandbox)
        server.clear_log()
        bench = visit(page, url, variant)
        entries = server.entries()
        return {
            **boot_figures(bench),
            "bytes_before_boot": bundle_bytes(entries, bench["timeOrigin"], bench["bootAt"]),
            "long_tasks_to_boot": long_tasks(bench["longTasks"], bench["bootAt"]),
            "page_errors": errors,
            "external_requests_aborted": intercept.external,
        }
    finally:
        context.close()


LCP_DONE = (
    f"() => window.__bench && __bench.loadAt !== null && __bench.lcpUrl.endsWith('{HERO_PATH}') "
    "&& performance.now() >= __bench.loadAt + 500"
)


def hero_lcp(browser: Browser, server: BenchServer, sandbox: Any, variant: Variant, index: int) -> dict[str, Any]:
    """The host page's own LCP (its 2.9 MB hero image) on a first visit over the emulated link."""
    errors: list[str] = []
    context, page, intercept = fresh_page(browser, sandbox, variant, errors)
    try:
        url = server.add_document(f"/hero/{variant.key}-{index}.html", host_page(variant, server.origin, hero=True))
        reset_sandbox(sandbox)
        page.goto(url, wait_until="commit")
        page.wait_for_function(LCP_DONE, timeout=60_000, polling=50)
        bench = page.evaluate("() => window.__bench")
        return {
            "lcp_ms": round(bench["lcp"], 1),
            "load_event_ms": round(bench["loadAt"], 1),
            "long_tasks_to_lcp": long_tasks(bench["longTasks"], bench["loadAt"] + 500),
            "page_errors": errors,
            "external_requests_aborted": intercept.external,
        }
    finally:
        context.close()


def guarded(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """A failed run is recorded, never fatal: the bench always writes its report."""
    try:
        return fn(*args)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}
