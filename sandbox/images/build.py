"""What both ways of building the toolchain image share: results, errors, reuse, streaming a command."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.images.probe import ImageInfo, find_image

if TYPE_CHECKING:
    from docker import DockerClient

Progress = Callable[[str], None]
"""Receives each line of build output as it comes."""

TAIL = 40
"""Output lines kept for an error message."""


class ImageBuildError(RuntimeError):
    """A build failed; the message says where and ends with the last lines of output."""


class MissingPrerequisite(ImageBuildError):
    """A tool or permission the build needs is missing; the message says how to get it."""


@dataclass(frozen=True)
class BuildResult:
    """The image a build produced or found."""

    tag: str
    image: ImageInfo
    reused: bool
    """True when an existing image was kept (no ``force``)."""
    seconds: float
    method: str


def existing(client: DockerClient, tag: str, force: bool, method: str) -> BuildResult | None:
    """The already built image to reuse: none if ``force``, if there is none, or if it is stale.

    A stale image was built from another package list than ``packages.txt`` (it may lack a tool the
    verifiers now use), so it is rebuilt rather than reused.
    """
    info = find_image(client, tag)
    if info is None or force or not info.current:
        return None
    return BuildResult(tag=tag, image=info, reused=True, seconds=0.0, method=method)


def stream_command(command: list[str], on_progress: Progress, what: str, env: dict[str, str] | None = None) -> None:
    """Run ``command`` in its own process group, passing each output line (stdout and stderr) to ``on_progress``.

    An interruption (Ctrl-C) kills the whole group, so no stray child keeps writing into a tree being removed.

    Raises:
        ImageBuildError: it exited non-zero; the message ends with its last lines.
    """
    tail: deque[str] = deque(maxlen=TAIL)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env=env,
        start_new_session=True,
    ) as process:
        try:
            for line in _lines(process.stdout):
                tail.append(line)
                on_progress(line)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
    if process.returncode != 0:
        raise ImageBuildError(f"{what} failed (exit code {process.returncode}); last lines:\n" + "\n".join(tail))


def _lines(stream: Iterable[str] | None) -> Iterable[str]:
    for line in stream or ():
        if line := line.rstrip():
            yield line


def require_root(what: str) -> None:
    """Raise :class:`MissingPrerequisite` unless running as root."""
    if os.geteuid() != 0:
        raise MissingPrerequisite(f"{what} needs root (run as root, or use `agent sandbox build` without --bootstrap)")


def require_tool(name: str, package: str) -> str:
    """The path of ``name`` on PATH, or :class:`MissingPrerequisite` naming the package to install."""
    path = shutil.which(name)
    if path is None:
        raise MissingPrerequisite(f"{name} is not installed (apt-get install {package})")
    return path
