"""A TCP proxy on 127.0.0.1 in front of moto's server that can black-hole the connection.

Not a test double: the worker still talks the real SQS protocol to moto through it. While
``black_hole`` is set, the proxy accepts connections and reads requests but forwards nothing
and answers nothing, as when a network path drops packets (not a refused connection).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any


class FaultyProxy:
    """Forward 127.0.0.1:<port> to ``upstream`` (``host:port``) until told to black-hole.

    Attributes:
        endpoint: ``http://127.0.0.1:<port>``, to use as the SQS endpoint.
        black_hole: Set it to drop everything; clear it to forward again (new connections).
        connections: Connections accepted so far.
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.rpartition("//")[2].partition(":")
        self._upstream = (host, int(port))
        self.black_hole = threading.Event()
        self._closed = threading.Event()
        self.connections = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._track(client)
            self.connections += 1
            if self.black_hole.is_set():
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                client.close()
                continue
            self._track(upstream)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        """Read and drop until the peer gives up or the proxy closes."""
        sock.settimeout(0.2)
        while not self._closed.is_set():
            try:
                if not sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(0.2)
        while not self._closed.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self.black_hole.is_set():
                continue  # dropped on the floor
            try:
                target.sendall(data)
            except OSError:
                break
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def __enter__(self) -> FaultyProxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
