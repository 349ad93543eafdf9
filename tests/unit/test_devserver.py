"""The demo server on a real socket: who may change the demo, loopback names, malformed requests, symlinks.

`py-bridge demo --host 0.0.0.0` puts this server on the network, and the demo transform it serves is Python that
every visitor's worker runs: only a page of this server, in a browser on this machine, may replace it.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from py_bridge.tools import devserver
from py_bridge.tools.devserver import DevServer

EMBED = b"/* embed.js */" + b" " * 2000


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "embed.js").write_bytes(EMBED)
    return folder


@pytest.fixture
def server(bundle: Path) -> Iterator[DevServer]:
    dev = DevServer(bundle, port=0).start()
    try:
        yield dev
    finally:
        dev.stop()


def request(
    server: DevServer, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def raw(server: DevServer, data: bytes, host: str = "127.0.0.1") -> bytes:
    """Send bytes as they are (malformed requests http.client would not send) and read the answer's first line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect((host, server.port))
        sock.sendall(data)
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            return b"(no answer within 5 s)"
    return answer.split(b"\r\n", 1)[0]


NEW_TRANSFORM = b"def transform(event):\n    return None\n"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://127.0.0.1:1"}],
    ids=["no Origin", "another site", "opaque origin", "another port"],
)
def test_the_demo_transform_is_not_replaced_without_this_servers_own_origin(
    server: DevServer, headers: dict[str, str]
) -> None:
    """A POST without an Origin (curl, a script on the network) or from another origin is 403 and changes nothing."""
    before = server.demo_transform
    status, _, _ = request(server, "POST", "/demo/transform.py", NEW_TRANSFORM, headers)
    assert status == 403
    assert server.demo_transform == before
    assert request(server, "GET", "/demo/transform.py")[1] == before.encode()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_the_demo_page_may_replace_its_transform_whichever_loopback_name_it_was_opened_with(
    server: DevServer, host: str
) -> None:
    """The page at http://localhost:PORT is as much this server's own as the one at http://127.0.0.1:PORT."""
    origin = f"http://{host}:{server.port}"
    status, body, _ = request(server, "POST", "/demo/transform.py", NEW_TRANSFORM, {"Origin": origin})
    assert (status, body) == (200, NEW_TRANSFORM)
    assert server.demo_transform == NEW_TRANSFORM.decode()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_a_server_on_loopback_also_answers_on_ipv6_loopback(server: DevServer) -> None:
    """`localhost` resolves to ::1 first on most systems: a server on 127.0.0.1 answers there too."""
    assert raw(server, b"GET /py-bridge/embed.js HTTP/1.1\r\nHost: localhost\r\n\r\n", host="::1").startswith(
        b"HTTP/1.1 200"
    )


@pytest.mark.parametrize("path", ["/py-bridge/%00", "/py-bridge/embed.js%00.br", "/demo/%00x", "/%00"])
def test_a_nul_byte_in_the_path_is_a_400(server: DevServer, path: str) -> None:
    """Not a traceback and a dropped connection: an answer."""
    first = raw(server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert first.startswith(b"HTTP/1.1 400"), first


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "5, 6"])
def test_an_invalid_content_length_is_a_400_at_once(server: DevServer, length: str) -> None:
    """A negative length made the handler read until the client hung up (a thread held per request)."""
    data = f"POST /sandbox/messenger/web/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"
    first = raw(server, data.encode())
    assert first.startswith(b"HTTP/1.1 400"), first


def test_a_huge_content_length_is_refused_with_413_before_any_body_is_read(server: DevServer) -> None:
    """The server answers at once without waiting for (or buffering) a terabyte that never comes."""
    data = b"POST /demo/transform.py HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n"
    first = raw(server, data)
    assert first.startswith(b"HTTP/1.1 413"), first


def test_a_chunked_body_is_refused_rather_than_read_as_the_next_request(server: DevServer) -> None:
    """The server reads bodies by Content-Length only; a chunked body would otherwise be parsed as a request."""
    data = b"POST /demo/transform.py HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    first = raw(server, data)
    assert first.startswith(b"HTTP/1.1 411"), first


def test_a_precompressed_sibling_linking_outside_the_bundle_is_never_served(
    server: DevServer, bundle: Path, tmp_path: Path
) -> None:
    """`embed.js.br -> /elsewhere/secret`: the request for embed.js gets the plain file, the link itself is 404."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"SECRET outside the bundle")
    (bundle / "embed.js.br").symlink_to(secret)
    (bundle / "embed.js.gz").symlink_to(secret)
    status, body, headers = request(server, "GET", "/py-bridge/embed.js", headers={"Accept-Encoding": "br, gzip"})
    assert (status, body) == (200, EMBED)
    assert "content-encoding" not in headers
    assert request(server, "GET", "/py-bridge/embed.js.br")[0] == 404


def test_any_symlink_escaping_the_bundle_is_404(server: DevServer, bundle: Path, tmp_path: Path) -> None:
    """A linked file or folder that leads out of the served root is not served."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"SECRET outside the bundle")
    (bundle / "linked.js").symlink_to(secret)
    (bundle / "linked-folder").symlink_to(tmp_path)
    assert request(server, "GET", "/py-bridge/linked.js")[0] == 404
    assert request(server, "GET", "/py-bridge/linked-folder/secret.txt")[0] == 404
    assert request(server, "GET", "/py-bridge/../secret.txt")[0] == 404


@pytest.mark.parametrize(
    ("peer", "local", "expected"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.5", "127.0.0.1", True),
        ("::1", "::1", True),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1", True),
        ("192.168.1.5", "192.168.1.5", True),  # a browser on this machine opening the server's network address
        ("192.168.1.7", "192.168.1.5", False),  # another machine on the network
        ("fe80::1%eth0", "fe80::2%eth0", False),
        ("not an address", "127.0.0.1", False),
    ],
)
def test_changes_are_accepted_only_from_this_machine(peer: str, local: str, expected: bool) -> None:
    """With --host 0.0.0.0 another machine could send any Origin header: its address decides, not its headers."""
    assert devserver.from_this_machine(peer, local) is expected


def test_a_visitor_leaving_mid_download_prints_no_traceback(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A tab closed while the 9.6 MB wasm downloads resets the connection: normal for a server, so not a traceback
    on the demo's terminal (nor in a test run's output)."""
    (bundle / "big.bin").write_bytes(bytes(32 * 1024 * 1024))
    handled = threading.Event()
    original = devserver._Listener.handle_error

    def recorded(listener: devserver._Listener, request: Any, client_address: Any) -> None:
        original(listener, request, client_address)
        handled.set()

    monkeypatch.setattr(devserver._Listener, "handle_error", recorded)
    dev = DevServer(bundle, port=0).start()
    try:
        with socket.create_connection(("127.0.0.1", dev.port), timeout=5) as sock:
            sock.sendall(b"GET /py-bridge/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(64).startswith(b"HTTP/1.")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        assert handled.wait(10)
    finally:
        dev.stop()
    assert "Traceback" not in capfd.readouterr().err
