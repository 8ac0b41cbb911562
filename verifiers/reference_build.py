"""The task's reference, built once per process and sandbox backend: expected outputs for tasks without an oracle."""

from __future__ import annotations

import threading

from sandbox import Sandbox
from tasks.model import KernelTask
from verifiers.build import Build, build_kernel
from verifiers.cache import task_digest
from verifiers.toolchain import Flavour

_BUILDS: dict[tuple[str, str], Build] = {}
_LOCK = threading.Lock()


def reference_build(task: KernelTask, sandbox: Sandbox) -> Build:
    """The release build of ``task``'s reference (failed builds are not kept, so a retry rebuilds)."""
    key = (task_digest(task), sandbox.name)
    with _LOCK:
        if key not in _BUILDS:
            build = build_kernel(task, task.reference.cpp, sandbox, Flavour.release)
            if not build.ok:
                return build
            _BUILDS[key] = build
        return _BUILDS[key]
