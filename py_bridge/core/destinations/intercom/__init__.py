"""The Intercom Messenger destination: settings, pure mapping, update budget and session state."""

from py_bridge.core.destinations.intercom.destination import IntercomDestination
from py_bridge.core.destinations.intercom.settings import IntercomSettings, parse_intercom_settings

__all__ = ["IntercomDestination", "IntercomSettings", "parse_intercom_settings"]
