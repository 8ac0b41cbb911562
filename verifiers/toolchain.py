"""Compiler commands for each build flavour of a C++/OpenMP kernel."""

from __future__ import annotations

from enum import StrEnum

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


def flavour_flags(flavour: Flavour = Flavour.release) -> list[str]:
    """The optimisation and sanitizer flags of ``flavour`` (for builds other than the single-kernel driver)."""
    return list(_FLAGS[flavour])
