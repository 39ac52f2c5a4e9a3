"""A proxy in front of a registry that fails a share of the requests the ways registries behind load
balancers and rate limits fail: a 500, 502 or 503, a 429 asking to wait, a connection reset before
any answer, a reset halfway through the answer's body, a stall. Standard library only, seeded, one
request per connection (it answers `Connection: close`)."""

from __future__ import annotations

import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter

FAULTS = ("500", "502", "503", "429", "reset", "halfway", "stall")


def _read_until(conn: socket.socket, marker: bytes, buffer: bytes = b"") -> tuple[bytes, bytes]:
    while marker not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed early")
        buffer += chunk
    head, _, rest = buffer.partition(marker)
    return head + marker, rest


def _read_exactly(conn: socket.socket, size: int, buffer: bytes) -> tuple[bytes, bytes]:
    while len(buffer) < size:
        chunk = conn.recv(min(65536, size - len(buffer)) or 65536)
        if not chunk:
            raise ConnectionError("closed early")
        buffer += chunk
    return buffer[:size], buffer[size:]


def _body(conn: socket.socket, headers: dict[str, str], rest: bytes) -> bytes:
    """A request's body, raw: by Content-Length, or chunk by chunk to the last one."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            line, rest = _read_until(conn, b"\r\n", rest)
            size = int(line.split(b";")[0].strip(), 16)
            data, rest = _read_exactly(conn, size + 2, rest)
            body += line + data
            if size == 0:
                return body
    data, _ = _read_exactly(conn, int(headers.get("content-length", "0")), rest)
    return data


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class FaultProxy:
    """Forward to upstream (host:port); fail `rate` of the requests, picked by a seeded random."""

    def __init__(self, upstream: str, rate: float, seed: int) -> None:
        self.upstream = upstream
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        self.requests = 0
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy.one(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fault(self) -> str | None:
        with self.lock:
            self.requests += 1
            fault = self.random.choice(FAULTS) if self.random.random() < self.rate else None
            if fault:
                self.faults[fault] += 1
            return fault

    def one(self, client: socket.socket) -> None:
        try:
            head, rest = _read_until(client, b"\r\n\r\n")
        except ConnectionError:
            return
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        try:
            body = _body(client, headers, rest)
        except ConnectionError:
            return
        fault = self._fault()
        if fault in ("500", "502", "503", "429"):
            extra = "Retry-After: 1\r\n" if fault == "429" else ""
            client.sendall(f"HTTP/1.1 {fault} Fault\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n".encode())
            client.close()
            return
        if fault == "reset":
            _reset(client)
            return
        if fault == "stall":
            time.sleep(2)
        # the client's Host stays: the registry writes the upload URLs it answers with from it, so
        # they lead back through the proxy
        kept = [line for line in lines[1:] if line and not line.lower().startswith("connection:")]
        request = "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode()
        host, port = self.upstream.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=300) as upstream:
            upstream.sendall(request + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
        if fault == "halfway":
            client.sendall(answer[: max(1, len(answer) // 2)])
            _reset(client)
            return
        client.sendall(answer)
        client.close()
