"""The entry points: embed.js (the one tag a site adds) and worker.mjs, with this build's names filled in.

They are the only files without a content hash in their name, and they name every hashed file: the worker learns
where the runtime, the zips and the snapshot are and which SHA-256 each must have before it uses it. The scripts
themselves come bundled from the page and worker modules (`scripts`: esbuild in a checkout, carried by a wheel).
The tag's integrity (SRI) is computed from the final embed.js.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from py_bridge import __version__
from py_bridge.tools.bundle.content import digest
from py_bridge.tools.bundle.parts import Parts

__all__ = ["write_entry_points"]


def write_entry_points(out: Path, scripts: dict[str, str], parts: Parts, lock_info: Any) -> str:
    """Write worker.mjs and embed.js into out from the bundled scripts; returns embed.js's `sha384-…` integrity."""
    # The files the worker checks by SHA-256 before using them (besides the core zip and the snapshot): Pyodide's
    # wasm and standard library, and the zips Pyodide mounts as its standard library.
    runtime = parts.runtime
    checked = {
        name: digest((out / name).read_bytes())
        for name in (f"{runtime}/pyodide.asm.wasm", f"{runtime}/python_stdlib.zip", parts.stdlib, parts.empty)
        if name
    }
    worker = (
        scripts["worker.mjs"]
        .replace("__PY_BRIDGE_RUNTIME__", f"{runtime}/")
        .replace("__PY_BRIDGE_CORE_ZIP__", parts.core_zip)
        .replace("__PY_BRIDGE_ZIP_SHA256__", parts.zip_sha)
        .replace("__PY_BRIDGE_STDLIB__", parts.stdlib)
        .replace("__PY_BRIDGE_SNAPSHOT__", parts.snapshot or "")
        .replace("__PY_BRIDGE_SNAPSHOT_SHA256__", parts.snapshot_sha)
        .replace("__PY_BRIDGE_SNAPSHOT_INITIAL__", parts.snapshot_checksum)
        .replace("__PY_BRIDGE_SNAPSHOT_STDLIB__", parts.empty)
        .replace('"__PY_BRIDGE_LOCK_INFO__"', json.dumps(lock_info, sort_keys=True))
        .replace('"__PY_BRIDGE_FILE_SHA256__"', json.dumps(checked, sort_keys=True))
    )
    (out / "worker.mjs").write_text(worker, encoding="utf-8")
    embed = scripts["embed.js"].replace("__PY_BRIDGE_VERSION__", __version__)
    (out / "embed.js").write_text(embed, encoding="utf-8")
    return "sha384-" + base64.b64encode(hashlib.sha384(embed.encode("utf-8")).digest()).decode("ascii")
