"""Firefox ESR and WebKitGTK for the engine tests and the bench: browsers.py drives them (Firefox over WebDriver BiDi
with bidi.py's client, WebKitGTK through Selenium), and a trap proxy keeps every request on loopback. Needs the
`test` extra (selenium, websockets) and Debian's firefox-esr, webkit2gtk-driver and xvfb (docs/engines.md).
"""

from py_bridge.tools.engines.browsers import (
    CONSOLE_RECORDER,
    ENGINES,
    LOOPBACK,
    OPT_OUT,
    Engine,
    EngineError,
    ExitTrap,
    Firefox,
    Record,
    Recorder,
    WebKit,
    missing_binary,
    tls_server_name,
)

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
