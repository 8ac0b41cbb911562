"""Preflight: before any candidate is judged, check that the sandbox has what the task's target needs.

A missing compiler, OpenMP runtime, linker, Archer or sanitizer runtime would otherwise fail every
candidate at its compile or race stage, where it reads as the candidates' fault (and a model would be
asked to repair code that was never wrong). One sandbox job checks every piece, once per sandbox and
target in a process, and :class:`ToolchainMissing` names each missing piece and how to get it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from sandbox import Job, Limits, Sandbox
from sandbox.images.spec import ARCHER_LIBRARY
from tasks.model import Target
from verifiers.toolchain import CXX, LINK_FLAGS

PROBE_SOURCE = "probe.cpp"
MISSING_PREFIX = "missing:"


@dataclass(frozen=True)
class Requirement:
    """One piece of the toolchain, checked by a shell command that succeeds when the piece works."""

    name: str
    check: str
    compiles: bool = False
    """The check compiles a program: it says nothing about its piece when the compiler itself is missing."""


_PROBE = f"{CXX} -std=c++17 -fopenmp {' '.join(LINK_FLAGS)} {PROBE_SOURCE}"
REQUIREMENTS: dict[Target, tuple[Requirement, ...]] = {
    Target.cpp_openmp: (
        Requirement(f"the C++ compiler ({CXX})", f"command -v {CXX}"),
        Requirement("the linker (ld.lld) and the OpenMP runtime (libomp)", f"{_PROBE} -o release && ./release", True),
        Requirement("LLVM Archer, the OpenMP race-detection tool", f"test -r {ARCHER_LIBRARY}"),
        Requirement("the ThreadSanitizer runtime (libclang-rt)", f"{_PROBE} -fsanitize=thread -o tsan", True),
        Requirement("the AddressSanitizer/UBSan runtime", f"{_PROBE} -fsanitize=address,undefined -o asan", True),
    ),
}
"""What each target needs in the sandbox, checked in order, the compiler first."""

PROBE_PROGRAM = "#include <omp.h>\nint main() { return omp_get_max_threads() < 1; }\n"


class ToolchainMissing(RuntimeError):
    """The sandbox lacks pieces of the toolchain a task's target needs; the message names them and the fix."""

    def __init__(self, sandbox: Sandbox, target: Target, missing: list[str]) -> None:
        self.missing = missing
        if sandbox.name == "docker":
            fix = "rebuild the sandbox image: agent sandbox build --bootstrap (or agent sandbox build)"
        else:
            fix = (
                "install the system packages: .ci/install-system.sh (Debian/Ubuntu: clang libomp-dev "
                "libclang-rt-14-dev lld-14 llvm-14), or use the docker sandbox (agent sandbox build --bootstrap)"
            )
        pieces = "\n".join(f"  - {piece}" for piece in missing)
        super().__init__(
            f"the {sandbox.name} sandbox cannot build or check {target.value} kernels; missing:\n{pieces}\n"
            f"To fix it, {fix}; `agent sandbox doctor` checks the result."
        )


_checked: weakref.WeakKeyDictionary[Sandbox, dict[Target, list[str]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def preflight(sandbox: Sandbox, targets: list[Target], *, again: bool = False) -> None:
    """Check that ``sandbox`` has everything ``targets`` need (once per sandbox and target in this process,
    unless ``again``: checked afresh, as a run does when its verdicts start saying the environment broke).

    Raises:
        ToolchainMissing: a piece is missing, named with how to get it.
        SandboxUnavailable: the sandbox itself cannot be reached.
    """
    for target in targets:
        with _lock:
            known = _checked.setdefault(sandbox, {})
            if again or target not in known:
                known[target] = missing_pieces(sandbox, target)
            missing = known[target]
        if missing:
            raise ToolchainMissing(sandbox, target, missing)


def missing_pieces(sandbox: Sandbox, target: Target) -> list[str]:
    """The pieces ``target`` needs that ``sandbox`` lacks, by name (one job checks them all)."""
    requirements = REQUIREMENTS.get(target, ())
    if not requirements:
        return []
    lines = [
        f'({req.check}) >/dev/null 2>&1 || echo "{MISSING_PREFIX} {index}"' for index, req in enumerate(requirements)
    ]
    job = Job(
        command=["sh", "-c", "\n".join(lines)],
        files={PROBE_SOURCE: PROBE_PROGRAM.encode()},
        limits=Limits(wall_s=120, memory_mb=2048),
    )
    result = sandbox.run(job)
    if not result.succeeded:
        return [f"a working sandbox ({result.status.value}: {result.message or result.stderr.strip()[:200]})"]
    indexes = [line.removeprefix(MISSING_PREFIX).strip() for line in result.stdout.splitlines()]
    missing = [requirements[int(index)] for index in indexes if index.isdigit()]
    if requirements[0] in missing:  # the compiler: what it would have compiled is unknown, not missing
        missing = [req for req in missing if not req.compiles]
    return [req.name for req in missing]
