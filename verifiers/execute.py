"""Running a built driver on one problem instance and reading back its outputs and timings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sandbox import Job, JobResult, Limits, Sandbox
from tasks.harness import TIMES_FILE
from tasks.instance import Instance
from tasks.model import Role
from verifiers.capacity import workdir_mb
from verifiers.toolchain import BINARY

IN_DIR, OUT_DIR = "in", "out"


@dataclass(frozen=True)
class Execution:
    """What one driver run gave."""

    result: JobResult
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    times_ns: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.succeeded and bool(self.times_ns)

    def describe_failure(self) -> str:
        """A short account of why the run failed."""
        return self.result.describe_failure() or "the driver wrote no timings"


def instance_files(instance: Instance) -> dict[str, bytes]:
    """The driver's input files for ``instance`` (outputs start poisoned)."""
    files = {}
    for param in instance.task.signature.params:
        files[f"{IN_DIR}/{param.name}.bin"] = np.ascontiguousarray(instance.initial(param)).tobytes()
    return files


def run_instance(
    sandbox: Sandbox,
    binary: bytes,
    instance: Instance,
    *,
    warmup: int = 0,
    repeats: int = 1,
    wall_s: float,
    threads: int | None = None,
    env: dict[str, str] | None = None,
    memory_mb: int = 8192,
) -> Execution:
    """Run ``binary`` (a driver built for the instance's task) once over ``instance``."""
    job_env = dict(env or {})
    if threads is not None:
        job_env["OMP_NUM_THREADS"] = str(threads)
    files = {BINARY: binary, **instance_files(instance)}
    data = sum(len(content) for content in files.values())
    job = Job(
        command=["sh", "-c", f"mkdir -p {OUT_DIR} && exec ./{BINARY} {IN_DIR} {OUT_DIR} {warmup} {repeats}"],
        files=files,
        executable=[BINARY],
        env=job_env,
        limits=Limits(wall_s=wall_s, memory_mb=memory_mb, file_size_mb=workdir_mb(data)),
        collect=[OUT_DIR],
    )
    result = sandbox.run(job)
    if not result.succeeded:
        return Execution(result)
    outputs = {}
    for param in instance.task.signature.params:
        if param.role in (Role.output, Role.inout):
            raw = result.files.get(f"{OUT_DIR}/{param.name}.bin", b"")
            outputs[param.name] = np.frombuffer(raw, dtype=param.dtype.numpy).copy()
    times = result.files.get(f"{OUT_DIR}/{TIMES_FILE}", b"").decode().split()
    return Execution(result, outputs, [int(t) for t in times])
