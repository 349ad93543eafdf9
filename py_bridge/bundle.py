"""`py-bridge build`: writes the deployable static bundle.

Layout (every asset is fetched relative to embed.js, so the folder can live under any path of any static host):

    embed.js                 the one tag (classic script: it finds its own URL through document.currentScript)
    worker.mjs               the module worker that starts Pyodide (stable name: embed.js refers to it)
    py_bridge-<hash>.zip     the pure-Python core (checksum baked into worker.mjs)
    stdlib-<hash>.zip        the trimmed standard library: only what Python and the core import at run time
    empty-<hash>.zip         an empty zip: the standard library of a start from the snapshot (Pyodide always fetches
                             one, and the snapshot already holds every module the core needs)
    snapshot-<hash>.bin      a Pyodide memory snapshot with the core imported, stored as a delta against the wasm's
                             initial memory (see web/snapshot.mjs and worker.mjs); first visits start from it
    pyodide-<hash>/          the pinned Pyodide runtime from npm, unchanged (Pyodide finds the wasm by its fixed name
                             next to pyodide.asm.mjs, so the FOLDER carries the hash); its full python_stdlib.zip is
                             fetched only when Python imports a standard module the trimmed zip lacks
    pyscript/                the pinned PyScript runtime, for the second entry (Python in a <script type="py">)
    manifest.json            versions, file names, sizes (raw, brotli, gzip) and hashes
    .py-bridge-build.json    the ledger: every file and folder this build wrote into the folder

Every name with a content hash never changes content: serve those with `Cache-Control: public, max-age=31536000,
immutable`, and only embed.js, worker.mjs and manifest.json with a short cache. Each compressible file gets a
precompressed `<file>.br` (brotli quality 11) and `<file>.gz` next to it, for hosts that serve precompressed files.

The OUT folder may be a site's own (its `public/`): the build deletes or overwrites only what its ledger says it
wrote. It makes the bundle in a temporary folder, refuses (OutFolderError, before touching anything) when a name it
must write exists and is not in the ledger (a site's `manifest.json`), moves the bundle in, and then deletes the
ledger's stale entries (files of an earlier build; their folders only once empty), nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from py_bridge import __version__
from py_bridge.errors import BridgeError
from py_bridge.script_bundle import bundle_scripts, carried_scripts

__all__ = [
    "IMMUTABLE_NAME",
    "LEDGER",
    "BuildResult",
    "OutFolderError",
    "RuntimeFilesError",
    "build",
    "is_immutable",
    "project_root",
    "stage_runtime",
    "trimmed_stdlib_members",
]

RUNTIME_FILES: Final = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
# An installed wheel carries the runtime here (made by setup.py's build_py through stage_runtime): Pyodide's core
# files, PyScript's dist, web/, the licenses, and what Node made when the wheel was built (the traced module list and
# the snapshot), each file listed with its SHA-256 in MANIFEST.json. A checkout has no such folder: node_modules.
CARRIED: Final = Path(__file__).resolve().parent / "_runtime"
CARRIED_MANIFEST: Final = "MANIFEST.json"
# Modules that only make sense in CPython (tooling, server-side helpers, the dev server) stay out of the browser.
NOT_IN_BROWSER: Final = frozenset(
    {"cli.py", "bundle.py", "devserver.py", "doctor.py", "identity.py", "page_constants.py", "script_bundle.py"}
)
NOT_IN_BROWSER_DIRS: Final = frozenset({"sandbox", "demo", "__pycache__"})
# Core modules the worker never imports (the PyScript boundary runs in the page): kept out of the snapshot.
NOT_IN_SNAPSHOT: Final = frozenset({"py_bridge.pyscript"})
ZIP_EPOCH: Final = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip and checksum
HASH_DIGITS: Final = 16
# A content-hashed name (file or folder) as this build writes them: `name-<16 hex digits>` before `.` or `/`.
IMMUTABLE_NAME: Final = re.compile(r"(^|/)[A-Za-z0-9_.]+-[0-9a-f]{16}(\.[a-z]+(\.br|\.gz)?$|/)")
# The list of what the build wrote into its OUT folder: the only files a later build may overwrite or delete.
LEDGER: Final = ".py-bridge-build.json"
# Names every build writes (the others carry a content hash): checked for clashes before a minute of work.
STABLE_FILES: Final = (
    "manifest.json",
    *(f"{name}{end}" for name in ("embed.js", "worker.mjs") for end in ("", ".br", ".gz")),
)
STABLE_FOLDERS: Final = ("pyscript",)
# Moved in last, so a host serving the folder meanwhile never hands out an entry point naming files not yet there.
ENTRY_POINTS: Final = ("worker.mjs", "embed.js", "manifest.json")
# What builds from before the ledger wrote (their manifest.json listed every file of the folder, a site's too).
OWN_LAYOUT: Final = re.compile(
    r"embed\.js|worker\.mjs|(py_bridge|stdlib|empty|snapshot)-[0-9a-f]{16}\.(zip|bin)|pyodide-[0-9a-f]{16}/[^/]+"
    r"|pyscript/.+"
)
COMPRESSIBLE: Final = frozenset({".js", ".mjs", ".wasm", ".json", ".bin", ".zip", ".css", ".html", ".svg", ".map"})
BROTLI_QUALITY: Final = 11
GZIP_LEVEL: Final = 9
# Standard modules always in the trimmed zip, on top of what the traced session imported: what Python and Pyodide
# need to start (a normal start, the fallback when a snapshot cannot be used) and cheap modules that error paths
# import lazily. Anything else still works: the worker fetches the full python_stdlib.zip on demand.
STDLIB_ALLOWLIST: Final = (
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8",
    "encodings.utf_16",
    "encodings.idna",
    "_strptime",
    "linecache",
    "textwrap",
)
# Drives one session through every kind of message and item and every signal (py_bridge.protocol; a unit test checks
# the list) in the traced run, so lazy imports show up in sys.modules.
EXERCISE: Final = r"""
import json
from py_bridge.worker import WorkerSession

