"""The sandbox toolchain image: its definition, two ways to build it, and probes of the Docker daemon.

``DEFAULT_IMAGE`` is the tag the docker backend runs jobs in. Build it with :func:`build_with_docker`
(needs a registry for ``debian:bookworm-slim``) or :func:`build_with_bootstrap` (needs root, debootstrap
and a Debian mirror). Both install the one package list in ``packages.txt``. Nothing here imports the
Docker SDK until it is used.
"""

from sandbox.images.bootstrap import build_with_bootstrap
from sandbox.images.build import BuildResult, ImageBuildError, MissingPrerequisite
from sandbox.images.docker_build import build_with_docker
from sandbox.images.probe import DockerUnavailable, ImageInfo, docker_available, docker_client, toolchain_images
from sandbox.images.spec import ARCHER_LIBRARY, DEFAULT_IMAGE, TSAN_ENV, packages

__all__ = [
    "ARCHER_LIBRARY",
    "DEFAULT_IMAGE",
    "TSAN_ENV",
    "BuildResult",
    "DockerUnavailable",
    "ImageBuildError",
    "ImageInfo",
    "MissingPrerequisite",
    "build_with_bootstrap",
    "build_with_docker",
    "docker_available",
    "docker_client",
    "packages",
    "toolchain_images",
]
