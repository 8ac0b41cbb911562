"""How sanitizer builds run: their environment, exit codes and where their reports go."""

from __future__ import annotations

from sandbox.images.spec import ARCHER_LIBRARY
from verifiers.toolchain import Flavour

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
