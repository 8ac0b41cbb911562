"""Choosing a sandbox backend by name, importing optional SDKs only when chosen."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sandbox.docker_client import SandboxUnavailable, import_docker
from sandbox.protocol import Sandbox

log = logging.getLogger(__name__)


def _local() -> Sandbox:
    from sandbox.local import LocalSandbox

    return LocalSandbox()


def _docker() -> Sandbox:
    import_docker()
    from sandbox.docker_backend import DockerSandbox

    return DockerSandbox()


_BACKENDS: dict[str, Callable[[], Sandbox]] = {"docker": _docker, "local": _local}


def available_backends() -> list[str]:
    """Names of the registered backends."""
    return sorted(_BACKENDS)


def open_sandbox(backend: str = "auto") -> Sandbox:
    """Open the named backend; ``auto`` picks docker when a daemon answers with the image, else local.

    Raises:
        SandboxUnavailable: the named backend cannot run here (the message says what is missing).
        ValueError: no backend has that name.
    """
    if backend == "auto":
        try:
            return _docker()
        except SandboxUnavailable as exc:
            log.warning("falling back to the local sandbox, which is weaker than docker: %s", exc)
            backend = "local"
    if backend not in _BACKENDS:
        raise ValueError(f"unknown sandbox backend {backend!r} (known: auto, {', '.join(available_backends())})")
    sandbox = _BACKENDS[backend]()
    if sandbox.unenforced:
        log.warning(
            "sandbox backend %r is weaker than docker: it does not enforce %s",
            sandbox.name,
            ", ".join(sorted(sandbox.unenforced)),
        )
    return sandbox
