"""`py-bridge doctor URL`: open a page in headless Chromium and check that its py-bridge tag works.

Needs Playwright (`pip install 'py-bridge[doctor]'`) and a Chromium (Debian's `/usr/bin/chromium` by default; no
`playwright install`). By default Intercom's hosts are answered by the local Intercom sandbox, so a check never
reaches Intercom and works offline; `live=True` (`--live`) lets the page talk to the real Intercom.

Each check is one line: PASS, FAIL, INFO (worth knowing, not a failure) or SKIP (could not be checked because an
earlier step did not happen). A report is ok when nothing FAILed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from py_bridge.tools.browser import CHROMIUM, CHROMIUM_ARGS, INTERCOM_HOSTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response, Route

__all__ = ["Check", "DoctorError", "Report", "diagnose", "run"]

WIDGET_URL: Final = re.compile(r"^https://widget\.intercom\.io/widget/([^/?#]*)")
JAVASCRIPT_TYPES: Final = frozenset(
    {
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/ecmascript",
        "application/ecmascript",
    }
)
NO_TAG_GRACE_S: Final = 2.0  # after the load event, how long a tag injected later (a tag manager) may take
CONSENT_GRACE_S: Final = 2.0  # after Python started, how long to wait for a consent answer before reporting it
SETTLE_S: Final = 0.3  # after the last awaited sign, to collect what arrives with it

# Runs before the page's own scripts: records the bridge's log events, CSP violations and the load event.
OBSERVER: Final = """
(() => {
  const d = {logs: [], csp: [], loaded: false};
  Object.defineProperty(window, "__pybridgeDoctor", {value: d, enumerable: false});
  window.addEventListener("pybridge:log", (e) => {
    try {
      const detail = e.detail || {};
      const entry = {level: String(detail.level), message: String(detail.message || "")};
      const started = detail.started;  // the worker's start-up figures, on the "Python started" line
      if (started && typeof started === "object") {
        entry.started = {ms: Number(started.ms), mode: String(started.mode)};
      }
      d.logs.push(entry);
    } catch (_) { /* a detail we cannot read */ }
  });
  document.addEventListener("securitypolicyviolation", (e) => {
    d.csp.push({directive: String(e.effectiveDirective || e.violatedDirective),
                blocked: String(e.blockedURI || "inline"), disposition: String(e.disposition || "enforce")});
  }, true);
  window.addEventListener("load", () => { d.loaded = true; });
})();
"""

STATE: Final = """
(live) => {
  const d = window.__pybridgeDoctor || {logs: [], csp: [], loaded: false};
  let tag = null;
  for (const s of Array.from(document.scripts)) {
    let path = "";
    try { path = new URL(s.src, location.href).pathname; } catch (_) { continue; }
    if (s.getAttribute("src") && path.endsWith("embed.js") && s.hasAttribute("data-app-id")) {
      tag = {src: s.src, appId: s.getAttribute("data-app-id"), settings: s.getAttribute("data-settings")};
      break;
    }
  }
  let booted = false;
  try {
    booted = live ? !!(window.Intercom && window.Intercom.booted === true)
                  : !!(window.__intercomSandbox && window.__intercomSandbox.bootCount >= 1);
  } catch (_) { booted = false; }
  return {tag: tag, logs: d.logs, csp: d.csp, loaded: d.loaded || document.readyState === "complete",
          booted: booted, origin: location.origin};
}
"""


class DoctorError(Exception):
    """The check could not run at all (no Playwright, no Chromium, the page would not open): one line for the user."""


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS, FAIL, INFO or SKIP
    reason: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.reason}"


@dataclass
class Report:
    url: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != "FAIL" for check in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def lines(self) -> list[str]:
        return [check.line() for check in self.checks]


@dataclass
class _Seen:
    """What the browser did, collected from Playwright's events."""

    console: list[tuple[str, str]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # url, status, type, allow_origin, origin
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, failure)
    requests: list[str] = field(default_factory=list)