sent = []
def call(method, *args, **context):
    return {"kind": "call", "method": method, "args": list(args),
            "context": {"url": "https://example.com/a?b=1", "path": "/a", "search": "?b=1", "referrer": "",
                        "title": "A", "timestamp": 1767225600000, "locale": "en-US", "timezone": "Europe/Paris",
                        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", **context}}

items = [
    call("page"),
    call("page", "Docs", "Install", {"section": "a"}),
    call("identify", "u1", {"email": "a@example.com", "name": "Ann", "createdAt": {"$pybridge": "date", "ms": 1.7e12},
                            "created_at": "2026-01-02T03:04:05Z", "plan_started_at": "2026-01-02",
                            "company": {"id": "c1", "name": "Acme", "monthlySpend": 12.5, "createdAt": 1700000000},
                            "companies": [{"id": "c2"}], "avatar": "https://example.com/a.png",
                            "nested": {"a": {"b": [1, 2]}}, "big": {"$pybridge": "bigint", "value": "123"},
                            "n": {"$pybridge": "number", "value": "NaN"}, "unsubscribedFromEmails": True},
         {"integrations": {"Intercom": {"user_hash": "ab" * 32}}}),
    call("track", "Order Completed", {"total": 12.345, "currency": "eur", "url": "https://example.com/o/1",
                                     "when": {"$pybridge": "date", "ms": 1.7e12}, "deep": {"x": 1}}),
    call("track", "Signed.Up$", {"revenue": -1.5, "items": [1, 2]}),
    call("track", ""),
    call("group", "c1", {"name": "Acme", "plan": "pro", "employees": 10, "createdAt": "2026-01-01T00:00:00+02:00"}),
    call("identify", "u2", {"firstName": "B", "lastName": "C"}),
    call("reset"),
    call("unknown_method"),
    {"kind": "control", "method": "show", "args": []},
    {"kind": "control", "method": "showNewMessage", "args": ["hi"]},
    {"kind": "control", "method": "startTour", "args": [12]},
    {"kind": "listen", "event": "show"},
    {"kind": "listen", "event": "unread"},
    {"kind": "signal", "name": "widget", "data": {"status": "loaded"}},
    {"kind": "signal", "name": "messenger", "data": {"event": "show"}},
    {"kind": "signal", "name": "tick", "data": {}},
    {"kind": "debug", "on": True},
    {"kind": "export", "id": 1},
    {"kind": "nonsense"},
]
settings = [
    {"app_id": "abc12345", "widget_id": "#help", "region": "eu", "nested": "flatten", "include_context": True,
     "rich_link_properties": ["url"], "event_filter": {"deny": ["Nope"]}, "track_pages": True,
     "track_messenger_events": True, "identity_verification": "user_hash", "debug": True, "send_anonymous_id": True,
     "alignment": "left", "horizontal_padding": 30, "vertical_padding": 30, "hide_default_launcher": False,
     "max_metadata_keys": 5, "sandbox_url": "http://127.0.0.1:8000/sandbox"},
    {"app_id": "abc12345", "consent": {"required": True}, "region": "au", "event_filter": {"allow": ["A"]}},
    {"app_id": "abc12345", "identity_verification": "jwt"},
    {"app_id": "ABC 123", "region": "mars", "api_secret": "x"},
    {"appId": "abc12345", "activator": "#x", "apiBase": "https://api-iam.intercom.io", "unknown": 1},
]
for index, config in enumerate(settings):
    session = WorkerSession(sent.append, lambda: None)
    session.handle(json.dumps({"type": "init", "settings": config, "env": {"native_intercom": False}, "items": items}))
    session.handle(json.dumps({"type": "batch", "items": items[1:] + [{"kind": "consent", "granted": True,
                                                                       "anonymous_id": "a-1"}]}))
    session.handle(json.dumps({"type": "batch", "items": [{"kind": "consent", "granted": False}] + items[:3]}))
    session.handle("not json")
    session.handle(json.dumps([1, 2]))
"""


class RuntimeFilesError(BridgeError):
    """The runtime an installed wheel carries is damaged or does not belong to this build (one line, for the CLI)."""


class OutFolderError(BridgeError):
    """The OUT folder holds something the build must not touch: a file or folder of a name the build writes that
    the ledger does not name (a site's own `manifest.json`), or a ledger it cannot read. One line, for the CLI;
    raised before the build changed anything in the folder."""


@dataclass(frozen=True)
class _Sources:
    """Where a build takes the pinned runtime from: the wheel's package data, else a checkout's node_modules."""

    pyodide: Path
    pyscript: Path
    web: Path
    cache: Path | None
    carried: dict[str, object] | None = None  # the wheel's MANIFEST.json; None in a checkout


def _user_cache() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    try:
        folder = Path(base) / "py-bridge"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _verify_carried(carried: Path) -> dict[str, object]:
    """Every file the wheel carries, checked against the SHA-256 manifest made when the wheel was built."""
    try:
        manifest: dict[str, object] = json.loads((carried / CARRIED_MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        assert isinstance(files, dict)
    except (OSError, ValueError, KeyError, AssertionError) as error:
        raise RuntimeFilesError(f"{carried / CARRIED_MANIFEST} is unreadable ({error}): reinstall py-bridge") from None
    for relative, expected in sorted(files.items()):
        path = carried / relative
        try:
            actual = _digest(path.read_bytes())
        except OSError:
            raise RuntimeFilesError(f"runtime file {path} is missing: reinstall py-bridge") from None
        if actual != expected:
            raise RuntimeFilesError(
                f"runtime file {path} does not match the SHA-256 the wheel was built with "
                f"({actual[:16]}… instead of {str(expected)[:16]}…): reinstall py-bridge"
            )
    return manifest


def _sources(root: Path) -> _Sources:
    if (CARRIED / CARRIED_MANIFEST).is_file():
        manifest = _verify_carried(CARRIED)
        return _Sources(CARRIED / "pyodide", CARRIED / "pyscript", CARRIED / "web", _user_cache(), manifest)
    modules_dir = _node_modules(root)
    return _Sources(
        modules_dir / "pyodide",
        modules_dir / "@pyscript" / "core" / "dist",
        root / "web",
        modules_dir / ".cache" / "py-bridge",
    )


def _carried_product(sources: _Sources, name: str, inputs: str) -> Path:
    """A file Node made when the wheel was built; it must be the one for this exact runtime, core and snapshot code."""
    assert sources.carried is not None
    made_for = sources.carried.get("inputs")
    path = CARRIED / "products" / name
    if made_for != inputs or not path.is_file():
        raise RuntimeFilesError(
            f"the snapshot the wheel carries was made for another build (Pyodide {sources.carried.get('runtime')}, "
            f"inputs {str(made_for)[:12]}…, this build {inputs[:12]}…): the installed py_bridge sources or runtime "
            "were changed; reinstall py-bridge"
        )
    return path


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    embed_integrity: str
    zip_sha256: str
    total_bytes: int
    snapshot: str | None = None  # file name of the snapshot (relative to out_dir), None when the build has none
    runtime: str = ""  # the content-hashed Pyodide folder, e.g. "pyodide-0123456789abcdef/"
    core_zip: str = ""
    stdlib: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    first_visit_br_bytes: int = 0  # what a first visit downloads with brotli (0 when not compressed)
    inputs: str = ""  # the key of what Node made for this build (trace, snapshot): runtime, core, snapshot code

    def tag(self, url: str = "https://static.example.com/py-bridge/embed.js") -> str:
        return (
            f'<script async src="{url}" integrity="{self.embed_integrity}" crossorigin="anonymous" '
            'data-app-id="YOUR_APP_ID" data-widget-id="#help"></script>'
        )


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def is_immutable(relative: str) -> bool:
    """True for a bundle path whose name carries its content hash (serve it with a one-year immutable cache)."""
    return bool(IMMUTABLE_NAME.search(relative))


def _node_modules(root: Path) -> Path:
    for folder in (root, *root.parents):
        candidate = folder / "node_modules"
        if (candidate / "pyodide" / "pyodide.mjs").is_file():
            return candidate
    raise FileNotFoundError("node_modules/pyodide not found: run `npm ci` in the py-bridge checkout (make setup)")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hashed(out: Path, stem: str, suffix: str, data: bytes) -> str:
    """Write data as `<stem>-<hash><suffix>` in out; returns the name."""
    name = f"{stem}-{_digest(data)[:HASH_DIGITS]}{suffix}"
    (out / name).write_bytes(data)
    return name


def _write_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A reproducible zip whose members are STORED: transport compression (brotli over the whole archive) then
    beats per-member deflate, and zipimport reads stored members without inflating them."""
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_EPOCH), data)
    return target.getvalue()


def _core_entries(package: Path) -> list[tuple[str, bytes]]:
    entries = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in NOT_IN_BROWSER_DIRS or str(relative) in NOT_IN_BROWSER:
            continue
        entries.append((f"py_bridge/{relative.as_posix()}", path.read_bytes()))
    return entries


def _core_modules(entries: Iterable[tuple[str, bytes]]) -> list[str]:
    """Every module of the core zip that the worker may import (all of them go into the snapshot)."""
    names = []
    for name, _ in entries:
        module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if module not in NOT_IN_SNAPSHOT:
            names.append(module)
    return names


def trimmed_stdlib_members(full: zipfile.ZipFile, modules: Iterable[str]) -> list[str]:
    """The members of the full standard library zip that provide `modules` (and their parent packages)."""
    present = set(full.namelist())
    chosen: set[str] = set()
    for module in (*modules, *STDLIB_ALLOWLIST):
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            base = "/".join(parts[:depth])
            for candidate in (f"{base}/__init__.py", f"{base}.py"):
                if candidate in present:
                    chosen.add(candidate)
                    break
    return sorted(chosen)


def _run_node(args: list[str]) -> None:
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node is not installed")
    result = subprocess.run([node, *args], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"node {Path(args[0]).name} {args[1]} failed: {result.stderr.strip()[-1500:]}")


def _trace_modules(root: Path, runtime: Path, core_zip: Path, core_modules: list[str], work: Path) -> list[str]:
    """The modules in sys.modules once every core module is imported and a session has been driven through every
    kind of call (Node + Pyodide)."""
    (work / "exercise.py").write_text(EXERCISE, encoding="utf-8")
    (work / "core-modules.json").write_text(json.dumps(core_modules), encoding="utf-8")
    files = (runtime, core_zip, work / "core-modules.json", work / "exercise.py", work / "modules.json")
    _run_node([str(root / "web" / "snapshot.mjs"), "trace", *map(str, files)])
    modules: list[str] = json.loads((work / "modules.json").read_text(encoding="utf-8"))
    return modules


def _make_snapshot(
    root: Path, runtime: Path, stdlib: Path, restore_stdlib: Path, core_zip: Path, modules: list[str], work: Path
) -> tuple[bytes, dict[str, object]]:
    """The delta snapshot and its facts (the initial memory's checksum, page counts), made and checked by Node."""
    (work / "exercise.py").write_text(EXERCISE, encoding="utf-8")
    (work / "snapshot-modules.json").write_text(json.dumps(modules), encoding="utf-8")
    outputs = (work / "snapshot.bin", work / "snapshot.json")
    files = (runtime, stdlib, restore_stdlib, core_zip, work / "snapshot-modules.json", work / "exercise.py")
    _run_node([str(root / "web" / "snapshot.mjs"), "make", *map(str, files), *map(str, outputs)])
    info: dict[str, object] = json.loads((work / "snapshot.json").read_text(encoding="utf-8"))
    return (work / "snapshot.bin").read_bytes(), info


def _store(target: Path, payload: bytes) -> None:
    """Write a cache file atomically (concurrent builds may share the cache)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(target)


def _prune(cache: Path, keep_days: float = 30) -> None:
    """Drop cache files unused for keep_days (each use refreshes a file's time), so old snapshots do not pile up."""
    limit = time.time() - keep_days * 86400
    for path in cache.glob("*") if cache.is_dir() else ():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def _used(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


def _cached_json(target: Path, produce: Callable[[], list[str]]) -> list[str]:
    if target.is_file():
        _used(target)
        cached: list[str] = json.loads(target.read_text(encoding="utf-8"))
        return cached
    value = produce()
    _store(target, json.dumps(value).encode())
    return value


def _compressed(data: bytes, cache: Path | None) -> tuple[bytes, bytes]:
    """(brotli q11, gzip -9) of data, from a cache keyed by the content's SHA-256 (q11 takes ~20 s for the wasm)."""
    import brotli  # type: ignore[import-untyped]  # PyPI brotli ships no type information

    key = _digest(data)
    carried = CARRIED / "compressed" / f"{key}.q{BROTLI_QUALITY}.br"  # a wheel carries them (q11 of the wasm: ~20 s)
    if carried.is_file():
        return carried.read_bytes(), gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if cache is not None:
        br_file, gz_file = cache / f"{key}.q{BROTLI_QUALITY}.br", cache / f"{key}.{GZIP_LEVEL}.gz"
        if br_file.is_file() and gz_file.is_file():
            _used(br_file, gz_file)
            return br_file.read_bytes(), gz_file.read_bytes()
    br: bytes = brotli.compress(data, quality=BROTLI_QUALITY)
    gz = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if cache is not None:
        _store(br_file, br)
        _store(gz_file, gz)
    return br, gz


def _precompress(out: Path, cache: Path | None) -> dict[str, tuple[int, int]]:
    """Write `<file>.br` and `<file>.gz` next to every compressible file where brotli saves at least 5 %."""
    paths = [p for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in COMPRESSIBLE and p.stat().st_size >= 1024]
    sizes: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:  # brotli and zlib release the GIL while they compress
        results = pool.map(lambda path: _compressed(path.read_bytes(), cache), paths)
        for path, (br, gz) in zip(paths, results, strict=True):
            raw = path.stat().st_size
            if len(br) <= 0.95 * raw:
                path.with_name(path.name + ".br").write_bytes(br)
                path.with_name(path.name + ".gz").write_bytes(gz if len(gz) < raw else path.read_bytes())
                sizes[path.relative_to(out).as_posix()] = (len(br), min(len(gz), raw))
    return sizes


@dataclass(frozen=True)
class _Ledger:
    """What a build wrote into its OUT folder, as relative POSIX paths: all a later build may replace or delete."""

    files: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()

    def to_json(self) -> bytes:
        about = "written by py-bridge build: the files and folders it wrote here; the next build deletes only these"
        data = {"about": about, "py_bridge": __version__, "files": sorted(self.files), "folders": sorted(self.folders)}
        return (json.dumps(data, indent=1) + "\n").encode("utf-8")


def _inside(name: object) -> bool:
    """A ledger entry must be a plain relative path: no absolute path, no `..`, no empty or `.` part."""
    return (
        isinstance(name, str)
        and "\\" not in name
        and "\0" not in name
        and all(part not in ("", ".", "..") for part in name.split("/"))
    )


def _read_ledger(out: Path) -> _Ledger:
    path = out / LEDGER
    if not path.exists() and not path.is_symlink():
        return _legacy_ledger(out)
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a regular file")
        data = json.loads(path.read_text(encoding="utf-8"))
        files, folders = data["files"], data["folders"]
        if not isinstance(files, list) or not isinstance(folders, list):
            raise ValueError("files and folders must be lists")
        outside = [name for name in (*files, *folders) if not _inside(name)]
        if outside:
            raise ValueError(f"{str(outside[0])[:80]!r} is not a path inside the folder")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OutFolderError(
            f"{path} is not a ledger py-bridge build can read ({error}); it lists what an earlier build wrote: "
            "restore it, or remove it and the files it listed, then build again"
        ) from None
    return _Ledger(frozenset(files), frozenset(folders))


def _legacy_ledger(out: Path) -> _Ledger:
    """A folder built before the ledger existed: our own manifest.json named what that build wrote. Those builds
    listed every file of the folder (a site's too), so only the names of our own layout count as ours."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() and not path.is_symlink() else None
    except (OSError, ValueError):
        return _Ledger()
    if not isinstance(manifest, dict) or not {"py_bridge", "embed_integrity", "runtime", "files"} <= manifest.keys():
        return _Ledger()
    listed, compressed = manifest["files"], manifest.get("compressed") or {}
    if not isinstance(listed, dict) or not isinstance(compressed, dict):
        return _Ledger()
    files = {"manifest.json"}
    for name in listed:
        if _inside(name) and OWN_LAYOUT.fullmatch(name):
            files.add(name)
            if name in compressed:
                files.update((f"{name}.br", f"{name}.gz"))
    folders = {"/".join(name.split("/")[:depth]) for name in files for depth in range(1, name.count("/") + 1)}
    return _Ledger(frozenset(files), frozenset(folders))


def _ours(out: Path, name: str, is_folder: bool, ledger: _Ledger) -> bool:
    """`out/name` is what the ledger says the build wrote there: the same kind, not a symlink, inside out."""
    path = out / name
    if path.is_symlink() or path.resolve() != out.resolve() / name:
        return False
    if is_folder:
        return name in ledger.folders and path.is_dir()
    return name in ledger.files and path.is_file()


def _refuse_clashes(out: Path, files: Iterable[str], folders: Iterable[str], ledger: _Ledger) -> None:
    """OutFolderError naming the first name the build must write that exists in out and is not the build's own."""
    wanted = {name: False for name in files} | {name: True for name in folders}
    clashes = [
        name + ("/" if is_folder else "")
        for name, is_folder in sorted(wanted.items())
        if ((out / name).exists() or (out / name).is_symlink()) and not _ours(out, name, is_folder, ledger)
    ]
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise OutFolderError(
            f"{out}{os.sep}{clashes[0]} exists and py-bridge build did not write it{more}: it is left as it is; "
            "move it away or build into another folder (the build writes embed.js, worker.mjs, manifest.json, "
            f"pyscript/ and content-hashed names, and lists them in {LEDGER})"
        )


def _install(staging: Path, out: Path, ledger: _Ledger) -> None:
    """Move the bundle made in staging into out. A clash stops it before anything is written; the ledger names a
    file before it is written; then the old ledger's stale entries go (regular files inside out; folders only
    once empty, so a site's file dropped into one of ours stays) and nothing else."""
    paths = sorted(staging.rglob("*"))
    folders = [p.relative_to(staging).as_posix() for p in paths if p.is_dir()]
    files = [p.relative_to(staging).as_posix() for p in paths if not p.is_dir()]
    _refuse_clashes(out, files, folders, ledger)
    _store(out / LEDGER, _Ledger(ledger.files | set(files), ledger.folders | set(folders)).to_json())
    for name in folders:
        (out / name).mkdir(exist_ok=True)
    for name in sorted(files, key=lambda name: (name.removesuffix(".br").removesuffix(".gz") in ENTRY_POINTS, name)):
        shutil.move(staging / name, out / name)  # a rename on one file system: our old copy is replaced at once
    for name in sorted(ledger.files - set(files)):
        if _ours(out, name, False, ledger):
            (out / name).unlink()
    for name in sorted(ledger.folders - set(folders), reverse=True):  # the deepest first
        if _ours(out, name, True, ledger):
            with contextlib.suppress(OSError):  # not empty: something not ours is inside
                (out / name).rmdir()
    _store(out / LEDGER, _Ledger(frozenset(files), frozenset(folders)).to_json())


def build(out_dir: Path | str, *, snapshot: bool = True, compress: bool = True) -> BuildResult:
    """Write the bundle into out_dir, beside whatever else the folder holds (see the module's docstring).

    The bundle is made in a temporary folder and moved in only once complete, so a failed build leaves out_dir as
    it was, and a clash with a site's file is found before anything of the folder changed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ledger = _read_ledger(out)
    _refuse_clashes(out, STABLE_FILES, STABLE_FOLDERS, ledger)  # the usual clash, before a minute of work
    with tempfile.TemporaryDirectory(prefix="py-bridge-stage-") as staging:
        result = _build_into(Path(staging), snapshot=snapshot, compress=compress)
        _install(Path(staging), out, ledger)
    return replace(result, out_dir=out)


def _build_into(out: Path, *, snapshot: bool, compress: bool) -> BuildResult:
    """Write the bundle into the empty folder out."""
    root = project_root()
    sources = _sources(root)
    warnings: list[str] = []

    core_entries = _core_entries(root / "py_bridge")
    core_data = _write_zip(core_entries)
    core_zip = _hashed(out, "py_bridge", ".zip", core_data)
    zip_sha = _digest(core_data)

    pyodide_dir = sources.pyodide
    runtime_hash = hashlib.sha256()
    for name in RUNTIME_FILES:
        runtime_hash.update(f"{name}\0{_digest((pyodide_dir / name).read_bytes())}\n".encode())
    runtime = f"pyodide-{runtime_hash.hexdigest()[:HASH_DIGITS]}"
    (out / runtime).mkdir()
    for name in RUNTIME_FILES:
        shutil.copy2(pyodide_dir / name, out / runtime / name)
    lock_info = json.loads((pyodide_dir / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]

    stdlib = f"{runtime}/python_stdlib.zip"  # without Node no trace: the full standard library
    snapshot_name: str | None = None
    snapshot_sha = snapshot_checksum = ""
    empty = ""
    snapshot_info: dict[str, object] = {}
    volatile = "[]"
    cache = sources.cache
    # The trace and the snapshot depend only on these inputs: a rebuild of unchanged sources reuses them (the same
    # snapshot bytes, so the same name: visitors keep their cached copy across deploys that leave the core alone).
    inputs = _digest(
        "\n".join(
            [
                runtime,
                zip_sha,
                # the Node tool and the delta format it imports (web/shared/delta.js): either changes the snapshot
                _digest(b"".join((sources.web / name).read_bytes() for name in ("snapshot.mjs", "shared/delta.js"))),
                _digest(EXERCISE.encode()),
            ]
        ).encode()
    )[:32]
    with tempfile.TemporaryDirectory(prefix="py-bridge-build-") as tmp:
        work = Path(tmp)
        try:
            if sources.carried is not None:  # from the wheel: what Node traced when the wheel was built
                traced = json.loads(_carried_product(sources, f"trace-{inputs}.json", inputs).read_text())
            else:
                assert cache is not None
                traced = _cached_json(
                    cache / f"trace-{inputs}.json",
                    lambda: _trace_modules(root, out / runtime, out / core_zip, _core_modules(core_entries), work),
                )
            with zipfile.ZipFile(pyodide_dir / "python_stdlib.zip") as full:
                members = trimmed_stdlib_members(full, (m for m in traced if not m.startswith("py_bridge")))
                stdlib_data = _write_zip((name, full.read(name)) for name in members)
            stdlib = _hashed(out, "stdlib", ".zip", stdlib_data)
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            warnings.append(f"no trimmed standard library (the worker loads the full one): {error}")
        if snapshot and stdlib != f"{runtime}/python_stdlib.zip":
            try:
                empty = _hashed(out, "empty", ".zip", _write_zip(()))
                if sources.carried is not None:  # from the wheel: the snapshot Node made when the wheel was built
                    cached_bin = _carried_product(sources, f"snapshot-{inputs}.bin", inputs)
                    cached_info = _carried_product(sources, f"snapshot-{inputs}.json", inputs)
                else:
                    assert cache is not None
                    cached_bin, cached_info = cache / f"snapshot-{inputs}.bin", cache / f"snapshot-{inputs}.json"
                if sources.carried is not None or (cached_bin.is_file() and cached_info.is_file()):
                    _used(cached_bin, cached_info)
                    data, snapshot_info = cached_bin.read_bytes(), json.loads(cached_info.read_text())
                else:
                    data, snapshot_info = _make_snapshot(
                        root, out / runtime, out / stdlib, out / empty, out / core_zip, sorted(traced), work
                    )
                    _store(cached_bin, data)
                    _store(cached_info, json.dumps(snapshot_info).encode())
                snapshot_name = _hashed(out, "snapshot", ".bin", data)
                snapshot_sha = _digest(data)
                snapshot_checksum = str(snapshot_info["initial_checksum"])
                volatile = json.dumps(snapshot_info["volatile_words"])
            except (OSError, RuntimeError, subprocess.SubprocessError, KeyError, ValueError) as error:
                warnings.append(f"no snapshot (every visit starts Python normally): {error}")

    # The files the worker checks by SHA-256 before using them (besides the core zip and the snapshot): Pyodide's
    # wasm and standard library, and the zips Pyodide mounts as its standard library.
    checked = {
        name: _digest((out / name).read_bytes())
        for name in (f"{runtime}/pyodide.asm.wasm", f"{runtime}/python_stdlib.zip", stdlib, empty)
        if name
    }
    scripts = (
        carried_scripts(CARRIED / "scripts")
        if sources.carried is not None
        else bundle_scripts(sources.web, _node_modules(root), cache)
    )
    worker = (
        scripts["worker.mjs"]
        .replace("__PY_BRIDGE_RUNTIME__", f"{runtime}/")
        .replace("__PY_BRIDGE_CORE_ZIP__", core_zip)
        .replace("__PY_BRIDGE_ZIP_SHA256__", zip_sha)
        .replace("__PY_BRIDGE_STDLIB__", stdlib)
        .replace("__PY_BRIDGE_SNAPSHOT__", snapshot_name or "")
        .replace("__PY_BRIDGE_SNAPSHOT_SHA256__", snapshot_sha)
        .replace("__PY_BRIDGE_SNAPSHOT_INITIAL__", snapshot_checksum)
        .replace('"__PY_BRIDGE_SNAPSHOT_VOLATILE__"', volatile)
        .replace("__PY_BRIDGE_SNAPSHOT_STDLIB__", empty)
        .replace('"__PY_BRIDGE_LOCK_INFO__"', json.dumps(lock_info, sort_keys=True))
        .replace('"__PY_BRIDGE_FILE_SHA256__"', json.dumps(checked, sort_keys=True))
    )
    (out / "worker.mjs").write_text(worker, encoding="utf-8")
    embed = scripts["embed.js"].replace("__PY_BRIDGE_VERSION__", __version__)
    (out / "embed.js").write_text(embed, encoding="utf-8")
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(embed.encode("utf-8")).digest()).decode("ascii")

    pyscript_dist = sources.pyscript
    if pyscript_dist.is_dir():
        shutil.copytree(pyscript_dist, out / "pyscript", ignore=shutil.ignore_patterns("*.map"))

    compressed = _precompress(out, cache) if compress else {}
    if cache is not None:
        _prune(cache)
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix not in (".br", ".gz"))
    names = [p.relative_to(out).as_posix() for p in files]
    total = sum(p.stat().st_size for p in files)
    pyodide_version = json.loads((pyodide_dir / "package.json").read_text())["version"]
    first_visit = ["embed.js", "worker.mjs", f"{runtime}/pyodide.mjs", f"{runtime}/pyodide.asm.mjs"]
    first_visit += [f"{runtime}/pyodide.asm.wasm"]
    first_visit += [snapshot_name, empty] if snapshot_name else [stdlib, core_zip]
    first_visit_br = sum(
        compressed[name][0] if name in compressed else out.joinpath(name).stat().st_size for name in first_visit
    )
    manifest = {
        "py_bridge": __version__,
        "pyodide": pyodide_version,
        "embed_integrity": integrity,
        "py_bridge_zip_sha256": zip_sha,
        "runtime": f"{runtime}/",
        "core_zip": core_zip,
        "stdlib": stdlib,
        "stdlib_full": f"{runtime}/python_stdlib.zip",
        "snapshot": snapshot_name,
        "snapshot_sha256": snapshot_sha or None,
        "snapshot_info": snapshot_info or None,
        "first_visit_files": first_visit,
        "first_visit_br_bytes": first_visit_br if compressed else None,
        "immutable": sorted(name for name in names if is_immutable(name)),
        "total_bytes": total,
        "files": {name: p.stat().st_size for name, p in zip(names, files, strict=True)},
        "compressed": {name: {"br": br, "gz": gz} for name, (br, gz) in compressed.items()},
        "warnings": warnings,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BuildResult(
        out_dir=out,
        embed_integrity=integrity,
        zip_sha256=zip_sha,
        total_bytes=total,
        snapshot=snapshot_name,
        runtime=f"{runtime}/",
        core_zip=core_zip,
        stdlib=stdlib,
        warnings=tuple(warnings),
        first_visit_br_bytes=first_visit_br if compressed else 0,
        inputs=inputs,
    )


def stage_runtime(target: Path | str) -> dict[str, object]:
    """Write what a wheel carries into target (py_bridge/_runtime in the wheel): the pinned runtime from this
    checkout's node_modules, web/, the licenses, and the products of Node for the current sources (a build is run
    here, so this needs a checkout with `npm ci` done and Node on PATH), with a SHA-256 manifest of every file."""
    root = project_root()
    modules_dir = _node_modules(root)
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    (target / "pyodide").mkdir(parents=True)
    for name in (*RUNTIME_FILES, "package.json"):
        shutil.copy2(modules_dir / "pyodide" / name, target / "pyodide" / name)
    shutil.copytree(
        modules_dir / "@pyscript" / "core" / "dist", target / "pyscript", ignore=shutil.ignore_patterns("*.map")
    )
    shutil.copytree(root / "web", target / "web")
    (target / "scripts").mkdir()
    for name, text in bundle_scripts(root / "web", modules_dir, modules_dir / ".cache" / "py-bridge").items():
        (target / "scripts" / name).write_text(text, encoding="utf-8")
    licenses = target / "licenses"
    licenses.mkdir()
    # The npm package of Pyodide ships no license file; its package.json names MPL-2.0, whose text we keep here.
    shutil.copy2(root / "licenses" / "pyodide-LICENSE.txt", licenses / "pyodide-LICENSE.txt")
    shutil.copy2(modules_dir / "@pyscript" / "core" / "LICENSE", licenses / "pyscript-LICENSE.txt")
    cache = modules_dir / ".cache" / "py-bridge"
    (target / "compressed").mkdir()
    with tempfile.TemporaryDirectory(prefix="py-bridge-wheel-") as tmp:
        result = build(Path(tmp), compress=True)
        # The .br of every file of this build, so that a build from the wheel need not compress them again.
        for path in sorted(Path(tmp).rglob("*.br")):
            key = _digest(path.with_suffix("").read_bytes())
            shutil.copy2(path, target / "compressed" / f"{key}.q{BROTLI_QUALITY}.br")  # gzip is fast: not carried
    if result.warnings or result.snapshot is None:
        raise RuntimeError(
            "the wheel needs Node's trace and snapshot; this build made none: " + "; ".join(result.warnings)
        )
    (target / "products").mkdir()
    for name in (f"trace-{result.inputs}.json", f"snapshot-{result.inputs}.bin", f"snapshot-{result.inputs}.json"):
        shutil.copy2(cache / name, target / "products" / name)
    manifest: dict[str, object] = {
        "py_bridge": __version__,
        "pyodide": json.loads((modules_dir / "pyodide" / "package.json").read_text())["version"],
        "runtime": result.runtime.rstrip("/"),
        "inputs": result.inputs,
        "files": {
            path.relative_to(target).as_posix(): _digest(path.read_bytes())
            for path in sorted(target.rglob("*"))
            if path.is_file()
        },
    }
    (target / CARRIED_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
