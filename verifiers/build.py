"""Building a kernel source with the task's generated driver, inside a sandbox.

The driver is the same for every kernel of a signature, so its object file is compiled once per
signature, flavour and sandbox backend (and kept in memory by :mod:`verifiers.build_cache`); each
build then only compiles the kernel and links. Should the driver alone fail to build, the build
compiles both sources in one go, so that its log says what went wrong.

The kernel is compiled with the precompiled header of its leading standard includes
(:mod:`verifiers.precompiled`). Should that build fail, it is built again without one, and that
build's outcome and log count: a precompiled header never changes a build's verdict or its messages.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sandbox import Job, JobResult, Limits, Sandbox
from tasks.harness import DRIVER_SOURCE, SIGNATURE_HEADER, driver_source, signature_header
from tasks.model import KernelTask, Signature
from verifiers.build_cache import BuildCache
from verifiers.precompiled import precompiled_headers
from verifiers.toolchain import (
    BINARY,
    DRIVER_OBJECT,
    KERNEL_SOURCE,
    Flavour,
    compile_command,
    compiler_flags,
    driver_object_command,
)

log = logging.getLogger(__name__)

_DRIVER_OBJECTS: BuildCache[bytes] = BuildCache(64)


@dataclass(frozen=True)
class Build:
    """The outcome of one build: the program, or the compiler's complaint."""

    result: JobResult
    binary: bytes | None

    @property
    def ok(self) -> bool:
        return self.binary is not None

    @property
    def log(self) -> str:
        return (self.result.stderr or self.result.stdout or self.result.message).strip()


@dataclass(frozen=True)
class BuildRecipe:
    """What building a kernel with its driver takes: the job's files, its limits and the commands to try."""

    files: dict[str, bytes]
    limits: Limits
    commands: list[list[str]]
    """With the precompiled header first, when the source has one, then without: the first that succeeds
    counts, else the last (so a precompiled header never changes a build's verdict or its messages)."""


def build_recipe(task: KernelTask, source: str, sandbox: Sandbox, flavour: Flavour = Flavour.release) -> BuildRecipe:
    """How to compile ``source`` (defining the task's function) with the task's driver into :data:`BINARY`.

    The driver object and the precompiled header are built (or taken from their caches) on the way.
    """
    limits = Limits(wall_s=task.limits.compile_s, memory_mb=4096, pids=64)
    files: dict[str, bytes] = {
        SIGNATURE_HEADER: signature_header(task.signature).encode(),
        KERNEL_SOURCE: source.encode(),
    }
    driver = driver_object(task.signature, sandbox, flavour, limits)
    if driver is not None:
        files[DRIVER_OBJECT] = driver
    else:
        files[DRIVER_SOURCE] = driver_source(task.signature).encode()
    driver_path = DRIVER_OBJECT if driver is not None else DRIVER_SOURCE
    commands = [compile_command(flavour, driver=driver_path)]
    pch = precompiled_headers(source, compiler_flags(flavour), sandbox, limits)
    if pch is not None:
        files[pch.path] = pch.content
        commands.insert(0, compile_command(flavour, driver=driver_path, precompiled=pch.flags()))
    return BuildRecipe(files=files, limits=limits, commands=commands)


def build_kernel(task: KernelTask, source: str, sandbox: Sandbox, flavour: Flavour = Flavour.release) -> Build:
    """Compile ``source`` (defining the task's function) with the task's driver, in a job of its own."""
    recipe = build_recipe(task, source, sandbox, flavour)
    for attempt, command in enumerate(recipe.commands):
        result = sandbox.run(Job(command=command, files=recipe.files, limits=recipe.limits, collect=[BINARY]))
        build = Build(result=result, binary=result.files.get(BINARY) if result.succeeded else None)
        if build.ok:
            if attempt:
                log.warning("%s: a kernel builds without its precompiled header but not with it", task.name)
            return build
    return build


def driver_object(signature: Signature, sandbox: Sandbox, flavour: Flavour, limits: Limits) -> bytes | None:
    """The driver of ``signature`` compiled alone as ``flavour`` in ``sandbox`` (None if that fails)."""
    header, driver = signature_header(signature), driver_source(signature)
    key = hashlib.sha256(f"{header}\0{driver}\0{flavour.value}\0{sandbox.name}".encode()).hexdigest()

    def build() -> bytes | None:
        job = Job(
            command=driver_object_command(flavour),
            files={SIGNATURE_HEADER: header.encode(), DRIVER_SOURCE: driver.encode()},
            limits=limits,
            collect=[DRIVER_OBJECT],
        )
        result = sandbox.run(job)
        return result.files.get(DRIVER_OBJECT) if result.succeeded else None

    return _DRIVER_OBJECTS.get_or_build(key, build, remember_failures=False)
