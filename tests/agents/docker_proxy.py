"""A unix socket that forwards to the Docker daemon's own, and can be cut: a daemon dying, as its clients see it,
without touching the daemon that other tests share."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

_CHUNK = 1 << 16


class DaemonProxy:
    """Forwards every connection made to ``path`` to the daemon's socket ``target``, until :meth:`cut`."""

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(64)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        """The address a Docker client reaches the daemon at through this proxy."""
        return f"unix://{self.path}"

    def cut(self) -> None:
        """The daemon is gone: the socket file disappears and every open connection breaks."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        self.path.unlink(missing_ok=True)
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink``; the end of ``source`` half-closes ``sink`` (docker's exec streams rely on it)."""
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        return
