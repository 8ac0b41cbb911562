"""Is a Docker daemon answering, and which toolchain images does it hold? Imports the Docker SDK lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.images.spec import BUILD_LABEL, DEFAULT_IMAGE, PACKAGES_LABEL, TOOLCHAIN_LABEL, packages

if TYPE_CHECKING:
    from docker import DockerClient


class DockerUnavailable(RuntimeError):
    """The Docker SDK is missing or no daemon answers; the message says which and what to do."""


def docker_client(timeout: int = 60) -> DockerClient:
    """A client of the daemon at ``DOCKER_HOST`` (default: the local socket), checked with a ping.

    Raises:
        DockerUnavailable: the ``docker`` package is not installed or the daemon does not answer.
    """
    try:
        import docker
    except ImportError:
        raise DockerUnavailable("the Docker SDK is not installed: pip install 'docker>=7'") from None
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(
            f"no Docker daemon answers at {where} ({_first_line(exc)}); start one, e.g. with .ci/install-docker.sh"
        ) from None
    return client


def docker_available() -> bool:
    """Whether a Docker daemon answers (the SDK is installed and a ping succeeds)."""
    try:
        docker_client(timeout=10).close()
    except DockerUnavailable:
        return False
    return True


@dataclass(frozen=True)
class ImageInfo:
    """A toolchain image the daemon holds."""

    tags: tuple[str, ...]
    id: str
    size_mb: float
    created: str
    build: str
    """How it was built (``docker``, ``bootstrap``), or ``?`` for an image without our labels."""
    current: bool
    """Whether it was built from the current ``packages.txt``."""

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**self.__dict__, "tags": list(self.tags)}


def find_image(client: DockerClient, tag: str = DEFAULT_IMAGE) -> ImageInfo | None:
    """The image tagged ``tag``, or None."""
    import docker

    try:
        return _info(client.images.get(tag))
    except docker.errors.ImageNotFound:
        return None


def toolchain_images(client: DockerClient) -> list[ImageInfo]:
    """Images carrying the toolchain label, plus :data:`DEFAULT_IMAGE` whatever its labels."""
    found = {image.id: image for image in client.images.list(filters={"label": TOOLCHAIN_LABEL})}
    default = find_image(client)
    infos = [_info(image) for image in found.values()]
    if default is not None and default.id not in {info.id for info in infos}:
        infos.append(default)
    return sorted(infos, key=lambda info: info.tags)


def _info(image: Any) -> ImageInfo:
    attrs = image.attrs
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return ImageInfo(
        tags=tuple(image.tags) or ("<untagged>",),
        id=image.short_id,
        size_mb=round(attrs.get("Size", 0) / 2**20, 1),
        created=str(attrs.get("Created", ""))[:19],
        build=labels.get(BUILD_LABEL, "?") if TOOLCHAIN_LABEL in labels else "?",
        current=labels.get(PACKAGES_LABEL) == " ".join(packages()),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class DockerStatus:
    """What the daemon says, for ``agent sandbox doctor``."""

    available: bool
    version: str | None = None
    error: str | None = None
    images: tuple[ImageInfo, ...] = ()

    @property
    def has_default_image(self) -> bool:
        """Whether :data:`DEFAULT_IMAGE` exists."""
        return any(DEFAULT_IMAGE in image.tags for image in self.images)


def docker_status() -> DockerStatus:
    """Whether a daemon answers, its version and its toolchain images; never raises for an absent daemon."""
    try:
        client = docker_client(timeout=20)
    except DockerUnavailable as exc:
        return DockerStatus(available=False, error=str(exc))
    try:
        return DockerStatus(
            available=True, version=str(client.version().get("Version")), images=tuple(toolchain_images(client))
        )
    finally:
        client.close()
