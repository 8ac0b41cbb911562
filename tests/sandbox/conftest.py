"""Sandbox fixtures: a Docker client (or a skip saying why not) and every backend, for the conformance suite."""

from __future__ import annotations

import pytest

from sandbox import Sandbox, SandboxUnavailable
from sandbox.constants import DEFAULT_IMAGE
from sandbox.docker_client import connect

BACKENDS = [
    pytest.param("local", id="local"),
    pytest.param("docker", id="docker", marks=pytest.mark.docker),
    pytest.param("docker-cold", id="docker-cold", marks=[pytest.mark.docker, pytest.mark.slow]),
]
"""Every backend configuration the conformance suite runs against (the cold one starts a container per job)."""


@pytest.fixture(scope="session")
def docker_client():
    """A client of a daemon holding the toolchain image, or a skip that says what is missing."""
    try:
        client = connect(DEFAULT_IMAGE)
    except SandboxUnavailable as exc:
        pytest.skip(f"docker sandbox unavailable: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session", params=BACKENDS)
def sandbox(request) -> Sandbox:
    """Each backend in turn, shared by the tests of the session."""
    if request.param == "local":
        from sandbox.local import LocalSandbox

        backend: Sandbox = LocalSandbox()
    else:
        from sandbox.docker_backend import DockerSandbox

        client = request.getfixturevalue("docker_client")
        backend = DockerSandbox(client, warm=0 if request.param == "docker-cold" else 2)
    yield backend
    backend.close()
