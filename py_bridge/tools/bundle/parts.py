"""The parts one build decided on: the names and checksums that the entry points and the manifest point at.

The steps of a build each make one part (the runtime folder, the core zip, the trimmed standard library, the
snapshot); worker.mjs, embed.js and manifest.json are written last, from all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Parts"]


@dataclass(frozen=True)
class Parts:
    runtime: str  # the content-hashed Pyodide folder, without a slash: "pyodide-0123456789abcdef"
    core_zip: str
    zip_sha: str  # SHA-256 of the core zip, which the worker checks before mounting it
    stdlib: str  # the trimmed standard library, or the runtime's full one when there is no trace
    empty: str  # the empty zip a start from the snapshot mounts as its standard library; "" without a snapshot
    snapshot: str | None
    snapshot_sha: str
    snapshot_checksum: str  # the checksum of the initial memory's words outside the delta's runs
    snapshot_info: dict[str, object]
