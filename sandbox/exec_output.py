"""Reading one job exec's output stream: the job's stdout and stderr under their caps, then the tar of
its collected files, which the job script sends on stdout after a marker once the job is over.

The marker is a random token the host hands the script on stdin, so no honest job prints it; a job
that learns it can only forge its own stdout and collected files, which it could write anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import docker

from sandbox.output import CappedBuffer

_STDERR = 2
"""Stream id of stderr in Docker's multiplexed exec stream."""


class ExecOutput:
    """Splits an exec's frames into capped stdout and stderr, and the collected-files tar after the marker."""

    def __init__(self, marker: bytes, output_bytes: int, archive_bytes: int) -> None:
        """
        Args:
            marker: what the script prints on stdout when the job is over, before the tar.
            output_bytes: cap of each of the job's streams (head and tail kept).
            archive_bytes: the longest tar kept; a longer one is cut one byte past this, to be refused.
        """
        self.stdout = CappedBuffer(output_bytes)
        self.stderr = CappedBuffer(output_bytes)
        self.job_over = threading.Event()
        """Set when the marker arrives, or the stream ends without one."""
        self.closed = threading.Event()
        """Set when the stream has ended."""
        self._marker = marker
        self._pending = b""
        """Bytes of stdout that may be the start of the marker."""
        self._archive: bytearray | None = None
        self._archive_cap = archive_bytes + 1

    @property
    def archive(self) -> bytes | None:
        """The collected-files tar, or None if the script never said the job was over."""
        return None if self._archive is None else bytes(self._archive)

    def pump(self, frames: Iterable[tuple[int, bytes]]) -> None:
        """Consume ``frames`` (stream id, data) to their end; a stream broken under it counts as ended."""
        try:
            for stream, data in frames:
                if stream == _STDERR:
                    self.stderr.write(data)
                else:
                    self._write_stdout(data)
        except (OSError, ValueError, docker.errors.DockerException):
            pass  # the container was killed under the stream
        finally:
            if self._archive is None and self._pending:
                self.stdout.write(self._pending)
            self.job_over.set()
            self.closed.set()

    def _write_stdout(self, data: bytes) -> None:
        if self._archive is not None:
            self._archive += data[: self._archive_cap - len(self._archive)]
            return
        data = self._pending + data
        at = data.find(self._marker)
        if at >= 0:
            self.stdout.write(data[:at])
            self._pending = b""
            self._archive = bytearray()
            self.job_over.set()
            self._write_stdout(data[at + len(self._marker) :])
            return
        keep = min(len(data), len(self._marker) - 1)
        self.stdout.write(data[: len(data) - keep])
        self._pending = data[len(data) - keep :]
