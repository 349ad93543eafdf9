"""The memory snapshot's bytes: from the wheel, from the cache, or made now by Node.

Making a snapshot takes Node and most of a minute; it depends only on the build's inputs (runtime, core zip,
snapshot code), so a rebuild of unchanged sources reuses it. The same bytes give the same content-hashed name, so
visitors keep their cached copy across deploys that leave the core alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from py_bridge.tools.bundle.cache import store, used
from py_bridge.tools.bundle.sources import Sources, carried_product

__all__ = ["snapshot_bytes"]


def snapshot_bytes(
    sources: Sources, inputs: str, make: Callable[[], tuple[bytes, dict[str, object]]]
) -> tuple[bytes, dict[str, object]]:
    """The snapshot and its facts for inputs: what the wheel carries, a cached one, or `make()` (then cached)."""
    if sources.carried is not None:  # from the wheel: the snapshot Node made when the wheel was built
        cached_bin = carried_product(sources, f"snapshot-{inputs}.bin", inputs)
        cached_info = carried_product(sources, f"snapshot-{inputs}.json", inputs)
    else:
        assert sources.cache is not None
        cached_bin, cached_info = sources.cache / f"snapshot-{inputs}.bin", sources.cache / f"snapshot-{inputs}.json"
    if sources.carried is not None or (cached_bin.is_file() and cached_info.is_file()):
        used(cached_bin, cached_info)
        data = cached_bin.read_bytes()
        info: dict[str, object] = json.loads(cached_info.read_text())
        return data, info
    data, info = make()
    store(cached_bin, data)
    store(cached_info, json.dumps(info).encode())
    return data, info
