"""Local emulator of Intercom's web Messenger (widget script + Messenger API), for the demo and e2e tests.

Real Intercom is unreachable from our machines, and a strict local stand-in lets tests prove what the bridge sends.
"""

from py_bridge.tools.sandbox.app import Sandbox, SandboxResponse

__all__ = ["Sandbox", "SandboxResponse"]
