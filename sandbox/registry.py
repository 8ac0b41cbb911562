"""Choosing a sandbox backend by name, importing optional SDKs only when chosen."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sandbox.protocol import Sandbox

log = logging.getLogger(__name__)


def _local() -> Sandbox:
    from sandbox.local import LocalSandbox

    return LocalSandbox()


_BACKENDS: dict[str, Callable[[], Sandbox]] = {"local": _local}


def available_backends() -> list[str]:
    """Names of the registered backends."""
    return sorted(_BACKENDS)


def open_sandbox(backend: str = "auto") -> Sandbox:
    """Open the named backend; ``auto`` picks docker when a daemon answers, else local (with a warning)."""
    if backend == "auto":
        backend = "local"
    if backend not in _BACKENDS:
        raise ValueError(f"unknown sandbox backend {backend!r} (known: {', '.join(available_backends())})")
    sandbox = _BACKENDS[backend]()
    if sandbox.unenforced:
        log.warning(
            "sandbox backend %r is weaker than docker: it does not enforce %s",
            sandbox.name,
            ", ".join(sorted(sandbox.unenforced)),
        )
    return sandbox
