"""The webhook HTTP client against a real local server: kept-alive connections, servers that
close them, slow or oversized answers, chunked bodies and TLS."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lana_adapters.messaging.http_client import BadResponse, HttpClient, target_of
from tests.integration.redis.servers import free_port


class Server:
    """Answers POSTs as ``behaviour`` says; counts the connections it accepted."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = "keep-alive"
        self.connections = 0
        self.bodies: list[tuple[str, dict[str, str], bytes]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self._server.server_address[1]}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                server.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                server.bodies.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                getattr(self, "answer_" + server.behaviour.replace("-", "_"))()

            def answer_keep_alive(self) -> None:
                self._plain(201, b"created")

            def answer_close(self) -> None:  # says close, yet would serve more on the connection
                self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

            def answer_hang_up(self) -> None:  # answers as if keeping the connection, then drops it
                self._plain(200, b"")
                self.close_connection = True

            def answer_slow(self) -> None:
                time.sleep(1.5)
                self._plain(200, b"")

            def answer_chunked(self) -> None:
                self.send_response(202)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in (b"hello ", b"world"):
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            def answer_garbage(self) -> None:
                self.wfile.write(b"this is not HTTP\r\n\r\n")
                self.close_connection = True

            def answer_huge(self) -> None:
                self._plain(200, b"x" * 200_000)

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


async def posts(client: HttpClient, url: str, count: int) -> list[int]:
    return [await client.post(url, b'{"n": %d}' % n, {"X-Test": str(n)}) for n in range(count)]


async def test_requests_to_one_origin_share_one_kept_alive_connection(server: Server) -> None:
    client = HttpClient(5, keep_alive=4)
    assert await posts(client, server.url("/hook?a=1"), 20) == [201] * 20
    client.close()
    assert server.connections == 1
    path, headers, body = server.bodies[7]
    assert (path, headers["x-test"], body) == ("/hook?a=1", "7", b'{"n": 7}')
    assert headers["host"] == f"127.0.0.1:{server.url().split(':')[2].split('/')[0]}"


async def test_a_connection_the_server_dropped_is_replaced_without_failing_the_request(
    server: Server,
) -> None:
    server.behaviour = "hang-up"
    client = HttpClient(5, keep_alive=4)
    assert await posts(client, server.url(), 5) == [200] * 5
    client.close()
    assert server.connections == 5
    assert len(server.bodies) == 5  # each request reached the server once


async def test_an_answer_saying_close_is_not_reused(server: Server) -> None:
    server.behaviour = "close"
    client = HttpClient(5, keep_alive=4)
    assert await posts(client, server.url(), 3) == [200] * 3
    assert server.connections == 3


async def test_a_server_slower_than_the_timeout_fails_the_request_with_a_timeout(server: Server) -> None:
    server.behaviour = "slow"
    client = HttpClient(0.3, keep_alive=4)
    with pytest.raises(TimeoutError):
        await client.post(server.url(), b"{}", {})
    server.behaviour = "keep-alive"
    assert await client.post(server.url(), b"{}", {}) == 201  # on a new connection, not the abandoned one
    assert server.connections == 2


async def test_a_chunked_answer_is_read_whole_and_an_oversized_one_ends_its_connection(
    server: Server,
) -> None:
    client = HttpClient(5, keep_alive=4, max_response=64 * 1024)
    server.behaviour = "chunked"
    assert await posts(client, server.url(), 2) == [202, 202]
    server.behaviour = "huge"
    assert await posts(client, server.url(), 2) == [200, 200]
    assert server.connections == 2  # the chunked answers kept theirs; the first huge one ended it


async def test_concurrent_requests_keep_at_most_keep_alive_idle_connections(server: Server) -> None:
    client = HttpClient(5, keep_alive=2)
    await asyncio.gather(*(client.post(server.url(), b"{}", {}) for _ in range(6)))
    before = server.connections
    assert await posts(client, server.url(), 10) == [201] * 10
    assert server.connections == before  # the two kept ones served them all
    client.close()


async def test_an_answer_that_is_not_http_is_a_bad_response(server: Server) -> None:
    server.behaviour = "garbage"
    with pytest.raises(BadResponse):
        await HttpClient(5, keep_alive=1).post(server.url(), b"{}", {})


async def test_a_header_that_could_split_the_request_is_refused_before_sending(server: Server) -> None:
    client = HttpClient(5, keep_alive=1)
    for name, value in (("X-Evil", "a\r\nX-Injected: 1"), ("Bad Name", "v"), ("X-Nul", "a\0b")):
        with pytest.raises(ValueError, match="not a valid HTTP header"):
            await client.post(server.url(), b"{}", {name: value})
    assert server.bodies == []


async def test_a_refused_connection_is_an_os_error() -> None:
    client = HttpClient(5, keep_alive=1)
    with pytest.raises(ConnectionRefusedError):
        await client.post(f"http://127.0.0.1:{free_port()}/hook", b"{}", {})


def test_only_http_urls_are_targets() -> None:
    target = target_of("https://hooks.example.com/a/b?c=d")
    assert (target.secure, target.host, target.port, target.path) == (
        True,
        "hooks.example.com",
        443,
        "/a/b?c=d",
    )
    assert target_of("http://[::1]:8080").path == "/"
    for bad in ("ftp://example.com/x", "http:///nohost", "example.com/hook"):
        with pytest.raises(ValueError, match="not an http"):
            target_of(bad)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test's certificate; it is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_verifies_the_server_and_keeps_its_connection(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cert, key)
    server = Server(tls=serving)
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        client = HttpClient(5, keep_alive=1, tls=trusting)
        assert await posts(client, server.url(host="localhost", scheme="https"), 3) == [201] * 3
        assert server.connections == 1
        with pytest.raises(ssl.SSLCertVerificationError):  # the system's trust store does not know it
            await HttpClient(5, keep_alive=1).post(server.url(host="localhost", scheme="https"), b"{}", {})
        client.close()
    finally:
        server.close()