def _mime(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _short(url: str, base: str) -> str:
    return url[len(base) :] if base and url.startswith(base) else url


def _expected_app_id(tag: dict[str, Any]) -> str:
    app_id = str(tag.get("appId") or "")
    try:
        settings = json.loads(tag.get("settings") or "{}")
    except ValueError:
        return app_id
    if isinstance(settings, dict):
        for key in ("app_id", "appId"):
            if isinstance(settings.get(key), str) and not app_id:
                app_id = settings[key]
    return app_id


def _tag_settings(tag: dict[str, Any] | None) -> dict[str, Any]:
    try:
        settings = json.loads((tag or {}).get("settings") or "{}")
    except ValueError:
        return {}
    return settings if isinstance(settings, dict) else {}


def _route_intercom(context: BrowserContext) -> None:
    """Answer Intercom's hosts with the local sandbox (nothing reaches Intercom)."""
    from py_bridge.tools.sandbox import Sandbox

    sandbox = Sandbox(secret="sandbox-secret", verification="off")

    def handle(route: Route) -> None:
        request = route.request
        path, _, query = re.sub(r"^https://[^/]+", "", request.url).partition("?")
        response = sandbox.handle(request.method, path, query, request.headers, request.post_data_buffer or b"")
        route.fulfill(status=response.status, headers=dict(response.headers), body=response.body)

    context.route(INTERCOM_HOSTS, handle)


def _watch(page: Page, seen: _Seen) -> None:
    def on_console(message: ConsoleMessage) -> None:
        seen.console.append((message.type, message.text))

    def on_failed(request: Request) -> None:
        seen.failed.append((request.url, request.failure or "failed"))

    page.on("console", on_console)

    def on_response(response: Response) -> None:
        headers = response.headers
        seen.responses.append(
            {
                "url": response.url,
                "status": response.status,
                "type": headers.get("content-type", ""),
                "allow_origin": headers.get("access-control-allow-origin"),
                "origin": response.request.headers.get("origin"),
            }
        )

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("request", lambda request: seen.requests.append(request.url))


def _widget_urls(seen: _Seen, tag: dict[str, Any] | None) -> list[str]:
    """The widget script requests the page made: Intercom's, or the local sandbox's when the tag sets sandbox_url."""
    sandbox_url = _tag_settings(tag).get("sandbox_url")
    prefix = sandbox_url.rstrip("/") + "/widget/" if isinstance(sandbox_url, str) and sandbox_url else None
    return [url for url in seen.requests if WIDGET_URL.match(url) or (prefix is not None and prefix in url)]


def _widget_failure(seen: _Seen, tag: dict[str, Any] | None) -> str | None:
    """Why the widget script did not arrive, when every request for it failed (a network error, a DNS failure, a
    refused or aborted connection, a non-2xx answer); None while one is pending or once one was answered."""
    urls = set(_widget_urls(seen, tag))
    if not urls:
        return None
    failures: dict[str, str] = {url: f"failed ({failure})" for url, failure in seen.failed if url in urls}
    answered: set[str] = set()
    for response in seen.responses:
        url, status = response["url"], response["status"]
        if url not in urls or url in failures:
            continue
        if 200 <= status < 300 or status == 304:
            answered.add(url)
        else:
            failures[url] = f"answered {status}"
    if answered or set(failures) != urls:
        return None
    url, why = next(iter(failures.items()))
    return f"{url} {why}"


def _started(logs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The worker's start-up figures ({ms, mode}) from the bridge's "Python started" log event, once it came."""
    for log in logs:
        started = log.get("started")
        if isinstance(started, dict):
            return started
    return None


def _figure(value: Any) -> str:
    """A number of milliseconds as the log line shows it (900, not 900.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _consent_required(tag: dict[str, Any] | None) -> bool:
    setting = _tag_settings(tag).get("consent")
    return isinstance(setting, dict) and setting.get("required") is True


def _observe(page: Page, seen: _Seen, *, live: bool, timeout: float, consent: bool) -> dict[str, Any]:
    """Poll the page until the bridge booted Intercom, stopped, waits for consent, or the time is up."""
    deadline = time.monotonic() + timeout
    loaded_at: float | None = None
    started_at: float | None = None
    consent_given = False
    state: dict[str, Any] = {}
    while True:
        now = time.monotonic()
        state = page.evaluate(STATE, live)
        if state["loaded"] and loaded_at is None:
            loaded_at = now
        started = _started(state["logs"]) is not None
        if started and started_at is None:
            started_at = now
        stopped = any(
            kind == "error" and text.startswith("[py-bridge]") and "disabled on this page" in text
            for kind, text in seen.console
        )
        consent_required = _consent_required(state["tag"])
        widget_failed = _widget_failure(seen, state["tag"]) is not None
        if started and consent and consent_required and not consent_given:
            page.evaluate("() => window.pybridge && window.pybridge.consent && window.pybridge.consent(true)")
            consent_given = True
        if (
            (started and state["booted"])
            or stopped
            or widget_failed  # nothing can boot without the widget script: no waiting for the timeout
            or (state["tag"] is None and loaded_at is not None and now - loaded_at > NO_TAG_GRACE_S)
            or (started_at is not None and consent_required and not consent and now - started_at > CONSENT_GRACE_S)
            or now > deadline
        ):
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(SETTLE_S * 1000)
    final: dict[str, Any] = page.evaluate(STATE, live)
    return final


def _bundle_check(seen: _Seen, tag: dict[str, Any] | None, page_origin: str) -> Check:
    name = "bundle files"
    if tag is None:
        return Check(name, "SKIP", "no tag, so no bundle to check")
    base = tag["src"].rsplit("/", 1)[0] + "/"
    problems: list[str] = []
    files = 0
    for response in seen.responses:
        url = response["url"]
        if not url.startswith(base):
            continue
        files += 1
        short = _short(url, base).split("?", 1)[0]
        if not (200 <= response["status"] < 300 or response["status"] == 304):
            problems.append(f"{short} answered {response['status']}")
            continue
        kind = _mime(response["type"])
        suffix = short.rsplit(".", 1)[-1].lower() if "." in short.rsplit("/", 1)[-1] else ""
        if suffix == "wasm" and kind != "application/wasm":
            problems.append(f"{short} served as {kind or 'no type'}, needs application/wasm")
        elif suffix in ("js", "mjs") and kind not in JAVASCRIPT_TYPES:
            problems.append(f"{short} served as {kind or 'no type'}, needs text/javascript")
        request_origin = response["origin"]
        if _origin(url) != page_origin and request_origin:
            allowed = response["allow_origin"]
            if allowed not in ("*", request_origin):
                problems.append(f"{short} is cross-origin and has no Access-Control-Allow-Origin for {request_origin}")
    for url, failure in seen.failed:
        if url.startswith(base):
            files += 1
            short = _short(url, base).split("?", 1)[0]
            problems.append(f"{short} {_why_failed(url, failure, page_origin)}")
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return Check(name, "FAIL", "; ".join(dict.fromkeys(problems[:3])) + more)
    cross = "cross-origin with CORS" if _origin(base) != page_origin else "same origin"
    return Check(name, "PASS", f"{files} file(s) from {base} with the right types ({cross})")


def _why_failed(url: str, failure: str, page_origin: str) -> str:
    """Ask the server again, outside the browser, to tell a CORS refusal from a missing file or a network error."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Origin": page_origin}, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            allowed = response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        return f"answered {error.code}"
    except (OSError, ValueError):
        return f"failed ({failure})"
    if _origin(url) != page_origin and allowed not in ("*", page_origin):
        return f"is cross-origin and has no Access-Control-Allow-Origin for {page_origin} (the browser refused it)"
    return f"failed ({failure})"


def diagnose(
    url: str,
    *,
    browser: Browser | None = None,
    chromium: str = CHROMIUM,
    timeout: float = 30.0,
    live: bool = False,
    consent: bool = False,
) -> Report:
    """Open `url` and return the checklist. With `browser` (a Playwright Chromium) no browser is launched."""
    if browser is not None:
        return _diagnose(browser, url, timeout=timeout, live=live, consent=consent)
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise DoctorError("needs Playwright, which is not installed: pip install 'py-bridge[doctor]'") from error
    from pathlib import Path

    if not Path(chromium).is_file():
        raise DoctorError(f"no Chromium at {chromium} (install Debian's chromium or give one with --chromium PATH)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"
            raise DoctorError(f"could not start Chromium at {chromium}: {first}") from error
        try:
            return _diagnose(launched, url, timeout=timeout, live=live, consent=consent)
        finally:
            launched.close()


def _diagnose(browser: Browser, url: str, *, timeout: float, live: bool, consent: bool) -> Report:
    from playwright.sync_api import Error as PlaywrightError

    report = Report(url)
    context = browser.new_context()
    seen = _Seen()
    try:
        if not live:
            _route_intercom(context)
        context.add_init_script(OBSERVER)
        page = context.new_page()
        _watch(page, seen)
        try:
            response = page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0]
            raise DoctorError(f"could not open {url}: {first}") from error
        if response is not None and response.status >= 400:
            raise DoctorError(f"could not open {url}: the server answered {response.status}")
        state = _observe(page, seen, live=live, timeout=timeout, consent=consent)
    finally:
        context.close()
    report.checks = _checks(state, seen, live=live, consent=consent, timeout=timeout)
    return report


def _checks(state: dict[str, Any], seen: _Seen, *, live: bool, consent: bool, timeout: float) -> list[Check]:
    tag = state["tag"]
    logs: list[dict[str, Any]] = state["logs"]
    errors = [text for kind, text in seen.console if kind == "error" and text.startswith("[py-bridge]")]
    checks: list[Check] = []

    # 1. the tag
    if tag is None:
        checks.append(Check("tag", "FAIL", "no <script> whose src ends with embed.js and has data-app-id"))
    else:
        checks.append(Check("tag", "PASS", f'{tag["src"]} with data-app-id="{tag["appId"]}"'))

    # 2. settings
    stopped = [e for e in errors if "not started" in e or "data-settings" in e]
    if tag is None:
        checks.append(Check("settings", "SKIP", "no tag"))
    elif stopped:
        index = errors.index(stopped[0])
        cause = errors[index - 1] if index > 0 and "not started" in stopped[0] else stopped[0]
        checks.append(Check("settings", "FAIL", cause.removeprefix("[py-bridge] ")[:300]))
    else:
        checks.append(Check("settings", "PASS", 'accepted (no "[py-bridge] not started" error)'))

    # 3. bundle files
    checks.append(_bundle_check(seen, tag, state["origin"]))

    # 4. Python
    started = _started(logs)
    other = [e.removeprefix("[py-bridge] ") for e in errors if e not in stopped]
    if tag is None:
        checks.append(Check("python", "SKIP", "no tag"))
    elif started:
        snapshot = " (from snapshot)" if started.get("mode") == "snapshot" else ""
        checks.append(Check("python", "PASS", f"started in {_figure(started.get('ms'))} ms{snapshot}"))
    elif stopped:
        checks.append(Check("python", "FAIL", "not started: the settings stopped the bridge"))
    elif other:
        checks.append(Check("python", "FAIL", other[0][:300]))
    else:
        checks.append(Check("python", "FAIL", f'no "Python started" within {timeout:g} s'))

    # 5. consent
    required = _consent_required(tag)
    widget_ids = [url.split("/widget/", 1)[1].split("?", 1)[0].split("#", 1)[0] for url in _widget_urls(seen, tag)]
    widget_failure = _widget_failure(seen, tag)
    where = "Intercom" if live else "the local Intercom sandbox"
    pending_consent = required and not consent and not widget_ids
    if tag is None:
        checks.append(Check("consent", "SKIP", "no tag"))
    elif not required:
        checks.append(Check("consent", "PASS", "not required by the settings"))
    elif consent:
        checks.append(Check("consent", "INFO", "required; doctor answered pybridge.consent(true)"))
    elif pending_consent:
        checks.append(
            Check("consent", "INFO", "required and not answered: the Messenger waits for pybridge.consent(true)")
        )
    else:
        checks.append(Check("consent", "PASS", "required and answered by the page"))

    # 6. widget
    disabled = ": py-bridge disabled itself (see above)" if any("disabled on this page" in e for e in errors) else ""
    expected = _expected_app_id(tag) if tag else ""
    if tag is None:
        checks.append(Check("widget", "SKIP", "no tag"))
    elif pending_consent:
        checks.append(Check("widget", "SKIP", "waits for consent (run with --consent to grant it)"))
    elif not widget_ids:
        checks.append(Check("widget", "FAIL", "never requested" + (disabled or f" within {timeout:g} s")))
    elif expected not in widget_ids:
        checks.append(Check("widget", "FAIL", f"requested for App ID {widget_ids[0]!r}, the tag says {expected!r}"))
    elif widget_failure is not None:
        checks.append(Check("widget", "FAIL", f"{where} could not be reached: {widget_failure}"))
    else:
        checks.append(Check("widget", "PASS", f"requested for App ID {expected} (answered by {where})"))

    # 7. booted
    if tag is None:
        checks.append(Check("intercom", "SKIP", "no tag"))
    elif pending_consent:
        checks.append(Check("intercom", "SKIP", "waits for consent"))
    elif widget_failure is not None and not state["booted"]:
        checks.append(Check("intercom", "SKIP", "not checked: the widget script did not load (see widget)"))
    elif state["booted"]:
        checks.append(Check("intercom", "PASS", "the Messenger booted" + ("" if live else " (sandbox)")))
    else:
        checks.append(Check("intercom", "FAIL", "the Messenger did not boot" + (disabled or f" within {timeout:g} s")))

    # 8. CSP
    violations = [f"{v['directive']} blocked {v['blocked']}" for v in state["csp"] if v["disposition"] == "enforce"]
    reported = [f"{v['directive']} would block {v['blocked']}" for v in state["csp"] if v["disposition"] != "enforce"]
    console_csp = [
        text[:200] for kind, text in seen.console if "Content Security Policy" in text and kind in ("error", "warning")
    ]
    if violations or (console_csp and not reported):
        found = list(dict.fromkeys(violations or console_csp))
        checks.append(
            Check("csp", "FAIL", "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else ""))
        )
    elif reported:
        checks.append(Check("csp", "INFO", "report-only: " + "; ".join(list(dict.fromkeys(reported))[:3])))
    else:
        checks.append(Check("csp", "PASS", "no Content-Security-Policy violations"))
    return checks


def run(url: str, *, chromium: str = CHROMIUM, timeout: float = 30.0, live: bool = False, consent: bool = False) -> int:
    """The command: print the checklist, return 0 only when nothing failed."""
    report = diagnose(url, chromium=chromium, timeout=timeout, live=live, consent=consent)
    print(
        f"py-bridge doctor: {url}"
        + ("" if live else " (Intercom answered by the local sandbox; --live for the real one)")
    )
    for line in report.lines():
        print(line)
    failed = sum(check.status == "FAIL" for check in report.checks)
    print("all checks passed" if report.ok else f"{failed} check(s) failed")
    return 0 if report.ok else 1
