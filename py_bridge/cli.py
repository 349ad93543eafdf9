"""The `py-bridge` command: build the bundle, serve the demo, compute a user_hash, replay transforms."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from py_bridge import __version__

__all__ = ["main"]


def _build(args: argparse.Namespace) -> int:
    from py_bridge.bundle import build

    result = build(Path(args.out_dir), snapshot=not args.no_snapshot, compress=not args.no_compress)
    print(f"built {result.out_dir} ({result.total_bytes / 1e6:.1f} MB raw)")
    if result.first_visit_br_bytes:
        print(f"a first visit fetches {result.first_visit_br_bytes / 1e6:.2f} MB with brotli")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("serve content-hashed names (name-<16 hex>.*, pyodide-<16 hex>/) with Cache-Control: public, ")
    print("max-age=31536000, immutable; embed.js, worker.mjs and manifest.json with a short cache (max-age=300)")
    print("add this tag to your pages (replace the URL, the App ID and the launcher selector):")
    print(result.tag())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from py_bridge.bundle import build
    from py_bridge.devserver import serve
    from py_bridge.sandbox import Sandbox

    bundle = Path(args.bundle) if args.bundle else Path(tempfile.mkdtemp(prefix="py-bridge-demo-"))
    if not (bundle / "embed.js").is_file() or args.rebuild:
        build(bundle)
    serve(bundle, args.port, sandbox=Sandbox(secret=args.secret, verification=args.verification))
    return 0


def _user_hash(args: argparse.Namespace) -> int:
    from py_bridge.identity import user_hash

    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"py-bridge user-hash: set the secret in the environment variable {args.secret_env}", file=sys.stderr)
        return 2
    print(user_hash(secret, args.user_id))
    return 0


def _transform(args: argparse.Namespace) -> int:
    from py_bridge.transform import replay

    if len(args.paths) < 2:
        print("py-bridge transform: give one or more transform FILEs, then EVENTS.jsonl (- for stdin)", file=sys.stderr)
        return 2
    return replay(args.paths[:-1], args.paths[-1], errors=args.errors, slow_ms=args.slow_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="py-bridge", description="Analytics calls in Python, Intercom Messenger out.")
    parser.add_argument("--version", action="version", version=f"py-bridge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="write the deployable static bundle into OUT_DIR")
    build.add_argument("out_dir")
    build.add_argument("--no-snapshot", action="store_true", help="no memory snapshot: every visit starts normally")
    build.add_argument("--no-compress", action="store_true", help="skip the precompressed .br/.gz files")
    build.set_defaults(run=_build)

    demo = commands.add_parser("demo", help="serve the demo with the local Intercom sandbox")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--bundle", help="serve this built bundle (default: build one into a temporary folder)")
    demo.add_argument("--rebuild", action="store_true", help="rebuild the bundle even if one exists")
    demo.add_argument("--secret", default="sandbox-secret", help="the sandbox workspace's identity verification secret")
    demo.add_argument("--verification", choices=("off", "user_hash", "jwt"), default="off")
    demo.set_defaults(run=_demo)

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

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
