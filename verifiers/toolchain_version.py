"""The toolchain's identity as a sandbox sees it, for cache keys."""

from __future__ import annotations

import weakref

from sandbox import Job, Limits, Sandbox, SandboxUnavailable
from verifiers.toolchain import CXX

_VERSIONS: weakref.WeakKeyDictionary[Sandbox, str] = weakref.WeakKeyDictionary()


def compiler_version(sandbox: Sandbox) -> str:
    """``clang++ --version`` as seen inside ``sandbox`` (asked once per sandbox object)."""
    if sandbox in _VERSIONS:
        return _VERSIONS[sandbox]
    try:
        result = sandbox.run(Job(command=[CXX, "--version"], limits=Limits(wall_s=30)))
    except SandboxUnavailable as exc:  # the stages that need the sandbox report it in the verdict
        return f"unknown (sandbox unavailable: {exc})"
    if not result.succeeded:
        return f"unknown ({result.status.value}: {result.message or result.stderr.strip()})"
    version = result.stdout.strip()
    _VERSIONS[sandbox] = version
    return version
