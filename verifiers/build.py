"""Building a kernel source with the task's generated driver, inside a sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import Job, JobResult, Limits, Sandbox
from tasks.harness import DRIVER_SOURCE, SIGNATURE_HEADER, driver_source, signature_header
from tasks.model import KernelTask
from verifiers.toolchain import BINARY, KERNEL_SOURCE, Flavour, compile_command


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


def build_kernel(task: KernelTask, source: str, sandbox: Sandbox, flavour: Flavour = Flavour.release) -> Build:
    """Compile ``source`` (defining the task's function) with the task's driver."""
    job = Job(
        command=compile_command(flavour),
        files={
            SIGNATURE_HEADER: signature_header(task.signature).encode(),
            DRIVER_SOURCE: driver_source(task.signature).encode(),
            KERNEL_SOURCE: source.encode(),
        },
        limits=Limits(wall_s=task.limits.compile_s, memory_mb=4096, pids=64),
        collect=[BINARY],
    )
    result = sandbox.run(job)
    binary = result.files.get(BINARY) if result.succeeded else None
    return Build(result=result, binary=binary)
