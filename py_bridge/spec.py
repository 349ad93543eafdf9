"""The event shapes a transformation receives (`SpecEvent` and friends): the name site owners import them by.

`from py_bridge.spec import SpecEvent` is what docs/transformations.md shows; the shapes live in the core
(py_bridge.core.spec), and this module keeps the public name stable wherever the core's modules move. It goes into
the browser zip with the core (py_bridge.tools.bundle.core_zip).
"""

from py_bridge.core.spec import *  # noqa: F403
from py_bridge.core.spec import __all__  # noqa: F401
