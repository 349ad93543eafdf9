"""Firefox ESR and WebKitGTK, each driven through one small interface: the engine tests (tests/engines, one browser
per engine per session) and the bench (bench/engines.py, one per run) use them.

- Firefox: Debian's `firefox-esr`, headless, a fresh profile, WebDriver BiDi on `--remote-debugging-port`
  (bidi.py beside this module). Each test gets its own user context (a separate cookie jar and storage, created and
  removed in milliseconds) and one tab in it. Console lines and uncaught errors come from BiDi `log.entryAdded`,
  every request the pages make from `network.beforeRequestSent`.
- WebKit: Debian's `webkit2gtk-driver` (WebKitWebDriver) driving MiniBrowser through Selenium's WebKitGTK driver,
  on an Xvfb display this module starts. Selenium sees no console here, so the page documents the tests serve
  start with `CONSOLE_RECORDER`, which records console lines and uncaught errors in the page for the caller to read.
  Between tests the cookies and both storages of the server's origin are cleared (the bridge keeps nothing else).

Neither driver intercepts requests, so the tests point the Messenger at the sandbox with `sandbox_url`, and both
browsers are given a trap as their HTTP and HTTPS proxy (`ExitTrap`): loopback bypasses proxies, so any request
that would leave this machine reaches the trap instead, is refused and recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socketserver
import subprocess
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

__all__ = [
    "CONSOLE_RECORDER",
    "ENGINES",
    "LOOPBACK",
    "OPT_OUT",
    "Engine",
    "EngineError",
    "ExitTrap",
    "Firefox",
    "Record",
    "Recorder",
    "WebKit",
    "missing_binary",
    "tls_server_name",
]

ENGINES: Final = ("firefox", "webkit")
# Developers without the engines may skip them: PY_BRIDGE_SKIP_ENGINES=firefox,webkit (or "all"). Not under CI=true.
OPT_OUT: Final = "PY_BRIDGE_SKIP_ENGINES"
FIREFOX: Final = Path("/usr/bin/firefox-esr")
WEBKIT_DRIVER: Final = Path("/usr/bin/WebKitWebDriver")
MINIBROWSER: Final = Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
XVFB: Final = Path("/usr/bin/Xvfb")
BINARIES: Final = {"firefox": (FIREFOX,), "webkit": (WEBKIT_DRIVER, MINIBROWSER, XVFB)}
PACKAGES: Final = {"firefox": "firefox-esr", "webkit": "webkit2gtk-driver xvfb"}
LOOPBACK: Final = re.compile(r"^(https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/|blob:|data:|about:)")

# What Firefox would otherwise fetch on its own from a new profile (updates, telemetry, studies, remote settings,
# safe browsing, captive portal and connectivity checks, DNS over HTTPS); the trap proxy catches whatever is left.
FIREFOX_PREFS: Final[dict[str, Any]] = {
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.topsites.contile.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "media.gmp-gmpopenh264.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-manager.url": "",
    "media.gmp-widevinecdm.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.trr.mode": 5,
    "services.settings.server": "http://127.0.0.1:9/remote-settings-disabled/v1",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.unified": False,
}

# First script of every page the WebKit tests serve: console lines and uncaught errors, kept in the page.
CONSOLE_RECORDER: Final = """<script>(() => {
  const record = window.__engineRecord = {console: [], errors: []};
  const text = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return String(value);
    try { return JSON.stringify(value); } catch (e) { return String(value); }
  };
  for (const [method, kind] of [['log', 'log'], ['debug', 'debug'], ['info', 'info'], ['warn', 'warning'],
                                ['error', 'error']]) {
    const original = console[method].bind(console);
    console[method] = (...args) => { record.console.push([kind, args.map(text).join(' ')]); original(...args); };
  }
  addEventListener('error', (e) => record.errors.push(String(e.error || e.message)));
  addEventListener('unhandledrejection', (e) => record.errors.push('unhandled rejection: ' + text(e.reason)));
})();</script>"""


class Recorder(Protocol):
    """Where an engine puts what the page did (the e2e tests' Watch is one): console lines as (kind, text) with
    Playwright's kinds (log, debug, info, warning, error), uncaught errors, and requests that left loopback."""

    console: list[tuple[str, str]]
    page_errors: list[str]
    external: list[str]


@dataclass
class Record:
    """A plain Recorder, for callers without a test's Watch (the bench)."""

    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


class EngineError(RuntimeError):
    """An engine's browser did not start as expected (missing binaries are reported by `missing_binary` before)."""


def missing_binary(engine: str) -> str | None:
    """One line naming what is missing for `engine` and how to install it, or None when all is there."""
    absent = [str(path) for path in BINARIES[engine] if not os.access(path, os.X_OK)]
    if not absent:
        return None
    return (
        f"{engine}: {', '.join(absent)} not installed (make setup installs Debian {PACKAGES[engine]}; "
        f"developers may skip with {OPT_OUT}={engine}, never in CI)"
    )


def tls_server_name(hello: bytes) -> str | None:
    """The host name (SNI) a TLS ClientHello asks for, or None. A browser that speaks TLS to its HTTPS proxy at once
    (WebKitGTK does) sends no name when the proxy is an IP address: the request is refused all the same, its host
    unknown. Layout: RFC 8446 4.1.2 and RFC 6066 3."""
    try:
        at = 5 + 4 + 2 + 32  # record header, handshake header, legacy version, random
        at += 1 + hello[at]  # session id
        at += 2 + int.from_bytes(hello[at : at + 2], "big")  # cipher suites
        at += 1 + hello[at]  # compression methods
        end = at + 2 + int.from_bytes(hello[at : at + 2], "big")
        at += 2
        while at + 4 <= end:
            kind, size = int.from_bytes(hello[at : at + 2], "big"), int.from_bytes(hello[at + 2 : at + 4], "big")
            if kind == 0:  # server_name: list length (2), name type (1), name length (2), name
                length = int.from_bytes(hello[at + 7 : at + 9], "big")
                return hello[at + 9 : at + 9 + length].decode("ascii")
            at += 4 + size
    except (IndexError, UnicodeDecodeError):
        return None
    return None


class ExitTrap:
    """A proxy on loopback that refuses every request and records where it was going: the browsers' HTTP and HTTPS
    proxy.

    Browsers never proxy loopback, so the only requests that reach it are ones that would have left the machine.
    `trapped` lists them as "GET http://host/path" (plain HTTP) or "HTTPS host" (a CONNECT, or TLS straight away
    with the host in its server name)."""

    def __init__(self) -> None:
        self.trapped: list[str] = []
        trap = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    first = self.request.recv(16384)
                except OSError:
                    return
                if first[:1] == b"\x16":  # a TLS handshake record
                    trap.trapped.append(f"HTTPS {tls_server_name(first) or '(host unknown)'}")
                    return  # closing is the refusal
                method, _, rest = first.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
                target = rest.rpartition(" ")[0] or rest
                if method == "CONNECT":
                    trap.trapped.append(f"HTTPS {target.rsplit(':', 1)[0]}")
                elif method:
                    trap.trapped.append(f"{method} {target}")
                self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="exit-trap", daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Engine(ABC):
    """One running browser; `begin(watch)` and `end()` bracket each test."""

    name: str
    version: str = ""
    # The browser's own services, which it calls by itself whatever the page does (the trap refuses them too).
    own_hosts: re.Pattern[str] | None = None
    # Markup the served documents start with, before any of the page's scripts.
    prelude: str = ""

    def __init__(self, trap: ExitTrap) -> None:
        self.trap = trap
        self.watch: Recorder = Record()

    @abstractmethod
    def begin(self, watch: Recorder, blank_url: str) -> None:
        """Start a test in a fresh cookie jar and storage; what the page does is recorded into `watch`."""

    @abstractmethod
    def end(self) -> None:
        """Record what the current page left to record, and leave it."""

    @abstractmethod
    def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""

    @abstractmethod
    def call(self, function: str, *args: Any) -> Any:
        """Run a JavaScript function (source text, `(a, b) => ...`) in the page with JSON arguments; awaits a
        returned promise and returns its value as JSON (None for undefined)."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """A real pointer click (not element.click()) on the first element matching the CSS selector."""

    @abstractmethod
    def cookie_names(self) -> list[str]:
        """The names of the cookies the browser holds for the current page, from the driver (not document.cookie)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def collect(self) -> None:
        """Move what the page recorded itself into the watch (WebKit); Firefox's driver reports as it goes."""

    @staticmethod
    def _wrap(function: str) -> str:
        return (
            f"async (argsJson) => {{ const value = await ({function})(...JSON.parse(argsJson));"
            " return value === undefined ? null : JSON.stringify(value); }"
        )


class Firefox(Engine):
    name = "firefox"
    # Remote Settings and the like: a release build ignores a changed services.settings.server outside automation.
    own_hosts = re.compile(r"^HTTPS ([a-z0-9.-]+\.)?(mozilla\.(com|net|org)|firefox\.com|mozaws\.net)$")

    def __init__(self, trap: ExitTrap) -> None:
        super().__init__(trap)
        self.profile = Path(tempfile.mkdtemp(prefix="py-bridge-firefox-"))
        host, port = trap.address.split(":")
        prefs = {
            **FIREFOX_PREFS,
            "network.proxy.type": 1,
            "network.proxy.http": host,
            "network.proxy.http_port": int(port),
            "network.proxy.ssl": host,
            "network.proxy.ssl_port": int(port),
            "network.proxy.allow_hijacking_localhost": False,
        }
        lines = [f"user_pref({json.dumps(key)}, {json.dumps(value)});" for key, value in prefs.items()]
        (self.profile / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(FIREFOX), "--headless", "--no-remote", "--profile", str(self.profile), "--remote-debugging-port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Imported here: only the engine tests and the bench need websockets (the `test` extra).
        from websockets.sync.client import connect

        from py_bridge.tools.engines.bidi import BiDiClient

        url = self._listening_url()
        self._exit = contextlib.ExitStack()
        self.bidi = BiDiClient(self._exit.enter_context(connect(f"{url}/session", max_size=None, open_timeout=30)))
        session = self.bidi.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
        self.version = str(session["capabilities"].get("browserVersion", ""))
        self.bidi.on("log.entryAdded", self._on_log)
        self.bidi.on("network.beforeRequestSent", self._on_request)
        self.bidi.send("session.subscribe", {"events": ["log.entryAdded", "network.beforeRequestSent"]})
        self.user_context: str | None = None
        self.context = ""

    def _listening_url(self, timeout_s: float = 60) -> str:
        """Firefox prints `WebDriver BiDi listening on ws://127.0.0.1:PORT` on stderr once it listens. One thread
        reads stderr for good (Firefox must never block on a full pipe) and reports that line."""
        stderr = self.process.stderr
        assert stderr is not None
        found: list[str] = []
        seen: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in stderr:
                if ready.is_set():
                    continue
                match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if match:
                    found.append(match.group(1))
                    ready.set()
                else:
                    seen.append(line.rstrip())
            ready.set()  # stderr closed: Firefox has exited

        threading.Thread(target=read, name="firefox-stderr", daemon=True).start()
        if not ready.wait(timeout_s) or not found:
            self.process.kill()
            raise EngineError(
                f"firefox-esr did not start WebDriver BiDi within {timeout_s} s: " + " | ".join(seen[-5:])
            )
        return found[0]

    def _on_log(self, params: dict[str, Any]) -> None:
        text = str(params.get("text", ""))
        if params.get("type") == "console":
            method = str(params.get("method", "log"))
            self.watch.console.append(("warning" if method == "warn" else method, text))
        else:  # "javascript": an uncaught error, or an error Firefox reports in the page's console (a failed load)
            self.watch.console.append(("error", text))

    def collect(self) -> None:
        """Nothing to do: BiDi delivers console lines and requests as they happen."""

    def _on_request(self, params: dict[str, Any]) -> None:
        url = str(params.get("request", {}).get("url", ""))
        if not LOOPBACK.match(url):
            self.watch.external.append(url)

    def begin(self, watch: Recorder, blank_url: str) -> None:
        self.watch = watch
        self.user_context = self.bidi.send("browser.createUserContext")["userContext"]
        self.context = self.bidi.send("browsingContext.create", {"type": "tab", "userContext": self.user_context})[
            "context"
        ]

    def end(self) -> None:
        if self.user_context is not None:
            self.bidi.send("browser.removeUserContext", {"userContext": self.user_context})  # closes its tab
            self.user_context = None

    def goto(self, url: str) -> None:
        self.bidi.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def call(self, function: str, *args: Any) -> Any:
        result = self.bidi.send(
            "script.callFunction",
            {
                "functionDeclaration": self._wrap(function),
                "arguments": [{"type": "string", "value": json.dumps(list(args))}],
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise RuntimeError(f"page script threw: {details.get('text', details)}")
        value = result["result"]
        return None if value.get("type") == "null" else json.loads(value["value"])

    def click(self, selector: str) -> None:
        nodes = self.bidi.send(
            "browsingContext.locateNodes",
            {"context": self.context, "locator": {"type": "css", "value": selector}, "maxNodeCount": 1},
        )["nodes"]
        if not nodes:
            raise AssertionError(f"no element matches {selector!r}")
        element = {"sharedId": nodes[0]["sharedId"]}
        pointer = [
            {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": element}},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]
        actions = [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": pointer}]
        self.bidi.send("input.performActions", {"context": self.context, "actions": actions})
        self.bidi.send("input.releaseActions", {"context": self.context})

    def cookie_names(self) -> list[str]:
        cookies = self.bidi.send("storage.getCookies", {"partition": {"type": "context", "context": self.context}})
        return [str(cookie["name"]) for cookie in cookies["cookies"]]

    def close(self) -> None:
        try:
            self.bidi.send("browser.close", timeout_s=10)
        except Exception:
            self.process.kill()
        finally:
            self._exit.close()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


class WebKit(Engine):
    name = "webkit"
    prelude = CONSOLE_RECORDER

    def __init__(self, trap: ExitTrap, browser: Path = MINIBROWSER, env: Mapping[str, str] | None = None) -> None:
        """`browser`: what WebKitWebDriver starts (MiniBrowser; the bench uses a WebKitGTK browser with a persistent
        profile), with `env` added to the driver's environment, which it passes on."""
        # Imported here: only the engine tests and the bench need Selenium (the `test` extra).
        from selenium import webdriver
        from selenium.webdriver.common.proxy import Proxy, ProxyType
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service

        super().__init__(trap)
        self.xvfb, display = self._start_xvfb()
        options = Options()
        options.binary_location = str(browser)
        options.add_argument("--automation")
        options.proxy = Proxy(
            {
                "proxyType": ProxyType.MANUAL,
                "httpProxy": trap.address,
                "sslProxy": trap.address,
                "noProxy": ["127.0.0.1", "localhost", "[::1]"],
            }
        )
        service = Service(executable_path=str(WEBKIT_DRIVER), env={**os.environ, **(env or {}), "DISPLAY": display})
        try:
            self.driver = webdriver.WebKitGTK(options=options, service=service)
        except Exception:
            self._stop_xvfb()
            raise
        self.driver.set_script_timeout(60)
        self.version = str(self.driver.capabilities.get("browserVersion", ""))

    def _start_xvfb(self) -> tuple[subprocess.Popen[bytes], str]:
        """Xvfb picks a free display itself and writes its number to the pipe it is given (-displayfd)."""
        read_end, write_end = os.pipe()
        process = subprocess.Popen(
            [str(XVFB), "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            process.kill()
            raise EngineError("Xvfb did not start (no display number)")
        return process, f":{number}"

    def _stop_xvfb(self) -> None:
        self.xvfb.terminate()
        try:
            self.xvfb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.xvfb.kill()

    def begin(self, watch: Recorder, blank_url: str) -> None:
        """The server's origin is the only one the tests use: clear its cookies and storage from a blank page."""
        self.watch = watch
        self.driver.get(blank_url)
        self.driver.delete_all_cookies()
        self.driver.execute_script("localStorage.clear(); sessionStorage.clear();")
        self.collect()

    def end(self) -> None:
        self.collect()
        self.driver.get("about:blank")

    def collect(self) -> None:
        record = self.call(
            "() => { const r = window.__engineRecord; if (!r) return null;"
            " const taken = {console: r.console.splice(0), errors: r.errors.splice(0)}; return taken; }"
        )
        if record:
            self.watch.console.extend((str(kind), str(text)) for kind, text in record["console"])
            self.watch.page_errors.extend(str(error) for error in record["errors"])

    def goto(self, url: str) -> None:
        self.collect()  # what the page before recorded is lost with it
        self.driver.get(url)

    def call(self, function: str, *args: Any) -> Any:
        raw = self.driver.execute_script(f"return ({self._wrap(function)})(arguments[0]);", json.dumps(list(args)))
        return None if raw is None else json.loads(raw)

    def click(self, selector: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def cookie_names(self) -> list[str]:
        return [str(cookie["name"]) for cookie in self.driver.get_cookies()]

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            self._stop_xvfb()
