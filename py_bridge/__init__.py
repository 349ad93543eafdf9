"""py-bridge: analytics.js-style calls in, Intercom Messenger calls out, decided in Python.

The package is grouped by where its code runs, and imports flow one way (tools import the core, never the reverse):

    core/       runs in the browser, in the Pyodide worker (and under PyScript): the bridge and everything it
                decides with; with this file and pyscript/ it is all the bundle's py_bridge zip holds
    pyscript/   the PyScript entry, run in the page: `from py_bridge.pyscript import install`
    identity.py runs on a site's server: the `user_hash` / `intercom_user_jwt` a page passes to identify
    tools/      run on a developer's machine: the `py-bridge` command, the bundler, the dev server, the doctor,
                the demo, the Intercom sandbox, the generator of the page's constants

The names imported here are the core's public surface; they are pure and import in CPython. Only
`py_bridge.core.worker` and `py_bridge.pyscript` touch JavaScript (and only when running inside Pyodide).
"""

from py_bridge.core.bridge import Bridge, Environment, start_bridge
from py_bridge.core.commands import Command, IntercomCall, to_message
from py_bridge.core.errors import BridgeError, ConfigError, SecretInSettingsError
from py_bridge.core.events import Event, normalise
from py_bridge.core.settings import BridgeSettings, parse_settings

__all__ = [
    "Bridge",
    "BridgeError",
    "BridgeSettings",
    "Command",
    "ConfigError",
    "Environment",
    "Event",
    "IntercomCall",
    "SecretInSettingsError",
    "__version__",
    "normalise",
    "parse_settings",
    "start_bridge",
    "to_message",
]

__version__ = "0.1.0"
