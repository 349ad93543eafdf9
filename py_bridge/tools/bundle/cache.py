"""The build cache: what Node and brotli made once is reused by every later build of the same inputs.

Tracing, snapshotting and brotli quality 11 take tens of seconds; their results depend only on their inputs, so they
are kept in a folder keyed by those inputs. Concurrent builds may share the folder (writes are atomic), and a file
unused for a month goes, so old snapshots do not pile up.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["cached_json", "prune", "store", "used", "user_cache"]


def user_cache() -> Path | None:
    """The cache of a build from an installed wheel (a checkout keeps its cache in node_modules)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    try:
        folder = Path(base) / "py-bridge"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def store(target: Path, payload: bytes) -> None:
    """Write a cache file atomically (concurrent builds may share the cache)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(target)


def prune(cache: Path, keep_days: float = 30) -> None:
    """Drop cache files unused for keep_days (each use refreshes a file's time), so old snapshots do not pile up."""
    limit = time.time() - keep_days * 86400
    for path in cache.glob("*") if cache.is_dir() else ():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def used(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


def cached_json(target: Path, produce: Callable[[], list[str]]) -> list[str]:
    if target.is_file():
        used(target)
        cached: list[str] = json.loads(target.read_text(encoding="utf-8"))
        return cached
    value = produce()
    store(target, json.dumps(value).encode())
    return value
