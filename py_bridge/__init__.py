"""py-bridge: analytics.js-style calls in, Intercom Messenger calls out, decided in Python.

The modules imported here are pure and import in CPython; only `py_bridge.worker` and `py_bridge.pyscript` touch
JavaScript (and only when running inside Pyodide).
"""

from py_bridge.bridge import Bridge, Environment, start_bridge
from py_bridge.commands import Command, IntercomCall, to_message
from py_bridge.errors import BridgeError, ConfigError, SecretInSettingsError
from py_bridge.events import Event, normalise
from py_bridge.settings import BridgeSettings, parse_settings

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
