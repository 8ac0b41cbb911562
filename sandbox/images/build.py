"""Building the toolchain image with ``docker build``, and what every build path shares."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.images.probe import ImageInfo, docker_client, find_image
from sandbox.images.spec import DEFAULT_IMAGE, IMAGES_DIR, build_labels

if TYPE_CHECKING:
    from docker import DockerClient

Progress = Callable[[str], None]
"""Receives each line of build output as it comes."""

DEFAULT_BASE = "debian:bookworm-slim"
_TAIL = 40


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
    """The already built image to reuse, unless ``force`` or there is none."""
    info = find_image(client, tag)
    if info is None or force:
        return None
    return BuildResult(tag=tag, image=info, reused=True, seconds=0.0, method=method)


def build_with_docker(
    tag: str = DEFAULT_IMAGE,
    *,
    force: bool = False,
    base: str = DEFAULT_BASE,
    network_mode: str | None = None,
    on_progress: Progress = print,
) -> BuildResult:
    """Build the image from ``sandbox/images/Dockerfile`` through the Docker SDK, streaming its output.

    Args:
        tag: Tag of the image to build.
        force: Rebuild even if ``tag`` exists.
        base: The ``FROM`` image; it must be local or pullable.
        network_mode: Network of the ``RUN`` steps; default: ``host`` when the daemon has no bridge network.
        on_progress: Called with each output line.

    Raises:
        DockerUnavailable: no daemon answers.
        ImageBuildError: the build failed (for example the base image cannot be pulled).
    """
    client = docker_client(timeout=600)
    if reused := existing(client, tag, force, "docker"):
        return reused
    base_is_local = find_image(client, base) is not None
    if network_mode is None and not any(net.name == "bridge" for net in client.networks.list()):
        network_mode = "host"
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=_TAIL)
    stream = client.api.build(
        path=str(IMAGES_DIR),
        tag=tag,
        rm=True,
        forcerm=True,
        decode=True,
        buildargs={"BASE": base},
        labels=build_labels("docker"),
        network_mode=network_mode,
    )
    for chunk in stream:
        if "error" in chunk:
            hint = "" if base_is_local else f" (is a registry reachable to pull {base}? if not, use --bootstrap)"
            raise ImageBuildError(f"docker build of {tag} failed: {chunk['error'].strip()}{hint}\n" + "\n".join(tail))
        for line in str(chunk.get("stream") or chunk.get("status") or "").splitlines():
            if line.strip():
                tail.append(line)
                on_progress(line)
    info = find_image(client, tag)
    if info is None:
        raise ImageBuildError(f"docker build ended without an image tagged {tag}\n" + "\n".join(tail))
    return BuildResult(tag=tag, image=info, reused=False, seconds=time.monotonic() - started, method="docker")


def stream_command(command: list[str], on_progress: Progress, what: str, env: dict[str, str] | None = None) -> None:
    """Run ``command``, passing each output line (stdout and stderr) to ``on_progress``.

    Raises:
        ImageBuildError: it exited non-zero; the message ends with its last lines.
    """
    tail: deque[str] = deque(maxlen=_TAIL)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env
    ) as process:
        try:
            for line in _lines(process.stdout):
                tail.append(line)
                on_progress(line)
        except BaseException:
            process.kill()
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
