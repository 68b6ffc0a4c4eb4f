"""The webhook client against a real local server: answers framed every way HTTP/1.1 allows,
receivers that hang, trickle or never stop talking, redirects, TLS, and the SSRF guard.

The receivers listen on loopback, which the guard refuses: most tests allow private
addresses, and the guard's own tests say which addresses they permit."""

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

from lana_adapters.messaging.address_guard import IPAddress
from lana_adapters.messaging.webhook_client import CallFailed, WebhookClient
from tests.integration.messaging.running import until
from tests.integration.redis.servers import free_port

HUGE = 1 << 30


class Server:
    """Answers POSTs as ``behaviour`` says; counts the connections it accepted and saw end."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = "created"
        self.opened = 0
        self.ended = 0
        self.paths: list[str] = []
        self.hosts: list[str | None] = []
        self.cookies: list[str | None] = []
        self.huge_bytes_sent = 0
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
                server.opened += 1

            def finish(self) -> None:
                super().finish()
                server.ended += 1

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                server.paths.append(self.path)
                server.hosts.append(self.headers.get("host"))
                server.cookies.append(self.headers.get("cookie"))
                getattr(self, "answer_" + server.behaviour.replace("-", "_"))()

            def answer_created(self) -> None:
                self._plain(201, b"created")

            def answer_cookie(self) -> None:
                self.send_response(200)
                self.send_header("Set-Cookie", "session=abc; Path=/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def answer_unframed(self) -> None:  # no length: the body ends when the connection does
                self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthanks")
                self.close_connection = True

            def answer_chunked(self) -> None:
                self.send_response(202)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in (b"hello ", b"world"):
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            def answer_hang(self) -> None:
                time.sleep(3)

            def answer_trickle(self) -> None:  # every read is quick, the whole answer is not
                self.send_response(200)
                self.send_header("Content-Length", "40")
                self.end_headers()
                for _ in range(40):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)

            def answer_huge(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(HUGE))
                self.end_headers()
                block = b"x" * 65536
                try:
                    while server.huge_bytes_sent < HUGE:
                        self.wfile.write(block)
                        server.huge_bytes_sent += len(block)
                except OSError:
                    self.close_connection = True  # the client hung up

            def answer_redirect(self) -> None:
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def answer_garbage(self) -> None:
                self.wfile.write(b"this is not HTTP\r\n\r\n")
                self.close_connection = True

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


async def posts(client: WebhookClient, url: str, count: int) -> list[int]:
    return [await client.post(url, b'{"n": %d}' % n, {"X-Test": str(n)}) for n in range(count)]


async def test_a_200_without_content_length_ended_by_closing_the_connection_is_one_answer(
    server: Server,
) -> None:
    server.behaviour = "unframed"
    client = WebhookClient(5, connections=4, allow_private=True)
    assert await posts(client, server.url(), 3) == [200, 200, 200]
    await client.aclose()
    assert server.paths == ["/hook"] * 3  # each request sent once, none repeated


async def test_a_call_keeps_the_first_bytes_of_the_answer_asked_for(server: Server) -> None:
    server.behaviour = "chunked"
    client = WebhookClient(5, connections=1, allow_private=True)
    answer = await client.call(server.url(), b"{}", {}, excerpt=8)
    await client.aclose()
    assert (answer.status, answer.excerpt) == (202, b"hello wo")


async def test_chunked_answers_are_read_whole(server: Server) -> None:
    server.behaviour = "chunked"
    client = WebhookClient(5, connections=4, allow_private=True)
    assert await posts(client, server.url(), 3) == [202, 202, 202]
    await client.aclose()


@pytest.mark.parametrize("behaviour", ["hang", "trickle"])
async def test_a_receiver_slower_than_the_timeout_fails_the_call_within_it(
    server: Server, behaviour: str
) -> None:
    server.behaviour = behaviour
    client = WebhookClient(0.5, connections=4, allow_private=True)
    began = time.monotonic()
    with pytest.raises(CallFailed) as failed:
        await client.post(server.url(), b"{}", {})
    assert time.monotonic() - began < 0.8
    assert "Timeout" in failed.value.kind
    server.behaviour = "created"
    assert await client.post(server.url(), b"{}", {}) == 201  # the client is still usable
    await client.aclose()


async def test_a_huge_answer_is_not_read_whole_and_its_status_counts(server: Server) -> None:
    server.behaviour = "huge"
    client = WebhookClient(5, connections=4, allow_private=True)
    assert await client.post(server.url(), b"{}", {}) == 200
    await client.aclose()
    await asyncio.sleep(0.2)  # the server's write fails once the client has hung up
    assert server.huge_bytes_sent < 32 * 1024 * 1024  # what socket buffers hold, not the gigabyte


async def test_a_cookie_an_answer_sets_is_not_sent_with_the_next_call(server: Server) -> None:
    server.behaviour = "cookie"
    client = WebhookClient(5, connections=1, allow_private=True)
    assert await posts(client, server.url(), 2) == [200, 200]
    await client.aclose()
    assert server.cookies == [None, None]


async def test_a_redirect_is_an_answer_and_is_not_followed(server: Server) -> None:
    server.behaviour = "redirect"
    client = WebhookClient(5, connections=1, allow_private=True)
    assert await client.post(server.url(), b"{}", {}) == 302
    await client.aclose()
    assert server.paths == ["/hook"]


async def test_an_answer_that_is_not_http_fails_the_call(server: Server) -> None:
    server.behaviour = "garbage"
    client = WebhookClient(5, connections=1, allow_private=True)
    with pytest.raises(CallFailed):
        await client.post(server.url(), b"{}", {})
    await client.aclose()


async def test_a_header_that_could_split_the_request_is_refused_before_sending(server: Server) -> None:
    client = WebhookClient(5, connections=1, allow_private=True)
    for name, value in (("X-Evil", "a\r\nX-Injected: 1"), ("Bad Name", "v"), ("X-Nul", "a\0b")):
        with pytest.raises(CallFailed):
            await client.post(server.url(), b"{}", {name: value})
    await client.aclose()
    assert server.paths == []


async def test_a_refused_connection_fails_the_call() -> None:
    client = WebhookClient(5, connections=1, allow_private=True)
    with pytest.raises(CallFailed) as failed:
        await client.post(f"http://127.0.0.1:{free_port()}/hook", b"{}", {})
    assert failed.value.kind == "ConnectError"


async def test_closing_the_client_closes_its_connections(server: Server) -> None:
    client = WebhookClient(5, connections=4, allow_private=True)
    await asyncio.gather(*(client.post(server.url(), b"{}", {}) for _ in range(3)))
    assert server.ended == 0  # kept alive
    await client.aclose()
    await until(lambda: server.ended == server.opened, within=2, what=lambda: (server.opened, server.ended))


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


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(*certificate)
    running = Server(tls=serving)
    yield running
    running.close()


async def test_https_to_a_receiver_the_trust_store_does_not_know_fails_closed(tls_server: Server) -> None:
    client = WebhookClient(5, connections=1, allow_private=True)
    with pytest.raises(CallFailed, match="CERTIFICATE_VERIFY_FAILED"):
        await client.post(tls_server.url(host="localhost", scheme="https"), b"{}", {})
    await client.aclose()
    assert tls_server.paths == []


async def test_https_to_a_receiver_trusted_through_ssl_cert_file_is_delivered(
    tls_server: Server, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    client = WebhookClient(5, connections=1, allow_private=True)
    assert await posts(client, tls_server.url(host="localhost", scheme="https"), 2) == [201, 201]
    await client.aclose()


# --- the SSRF guard


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "[fd00:ec2::254]", "10.0.0.1", "0.0.0.0",
     "[::ffff:127.0.0.1]"],
)  # fmt: skip
async def test_a_call_to_an_address_inside_the_network_is_refused_before_connecting(
    server: Server, host: str
) -> None:
    client = WebhookClient(5, connections=1)
    port = server.url().rsplit(":", 1)[1]
    with pytest.raises(CallFailed) as failed:
        await client.post(f"http://{host}:{port}", b"{}", {})
    await client.aclose()
    assert failed.value.kind == "ForbiddenAddress"
    assert server.opened == 0


async def test_a_host_is_resolved_once_and_the_address_checked_is_the_one_connected_to(
    server: Server,
) -> None:
    checked: list[IPAddress] = []

    def permit(address: IPAddress) -> bool:
        checked.append(address)
        return address.is_loopback

    client = WebhookClient(5, connections=1, permit=permit)
    assert await client.post(server.url(host="localhost"), b"{}", {}) == 201
    await client.aclose()
    assert [str(address) for address in checked] == ["127.0.0.1"]
    assert server.hosts == [server.url(host="localhost").split("/")[2]]  # Host names the URL's host


async def test_a_host_whose_every_address_is_refused_reaches_nothing(server: Server) -> None:
    client = WebhookClient(5, connections=1, permit=lambda address: address.version == 6)
    with pytest.raises(CallFailed, match=r"localhost resolves to 127\.0\.0\.1") as failed:
        await client.post(server.url(host="localhost"), b"{}", {})
    await client.aclose()
    assert failed.value.kind == "ForbiddenAddress"
    assert server.opened == 0


async def test_a_redirect_to_an_address_inside_the_network_is_not_followed(server: Server) -> None:
    server.behaviour = "redirect"
    client = WebhookClient(5, connections=1, permit=lambda address: address.is_loopback)
    assert await client.post(server.url(), b"{}", {}) == 302
    await client.aclose()
    assert server.paths == ["/hook"]


async def test_https_through_the_guard_names_the_host_for_sni_and_the_certificate(
    tls_server: Server, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    client = WebhookClient(5, connections=1, permit=lambda address: address.is_loopback)
    url = tls_server.url(host="localhost", scheme="https")
    assert await posts(client, url, 2) == [201, 201]
    await client.aclose()
    assert tls_server.hosts == [url.split("/")[2]] * 2
