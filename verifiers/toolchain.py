"""Compiler commands for each build flavour of a C++/OpenMP kernel."""

from __future__ import annotations

from enum import StrEnum

from tasks.harness import DRIVER_SOURCE, SIGNATURE_HEADER

KERNEL_SOURCE = "kernel.cpp"
"""Name of the kernel's source file (reference or candidate) inside a build job."""
BINARY = "kernel"
"""Name of the built driver program."""
DRIVER_OBJECT = "driver.o"
"""The driver compiled alone, reused by every build of the same signature and flavour."""

CXX = "clang++"
"""The compiler: clang, because libomp + Archer gives race reports without libgomp's false positives."""
LINK_FLAGS = ["-fuse-ld=lld"]
"""Flags of every link: LLVM's lld links a sanitized driver in a third of the time GNU ld takes."""
SIGNATURE_INCLUDE = ["-include", SIGNATURE_HEADER]
"""Every kernel and driver is compiled with the generated declaration of the task's function included."""


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


def compile_command(
    flavour: Flavour = Flavour.release, driver: str = DRIVER_SOURCE, *, precompiled: list[str] | None = None
) -> list[str]:
    """The compiler invocation building the driver plus the kernel into :data:`BINARY`.

    ``driver`` is the driver's source, or its object file (:data:`DRIVER_OBJECT`) compiled earlier
    by :func:`driver_object_command` with the same flavour, which is then only linked.
    ``precompiled`` are the flags of a precompiled header built with :func:`compiler_flags` of the
    same flavour (see :mod:`verifiers.precompiled`).
    """
    flags = [*compiler_flags(flavour), *(precompiled or []), *SIGNATURE_INCLUDE]
    return [*flags, *LINK_FLAGS, driver, KERNEL_SOURCE, "-o", BINARY]


def driver_object_command(flavour: Flavour = Flavour.release) -> list[str]:
    """The compiler invocation building the driver alone into :data:`DRIVER_OBJECT`."""
    return [*compiler_flags(flavour), *SIGNATURE_INCLUDE, "-c", DRIVER_SOURCE, "-o", DRIVER_OBJECT]


def compiler_flags(flavour: Flavour = Flavour.release, *, pic: bool = False) -> list[str]:
    """The compiler and the language, optimisation and sanitizer flags of a ``flavour`` build.

    ``pic`` adds ``-fPIC``, for kernels built into shared libraries. A precompiled header used by a
    build must be built with exactly these flags.
    """
    return [CXX, "-std=c++17", "-fopenmp", *_FLAGS[flavour], *(["-fPIC"] if pic else [])]
