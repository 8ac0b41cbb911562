"""The toolchain's identity as a sandbox sees it, for cache keys."""

from __future__ import annotations

import weakref

from sandbox import Job, Limits, Sandbox
from verifiers.toolchain import CXX

_VERSIONS: weakref.WeakKeyDictionary[Sandbox, str] = weakref.WeakKeyDictionary()


def compiler_version(sandbox: Sandbox) -> str:
    """``clang++ --version`` as seen inside ``sandbox`` (asked once per sandbox object)."""
    if sandbox in _VERSIONS:
        return _VERSIONS[sandbox]
    result = sandbox.run(Job(command=[CXX, "--version"], limits=Limits(wall_s=30)))
    if not result.succeeded:
        return f"unknown ({result.status.value}: {result.message or result.stderr.strip()})"
    version = result.stdout.strip()
    _VERSIONS[sandbox] = version
    return version
