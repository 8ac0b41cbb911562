"""Reaching the Docker daemon: the SDK imported only when chosen, the image checked, crashed runs swept."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import TYPE_CHECKING

from sandbox.ownership import OWNER_LABEL, ROLE, ROLE_LABEL, owner_alive

if TYPE_CHECKING:
    from docker import DockerClient

log = logging.getLogger(__name__)

BUILD_HINT = "agent sandbox build"
"""The command that builds the toolchain image."""


class SandboxUnavailable(RuntimeError):
    """The chosen sandbox backend cannot run here; the message says what to install or start."""


def import_docker() -> ModuleType:
    """The Docker SDK, or :class:`SandboxUnavailable` naming what to install."""
    try:
        import docker
    except ImportError as exc:
        raise SandboxUnavailable(
            "the docker sandbox backend needs the Docker SDK for Python: pip install 'docker>=7,<8'"
        ) from exc
    return docker


def connect(image: str) -> DockerClient:
    """A client of a daemon that answers and holds ``image``, else :class:`SandboxUnavailable` saying why."""
    docker = import_docker()
    try:
        client = docker.from_env(max_pool_size=64)
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(f"no Docker daemon answers: {exc}") from exc
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        client.close()
        raise SandboxUnavailable(f"the sandbox image {image} is missing; build it with `{BUILD_HINT}`") from exc
    return client


def remove_container(client: DockerClient, container: str) -> None:
    """Kill and remove a container and its anonymous volumes; one already gone is fine."""
    docker = import_docker()
    try:
        client.api.remove_container(container, force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise


def sweep_orphans(client: DockerClient) -> int:
    """Remove the sandbox containers (and volumes) whose owning process is gone; return how many containers."""
    selector = {"label": f"{ROLE_LABEL}={ROLE}"}
    swept = 0
    for container in client.api.containers(all=True, filters=selector):
        owner = (container.get("Labels") or {}).get(OWNER_LABEL, "")
        if owner and not owner_alive(owner):
            remove_container(client, container["Id"])
            swept += 1
    client.api.prune_volumes(filters=selector)
    if swept:
        log.info("removed %d sandbox containers left by crashed runs", swept)
    return swept
