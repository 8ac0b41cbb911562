"""Choosing a backend: docker when a daemon answers with the image, else local with a warning."""

from __future__ import annotations

import logging
import sys

import pytest

from sandbox import SandboxUnavailable, open_sandbox, registry
from sandbox.docker_client import connect
from sandbox.local import LocalSandbox


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sandbox backend 'podman'"):
        open_sandbox("podman")


def test_local_by_name_warns_that_it_is_weaker(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sandbox.registry"):
        sandbox = open_sandbox("local")
    assert isinstance(sandbox, LocalSandbox)
    assert "weaker than docker" in caplog.text
    assert "filesystem" in caplog.text


def test_auto_falls_back_to_local_when_docker_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unavailable():
        raise SandboxUnavailable("no Docker daemon answers: connection refused")

    monkeypatch.setitem(registry._BACKENDS, "docker", unavailable)
    monkeypatch.setattr(registry, "_docker", unavailable)
    with caplog.at_level(logging.WARNING, logger="sandbox.registry"):
        sandbox = open_sandbox("auto")
    assert isinstance(sandbox, LocalSandbox)
    assert "falling back to the local sandbox" in caplog.text
    assert "no Docker daemon answers" in caplog.text


def test_docker_without_the_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)
    with pytest.raises(SandboxUnavailable, match="pip install 'docker"):
        open_sandbox("docker")


@pytest.mark.docker
def test_auto_picks_docker_when_the_daemon_has_the_image(docker_client) -> None:
    sandbox = open_sandbox("auto")
    try:
        assert sandbox.name == "docker"
        assert sandbox.unenforced == frozenset()
    finally:
        sandbox.close()


@pytest.mark.docker
def test_a_missing_image_names_the_build_command(docker_client) -> None:
    with pytest.raises(SandboxUnavailable, match="agent sandbox build"):
        connect("paraforge-no-such-image:never")
