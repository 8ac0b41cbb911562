"""The C++/OpenMP toolchain: compiler commands and run-time environment of each build flavour."""

from __future__ import annotations

import weakref
from enum import StrEnum

from sandbox import Job, Limits, Sandbox
from tasks.harness import DRIVER_SOURCE, SIGNATURE_HEADER

KERNEL_SOURCE = "kernel.cpp"
"""Name of the kernel's source file (reference or candidate) inside a build job."""
BINARY = "kernel"
"""Name of the built driver program."""

CXX = "clang++"
"""The compiler: clang, because libomp + Archer gives race reports without libgomp's false positives."""


class Flavour(StrEnum):
    """What a build is for."""

    release = "release"
    """-O3 -march=native: correctness and timing."""
    tsan = "tsan"
    """ThreadSanitizer with Archer-aware OpenMP: race detection."""
    asan = "asan"
    """AddressSanitizer + UndefinedBehaviorSanitizer: memory errors."""


_FLAGS: dict[Flavour, list[str]] = {
    Flavour.release: ["-O3", "-march=native"],
    Flavour.tsan: ["-O1", "-g", "-fsanitize=thread", "-fno-omit-frame-pointer"],
    Flavour.asan: ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"],
}


def compile_command(flavour: Flavour = Flavour.release) -> list[str]:
    """The compiler invocation building the driver plus the kernel into :data:`BINARY`."""
    return [
        CXX,
        "-std=c++17",
        "-fopenmp",
        *_FLAGS[flavour],
        "-include",
        SIGNATURE_HEADER,
        DRIVER_SOURCE,
        KERNEL_SOURCE,
        "-o",
        BINARY,
    ]


ARCHER_LIBRARY = "/usr/lib/llvm-14/lib/libarcher.so"
"""LLVM's OpenMP tool that tells ThreadSanitizer about OpenMP synchronisation."""
SANITIZER_JOB = "PARAFORGE_SANITIZER"
"""Set in a job's environment when it runs a sanitizer build: backends must not cap its address space."""
RACE_EXIT_CODE = 66
"""Exit code of a ThreadSanitizer build that found races."""
MEMORY_EXIT_CODE = 67
"""Exit code of an AddressSanitizer/UBSan build that found an error."""

_RUNTIME_ENV: dict[Flavour, dict[str, str]] = {
    Flavour.release: {},
    Flavour.tsan: {
        SANITIZER_JOB: "1",
        "OMP_TOOL_LIBRARIES": ARCHER_LIBRARY,
        "TSAN_OPTIONS": (
            f"ignore_noninstrumented_modules=1 halt_on_error=0 exitcode={RACE_EXIT_CODE} "
            "history_size=4 second_deadlock_stack=1"
        ),
        "ARCHER_OPTIONS": "verbose=0",
    },
    Flavour.asan: {
        SANITIZER_JOB: "1",
        "ASAN_OPTIONS": (
            f"detect_leaks=0 halt_on_error=1 abort_on_error=0 exitcode={MEMORY_EXIT_CODE} "
            "detect_stack_use_after_return=1 allocator_may_return_null=0"
        ),
        "UBSAN_OPTIONS": f"print_stacktrace=1 halt_on_error=1 exitcode={MEMORY_EXIT_CODE}",
    },
}

REPORT_OPTIONS: dict[Flavour, tuple[str, ...]] = {
    Flavour.release: (),
    Flavour.tsan: ("TSAN_OPTIONS",),
    Flavour.asan: ("ASAN_OPTIONS", "UBSAN_OPTIONS"),
}
"""The sanitizer option variables of each flavour, to which a run appends its ``log_path``."""


def runtime_env(flavour: Flavour) -> dict[str, str]:
    """Environment variables a program of ``flavour`` runs with."""
    return dict(_RUNTIME_ENV[flavour])


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
