"""A TCP relay between a client and the test's PostgreSQL server that a test can cut and
restore: the server going away (stopped, restarted, the network between) as the client sees
it, without stopping the server the other tests share.

``cut()`` closes every relayed connection and stops listening (connecting is then refused);
``restore()`` listens again on the same port. ``arm(cut_after)`` cuts by itself once that many
bytes went through (either way): a server lost in the middle of a command's reads or writes,
at the same point in every run.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class TcpCut:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        self.url = urlunsplit(
            parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host)
        )
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._sent = 0  # bytes relayed since arm()
        self._cut_after: int | None = None
        self.cut_done = threading.Event()
        self._serve(self._listener)

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        return listener

    def _serve(self, listener: socket.socket) -> None:
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                if self._cut_after is not None:
                    with self._lock:
                        self._sent += len(data)
                        over = self._sent >= self._cut_after
                    if over:
                        self.cut()
                        return
                sink.sendall(data)
            except OSError:
                break
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def arm(self, cut_after: int) -> None:
        """Cut once ``cut_after`` more bytes went through."""
        with self._lock:
            self._sent = 0
            self._cut_after = cut_after

    def cut(self) -> None:
        with self._lock:
            self._cut_after = None
            # (shut down first: a close alone leaves a thread blocked in accept() listening,
            # on Linux, until one more client comes)
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            for end in self._sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self._sockets = []
        self.cut_done.set()

    def restore(self) -> None:
        self.cut_done.clear()
        self._listener = self._listen(self.port)
        self._serve(self._listener)

    def close(self) -> None:
        self.cut()
