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


class _Reader:
    """A connection's bytes, read as they are needed into one growing buffer: an upload of hundreds
    of megabytes comes in many small chunks, and each is copied once, not once per chunk."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.buffer, self.at = conn, bytearray(), 0

    def _more(self) -> None:
        chunk = self.conn.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed early")
        self.buffer += chunk

    def until(self, marker: bytes) -> bytes:
        """The bytes up to and with marker."""
        while (end := self.buffer.find(marker, self.at)) < 0:
            self._more()
        return self.exactly(end + len(marker) - self.at)

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) - self.at < size:
            self._more()
        out = bytes(self.buffer[self.at : self.at + size])
        self.at += size
        return out


def _body(reader: _Reader, headers: dict[str, str]) -> bytes:
    """A request's body, raw: by Content-Length, or chunk by chunk to the last one."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            line = reader.until(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            parts += [line, reader.exactly(size + 2)]
            if size == 0:
                return b"".join(parts)
    return reader.exactly(int(headers.get("content-length", "0")))


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
        reader = _Reader(client)
        try:
            head = reader.until(b"\r\n\r\n")
        except ConnectionError:
            return
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        try:
            body = _body(reader, headers)
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
            answer = bytearray()
            while chunk := upstream.recv(1 << 20):
                answer += chunk
        if fault == "halfway":
            client.sendall(answer[: max(1, len(answer) // 2)])
            _reset(client)
            return
        client.sendall(answer)
        client.close()
