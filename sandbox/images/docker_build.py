"""Building the toolchain image from ``sandbox/images/Dockerfile`` with ``docker build`` (needs a registry)."""

from __future__ import annotations

import time
from collections import deque

from sandbox.images.build import TAIL, BuildResult, ImageBuildError, Progress, existing
from sandbox.images.probe import docker_client, find_image
from sandbox.images.spec import DEFAULT_IMAGE, IMAGES_DIR, build_labels

DEFAULT_BASE = "debian:bookworm-slim"


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
    tail: deque[str] = deque(maxlen=TAIL)
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
