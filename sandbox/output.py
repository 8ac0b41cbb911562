"""Capturing a stream with a cap: keep the head and the tail, count what was dropped between."""

from __future__ import annotations

import threading
from typing import BinaryIO

_CHUNK = 65536


class CappedBuffer:
    """Keeps the first and last ``cap // 2`` bytes written to it and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap // 2 - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            excess = len(self._tail) - (self.cap - self.cap // 2)
            if excess > 0:
                del self._tail[:excess]

    @property
    def dropped(self) -> int:
        """Bytes dropped from the middle."""
        return self.total - len(self._head) - len(self._tail)

    def text(self) -> str:
        """The kept bytes as text, with a marker where bytes were dropped."""
        head = self._head.decode(errors="replace")
        tail = self._tail.decode(errors="replace")
        if self.dropped:
            return f"{head}\n[... {self.dropped} bytes dropped by the output cap ...]\n{tail}"
        return head + tail


def drain(stream: BinaryIO, buffer: CappedBuffer) -> threading.Thread:
    """Start a daemon thread copying ``stream`` into ``buffer`` until end of file."""

    def pump() -> None:
        with stream:
            while chunk := stream.read1(_CHUNK) if hasattr(stream, "read1") else stream.read(_CHUNK):
                buffer.write(chunk)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread
