"""The `py-bridge` command: build, serve and check the bundle, serve the demo, compute a user_hash, replay transforms.

Every mistake on the command line ends as one line on stderr, prefixed `py-bridge: `, and a non-zero exit status
(2 for a usage mistake, 1 for anything else), never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from py_bridge import __version__
from py_bridge.core.errors import BridgeError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from py_bridge.tools.devserver import DevServer

__all__ = ["CommandError", "main"]

PREFIX = "py-bridge: "


class CommandError(Exception):
    """A mistake the user can fix: its message is the one line printed on stderr."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse's usage errors as one line (the usage itself stays behind --help)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("py-bridge").strip()
        raise CommandError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)", 2)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {port}")
    return port


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"more than 0 and at most 3600 seconds, got {value}")
    return seconds


def _writable_folder(path: Path, what: str) -> None:
    """Fail early (before a minute of work) when `path` cannot become a folder we can write to."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"cannot write to {what} {path}: it is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise CommandError(f"cannot write to {what} {path}: {error.strerror or error}") from None


def _listen(make_server: Callable[[], DevServer], host: str, port: int) -> DevServer:
    """Open the listening socket, or one line on why not (a port in use, an address not of this machine)."""
    try:
        return make_server()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} on {host} is already in use (choose another with --port)") from None
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _build(args: argparse.Namespace) -> int:
    from py_bridge.tools.bundle import LEDGER, build

    _writable_folder(Path(args.out_dir), "OUT folder")
    result = build(Path(args.out_dir), snapshot=not args.no_snapshot, compress=not args.no_compress)
    print(f"built {result.out_dir} ({result.total_bytes / 1e6:.1f} MB raw)")
    print(f"what the build wrote is listed in {result.out_dir / LEDGER}: a rebuild deletes only those files")
    if result.first_visit_br_bytes:
        print(f"a first visit fetches {result.first_visit_br_bytes / 1e6:.2f} MB with brotli")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("serve content-hashed names (name-<16 hex>.*, pyodide-<16 hex>/) with Cache-Control: public, ")
    print("max-age=31536000, immutable; embed.js, worker.mjs and manifest.json with a short cache (max-age=300)")
    print("add this tag to your pages (replace the URL, the App ID and the launcher selector):")
    print(result.tag())
    return 0


@contextlib.contextmanager
def _sigterm_stops_like_ctrl_c() -> Iterator[None]:
    """SIGTERM (`kill`, a process manager, a closed terminal's job control) ends the demo as Ctrl-C does, through the
    `finally` blocks that close the sockets and remove the temporary bundle: Python's default SIGTERM exits at once."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _demo(args: argparse.Namespace) -> int:
    """The demo on the given bundle, or on one built into a temporary folder (~45 MB) that goes when the demo stops:
    after Ctrl-C or SIGTERM, when the port is taken, when the build fails. Only a folder made here is removed."""
    with _sigterm_stops_like_ctrl_c():
        if args.bundle:
            return _run_demo(args, Path(args.bundle))
        bundle = Path(tempfile.mkdtemp(prefix="py-bridge-demo-"))
        try:
            return _run_demo(args, bundle)
        finally:
            shutil.rmtree(bundle, ignore_errors=True)


def _run_demo(args: argparse.Namespace, bundle: Path) -> int:
    from py_bridge.tools.bundle import build
    from py_bridge.tools.devserver import DevServer, serve
    from py_bridge.tools.sandbox import Sandbox

    sandbox = Sandbox(secret=args.secret, verification=args.verification)
    # Take the port first: a port in use fails at once, not after the build.
    server = _listen(lambda: DevServer(bundle, host=args.host, port=args.port, sandbox=sandbox), args.host, args.port)
    if not (bundle / "embed.js").is_file() or args.rebuild:
        _writable_folder(bundle, "bundle folder")
        build(bundle)
    banner = f"py-bridge demo: {_url(args.host, server.port)}/  (Ctrl-C to stop)"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        banner += "\nthe demo transform and the sandbox settings can be changed from this machine only"
    serve(bundle, args.port, server=server, banner=banner)
    return 0


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _serve(args: argparse.Namespace) -> int:
    from py_bridge.tools.devserver import DevServer, serve

    bundle = Path(args.dir)
    if not bundle.is_dir():
        raise CommandError(f"no folder {bundle} (build a bundle with: py-bridge build {bundle})")
    missing = [name for name in ("manifest.json", "embed.js") if not (bundle / name).is_file()]
    if missing:
        raise CommandError(
            f"{bundle} is not a built bundle (no {' or '.join(missing)}; build one with: py-bridge build {bundle})"
        )
    try:
        integrity = json.loads((bundle / "manifest.json").read_text(encoding="utf-8")).get("embed_integrity")
    except (OSError, ValueError, AttributeError):
        raise CommandError(f"{bundle} is not a built bundle (its manifest.json is not readable JSON)") from None
    pages = Path(args.pages) if args.pages else None
    if pages is not None and not pages.is_dir():
        raise CommandError(f"no folder {pages} (--pages takes the folder holding your own HTML pages)")
    sandbox = None
    if args.sandbox:
        from py_bridge.tools.sandbox import Sandbox

        sandbox = Sandbox(secret=args.secret, verification=args.verification)
    server = _listen(
        lambda: DevServer(bundle, host=args.host, port=args.port, demo=False, sandbox=sandbox, pages_dir=pages),
        args.host,
        args.port,
    )
    origin = _url(args.host, server.port)
    embed = f"{origin}/py-bridge/embed.js"
    sri = f' integrity="{integrity}" crossorigin="anonymous"' if isinstance(integrity, str) else ""
    extra = ""
    if sandbox is not None:
        # sandbox_url sends the Messenger to this machine's emulator instead of Intercom (loopback addresses only).
        extra = f" data-settings='{json.dumps({'sandbox_url': f'{origin}/sandbox'})}'"
    tag = f'<script async src="{embed}"{sri} data-app-id="YOUR_APP_ID" data-widget-id="#help"{extra}></script>'
    notes = [f"py-bridge serve: {embed}  (the bundle in {bundle}; Ctrl-C to stop)", tag]
    if pages is not None:
        notes.append(f"your pages: {origin}/pages/<file>  (from {pages})")
    if sandbox is not None:
        notes.append(
            "Intercom sandbox: any App ID of lowercase letters and digits; "
            f"what it received: {origin}/sandbox/workspace"
        )
    server.add_document(
        "/",
        "<!doctype html><meta charset=utf-8><title>py-bridge bundle</title>"
        f"<p>The bundle in {_escape(str(bundle.resolve()))} is served at <a href='{embed}'>{embed}</a>.</p>"
        f"<p>Tag for a page: <code>{_escape(tag)}</code></p>"
        + (f"<p>Your pages: <a href='{origin}/pages/'>{origin}/pages/&lt;file&gt;</a></p>" if pages else "")
        + (f"<p>What the sandbox received: <a href='{origin}/sandbox/workspace'>workspace</a></p>" if sandbox else ""),
    )
    serve(bundle, args.port, server=server, banner="\n".join(notes))
    return 0


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _doctor(args: argparse.Namespace) -> int:
    from py_bridge.tools.doctor import DoctorError, run

    if not args.url.startswith(("http://", "https://", "file://")):
        raise CommandError(f"doctor: give a page URL starting with http:// or https://, got {args.url!r}", 2)
    try:
        return run(args.url, chromium=args.chromium, timeout=args.timeout, live=args.live, consent=args.consent)
    except DoctorError as error:
        raise CommandError(f"doctor: {error}") from None


def _user_hash(args: argparse.Namespace) -> int:
    from py_bridge.identity import user_hash

    if not args.user_id:  # identity.user_hash would raise ValueError: a usage mistake, said as one
        raise CommandError(
            "user-hash: the user id is empty (give the user's id, or the email of a user without one)", 2
        )
    secret = os.environ.get(args.secret_env)
    if not secret:
        raise CommandError(f"user-hash: set the secret in the environment variable {args.secret_env}", 2)
    print(user_hash(secret, args.user_id))
    return 0


def _transform(args: argparse.Namespace) -> int:
    from py_bridge.core.transform import replay

    if len(args.paths) < 2:  # replay's own messages say "py-bridge transform: ..." (one line each, exit 2)
        print("py-bridge transform: give one or more transform FILEs, then EVENTS.jsonl (- for stdin)", file=sys.stderr)
        return 2
    return replay(args.paths[:-1], args.paths[-1], errors=args.errors, slow_ms=args.slow_ms)


def main(argv: list[str] | None = None) -> int:
    """Run the command; every failure is one `py-bridge: ...` line on stderr and a non-zero status."""
    try:
        args = _parser().parse_args(argv)
        return int(args.run(args))
    except CommandError as error:
        status, message = error.status, str(error)
    except BridgeError as error:  # e.g. a damaged runtime in an installed wheel
        status, message = 1, str(error)
    except KeyboardInterrupt:
        return 130
    except OSError as error:  # a file or folder the command needed (the build's inputs, the bundle)
        status = 1
        message = f"{error.strerror}: {error.filename}" if error.strerror and error.filename else str(error)
    except Exception as error:  # a bug: still one line, with a way to the details
        if os.environ.get("PY_BRIDGE_DEBUG"):
            raise
        status = 1
        message = f"internal error: {type(error).__name__}: {error} (PY_BRIDGE_DEBUG=1 shows the traceback)"
    print(PREFIX + _one_line(message), file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="py-bridge", description="Analytics calls in Python, Intercom Messenger out.")
    parser.add_argument("--version", action="version", version=f"py-bridge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="write the deployable static bundle into OUT_DIR")
    build.add_argument("out_dir", metavar="OUT_DIR")
    build.add_argument("--no-snapshot", action="store_true", help="no memory snapshot: every visit starts normally")
    build.add_argument("--no-compress", action="store_true", help="skip the precompressed .br/.gz files")
    build.set_defaults(run=_build)

    demo = commands.add_parser("demo", help="serve the demo with the local Intercom sandbox")
    demo.add_argument("--port", type=_port, default=8000)
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--bundle", help="serve this built bundle (default: build one into a temporary folder)")
    demo.add_argument("--rebuild", action="store_true", help="rebuild the bundle even if one exists")
    demo.add_argument("--secret", default="sandbox-secret", help="the sandbox workspace's identity verification secret")
    demo.add_argument("--verification", choices=("off", "user_hash", "jwt"), default="off")
    demo.set_defaults(run=_demo)

    serving = commands.add_parser(
        "serve", help="serve a built bundle at http://HOST:PORT/py-bridge/ to try it before uploading it"
    )
    serving.add_argument("dir", metavar="DIR", help="a folder written by py-bridge build")
    serving.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)")
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serving.add_argument(
        "--sandbox",
        action="store_true",
        help="also serve the local Intercom sandbox, so a page works without an Intercom account or network",
    )
    serving.add_argument("--pages", metavar="PAGES", help="also serve your own HTML pages from PAGES at /pages/")
    serving.add_argument("--secret", default="sandbox-secret", help="with --sandbox: its identity verification secret")
    serving.add_argument("--verification", choices=("off", "user_hash", "jwt"), default="off")
    serving.set_defaults(run=_serve)

    doctor = commands.add_parser("doctor", help="open a page in headless Chromium and check its py-bridge tag")
    doctor.add_argument("url", metavar="URL")
    doctor.add_argument("--timeout", type=_seconds, default=30.0, metavar="S", help="seconds to wait (default 30)")
    doctor.add_argument("--chromium", default="/usr/bin/chromium", metavar="PATH", help="the Chromium to drive")
    doctor.add_argument("--live", action="store_true", help="let the page reach the real Intercom (default: sandbox)")
    doctor.add_argument("--consent", action="store_true", help="answer pybridge.consent(true) when consent is required")
    doctor.set_defaults(run=_doctor)

    hashing = commands.add_parser("user-hash", help="print the Intercom user_hash for a user id (secret from env)")
    hashing.add_argument("user_id")
    hashing.add_argument(
        "--secret-env", default="INTERCOM_IDENTITY_SECRET", help="environment variable with the secret"
    )
    hashing.set_defaults(run=_user_hash)

    replaying = commands.add_parser(
        "transform",
        help="run transform files over recorded events (JSON lines) and print what survives",
        usage="py-bridge transform [-h] [--errors {send,drop}] [--slow-ms MS] FILE [FILE ...] EVENTS.jsonl",
    )
    replaying.add_argument("paths", nargs="+", metavar="FILE", help="transform files, then EVENTS.jsonl (- for stdin)")
    replaying.add_argument("--errors", choices=("send", "drop"), default="send", help="as the transform_errors setting")
    replaying.add_argument("--slow-ms", type=float, default=50.0, metavar="MS", help="report files slower than this")
    replaying.set_defaults(run=_transform)

    return parser


if __name__ == "__main__":
    raise SystemExit(main())
