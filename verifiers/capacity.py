"""Sizing the sandbox jobs of a verification, on disk and in memory, before any of them runs.

``agent tasks check`` refuses a task whose largest job does not fit the sandbox, and the stages ask
whether a job killed for memory was too big for its limit before they blame the candidate
(:mod:`verifiers.capacity_fault`). Each job is sized from the bytes of the instances it carries
(:class:`Footprint`), laid out as the job lays them out:

* ``correctness``: every test size with every visible and hidden seed, in one job; every run (each
  thread count, and the reference where the task has no NumPy oracle) writes its results, and the
  driver keeps a pristine copy of the inputs next to the arguments.
* ``race``, ``memory``: the sanitizer builds on the test sizes, first seed, one run each; a
  sanitizer multiplies a process's memory (:data:`SANITIZER_MEMORY`). The race stage runs at most
  two of the test sizes; the estimate counts them all.
* ``timing``: the timed instance's files, the reference, candidate and best kernels, each kernel's
  results sampled; in memory every kernel has its own copy of every array and the outputs keep one
  more (:mod:`tasks.timing_harness`).
* ``probe``, ``probe-untimed``: the anti-cheat probe jobs, the instances of the probe plans (A, A2,
  B, C, D, R and the near-duplicates P_j, :mod:`verifiers.anticheat.plan`) at the probe size, each
  loaded whole by every probe process next to its buffer sets, and every saved call's results.
* ``fresh-call``: the candidate called once on the timed instance, its results saved whole.

The work dir holds the job's files and everything the job writes; a job asks for one sized by the
files it carries (:func:`workdir_mb`, at least the sandbox's default,
:attr:`sandbox.Limits.file_size_mb`). In memory a job needs its processes' arrays plus the work dir
itself, since the docker backend's work dir is a tmpfs that counts against the job's memory limit;
no job gets more memory than the machine has.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sandbox import Limits
from tasks.instance import Instance, make_instance
from tasks.model import KernelTask, Param, Role
from tasks.shapes import ShapeError
from tasks.timing_harness import SAMPLE_LIMIT
from verifiers.anticheat.plan import CHECK_PLAN, Call, probe_size, repeat_plan
from verifiers.toolchain import Flavour

if TYPE_CHECKING:
    from verifiers.batch import Run
    from verifiers.context import VerifyConfig

KiB, MiB, GiB = 2**10, 2**20, 2**30
PROGRAM_BYTES = 8 * MiB
"""Drivers, kernel libraries, plans and logs carried into or written by one job."""
RUNTIME_BYTES = 64 * MiB
"""One driver process besides its arrays: the C++ and OpenMP runtimes, thread stacks."""
SANITIZER_MEMORY = {Flavour.release: 1, Flavour.asan: 4, Flavour.tsan: 8}
"""How many times its arrays a process needs under each build (shadow memory, redzones, quarantine)."""
TIMED_KERNELS = 3
"""Kernels of the largest timing job: the reference, the candidate and the current best."""
BATCH_MEMORY_MB = 4096
"""A batch job's memory limit (:func:`verifiers.batch.run_batch`) unless its caller gives one."""


def timing_memory_mb(data_bytes: int, kernels: int) -> int:
    """The timing job's memory limit for ``data_bytes`` of files: a copy per kernel, the originals, the work dir."""
    return 1024 + data_bytes // MiB * (kernels + 2)


def workdir_mb(data_bytes: int) -> int:
    """The work dir a job carrying ``data_bytes`` of files asks for: the files twice (their archive and the
    files) and results no larger than them, and at least the sandbox's default."""
    return max(Limits().file_size_mb, 3 * (data_bytes // MiB) + 64)


def probe_memory_mb(data_bytes: int) -> int:
    """A probe job's memory limit for ``data_bytes`` of files: the work dir, the loaded instances, the buffer sets."""
    return 1024 + 4 * (data_bytes // MiB)


@dataclass(frozen=True)
class Footprint:
    """The bytes of one instance as the drivers read and write them."""

    inputs: int
    """Input arrays and scalars: what no kernel may change."""
    results: int
    """Output and inout arrays."""
    sampled: int
    """The results as the timing driver writes them (each at most ``SAMPLE_LIMIT`` elements)."""
    largest: int
    """The largest single array."""

    @property
    def files(self) -> int:
        """The instance's driver files: every parameter, outputs with their poisoned start."""
        return self.inputs + self.results


def _footprint(task: KernelTask, counts: Mapping[str, int]) -> Footprint:
    """The footprint of ``task``'s parameters with ``counts`` elements per array (scalars hold one)."""
    inputs = results = sampled = largest = 0
    for param in task.signature.params:
        itemsize = np.dtype(param.dtype.numpy).itemsize
        count = counts[param.name] if param.is_array else 1
        if param.role in (Role.output, Role.inout):
            results += count * itemsize
            sampled += min(count, SAMPLE_LIMIT) * itemsize
        else:
            inputs += count * itemsize
        largest = max(largest, count * itemsize)
    return Footprint(inputs=inputs, results=results, sampled=sampled, largest=largest)


def instance_footprint(instance: Instance) -> Footprint:
    """The footprint of a generated instance."""
    counts = {p.name: _length(instance, p) for p in instance.task.signature.params if p.is_array}
    return _footprint(instance.task, counts)


def _length(instance: Instance, param: Param) -> int:
    if param.name in instance.output_lengths:
        return instance.output_lengths[param.name]
    return int(np.asarray(instance.args[param.name]).size)


def size_footprint(task: KernelTask, size: Mapping[str, int]) -> Footprint:
    """The footprint of ``task`` at ``size``: from the shapes when the size's symbols give them all, else
    from an instance generated at that size (a generator defines a symbol, such as a graph's edge count)."""
    try:
        counts = {p.name: p.shape.evaluate(size) for p in task.signature.params if p.shape is not None}
    except ShapeError:
        return instance_footprint(make_instance(task, dict(size), 0))
    return _footprint(task, counts)


@dataclass(frozen=True)
class SandboxLimits:
    """What a sandbox gives one job at most."""

    workdir: int
    """Bytes of the work dir a job gets unless it asks for more."""
    memory: int
    """Bytes of memory any job can have: the machine's, whatever a job's limit says."""

    @classmethod
    def here(cls) -> SandboxLimits:
        """The default work dir of a job, and this machine's physical memory."""
        return cls(workdir=Limits().file_size_mb * MiB, memory=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def size_text(count: int) -> str:
    """``1.9 GiB``, ``412 MiB``, ``3.5 KiB``: the largest binary unit below ``count``, about three digits."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if count >= unit:
            value = count / unit
            return f"{round(value, 2 if value < 10 else 1 if value < 100 else 0):g} {name}"
    return f"{count} B"


@dataclass(frozen=True)
class Need:
    """How much of one resource a job needs, of what, and how much it has."""

    parts: tuple[tuple[str, int], ...]
    """What the bytes are: a description and its bytes."""
    limit: int
    """Bytes the job has."""
    holder: str
    """Who sets the limit, as in "the sandbox's work dir holds" or "the machine has"."""

    @property
    def total(self) -> int:
        return sum(count for _, count in self.parts)

    @property
    def fits(self) -> bool:
        return self.total <= self.limit

    def describe(self) -> str:
        """``1.9 GiB (input files 1.2 GiB, 3 sampled results 6 MiB, ...)``: parts of 1 KiB or more."""
        parts = ", ".join(f"{what} {size_text(count)}" for what, count in self.parts if count >= KiB)
        return f"{size_text(self.total)} ({parts})"


@dataclass(frozen=True)
class JobEstimate:
    """One job's estimated needs on disk and in memory."""

    job: str
    """``correctness``, ``race``, ``memory``, ``timing``, ``probe``, ``probe-untimed`` or ``fresh-call``."""
    disk: Need
    memory: Need
    hint: str
    """What to change in the task when the job does not fit."""

    @property
    def fits(self) -> bool:
        return self.disk.fits and self.memory.fits

    def problems(self) -> list[str]:
        """One sentence per resource the job does not fit, with the numbers."""
        return [
            f"{self.job} job needs {need.describe()} {where}, {need.holder} {size_text(need.limit)}; {self.hint}"
            for need, where in ((self.disk, "in the work dir"), (self.memory, "of memory"))
            if not need.fits
        ]


def _workdir(parts: list[tuple[str, int]], carried: int, limits: SandboxLimits) -> Need:
    """The work dir of a job carrying ``carried`` bytes of files, holding ``parts``."""
    asked = max(limits.workdir, workdir_mb(carried) * MiB)
    return Need(tuple(parts), asked, "the job's work dir holds")


def _memory(parts: list[tuple[str, int]], job_limit_mb: int, limits: SandboxLimits) -> Need:
    job_limit = job_limit_mb * MiB
    if job_limit <= limits.memory:
        return Need(tuple(parts), job_limit, "its memory limit is")
    return Need(tuple(parts), limits.memory, "the machine has")


def _copies(count: int, what: str) -> str:
    return what if count == 1 else f"{count} {what}"


def batch_job(
    job: str,
    instances: Sequence[Footprint],
    runs: Sequence[Footprint],
    flavour: Flavour,
    limits: SandboxLimits,
    hint: str = "lower sizes.test",
) -> JobEstimate:
    """A batch job (:mod:`verifiers.batch`): ``instances`` carried once each, one entry of ``runs`` per run (the
    instance it runs on), one run at a time."""
    files = sum(fp.files for fp in instances)
    disk = _workdir(
        [
            (_copies(len(instances), "instance files"), files),
            (_copies(len(runs), "runs' results"), sum(fp.results for fp in runs)),
            ("programs", PROGRAM_BYTES),
        ],
        files,
        limits,
    )
    process = max((fp.files + fp.inputs for fp in runs), default=0) * SANITIZER_MEMORY[flavour]
    build = "" if flavour is Flavour.release else f" under {flavour.value}"
    memory = _memory(
        [("work dir", disk.total), (f"largest run{build}", process), ("runtime", RUNTIME_BYTES)],
        BATCH_MEMORY_MB,
        limits,
    )
    return JobEstimate(job, disk, memory, hint)


def batch_of(
    job: str, instances: Mapping[str, Instance], runs: Sequence[Run], flavour: Flavour, limits: SandboxLimits
) -> JobEstimate:
    """The batch job running ``runs`` over ``instances`` (by key), as a stage makes it."""
    footprints = {key: instance_footprint(instance) for key, instance in instances.items()}
    return batch_job(job, list(footprints.values()), [footprints[run.instance] for run in runs], flavour, limits)


def timing_job(
    footprint: Footprint, kernels: int, limits: SandboxLimits, hint: str = "lower sizes.bench[0]"
) -> JobEstimate:
    """The interleaved timing job of ``kernels`` kernels on an instance of ``footprint``."""
    disk = _workdir(
        [
            ("input files", footprint.files),
            (f"{kernels} kernels' sampled results", kernels * footprint.sampled),
            ("programs", PROGRAM_BYTES),
        ],
        footprint.files,
        limits,
    )
    memory = _memory(
        [
            ("work dir", disk.total),
            (f"{kernels} copies of the inputs", kernels * footprint.inputs),
            (f"{kernels + 1} copies of the results", (kernels + 1) * footprint.results),
            ("one array in transit", footprint.largest),
            ("runtime", RUNTIME_BYTES),
        ],
        timing_memory_mb(footprint.files, kernels),
        limits,
    )
    return JobEstimate("timing", disk, memory, hint)


@dataclass(frozen=True)
class _ProbeRun:
    """One probe process: the instances it loads, its buffer sets, the results it saves."""

    instances: frozenset[str]
    slots: int
    saves: int

    @classmethod
    def of(cls, calls: list[Call]) -> _ProbeRun:
        return cls(frozenset(c.instance for c in calls), max(c.slot for c in calls) + 1, sum(c.save for c in calls))

    def memory(self, footprint: Footprint) -> int:
        return (len(self.instances) + self.slots) * footprint.files + RUNTIME_BYTES


def probe_jobs(
    footprint: Footprint, cycles: int, limits: SandboxLimits, hint: str = "lower the last sizes.test"
) -> list[JobEstimate]:
    """The two probe jobs (:mod:`verifiers.anticheat.probe`) on instances of ``footprint``: the untimed one (the
    reference, with the paused run in the background of the perturbed one) and the timed one."""
    check, repeats = CHECK_PLAN, repeat_plan(cycles)
    saved = sorted({call.instance for call in check + repeats if call.save})
    ref = _ProbeRun.of([Call(name, 0, True, name) for name in saved])
    fast, checked = _ProbeRun.of(check + repeats), _ProbeRun.of(check)
    paused = checked.memory(footprint)
    jobs = {
        "probe-untimed": ([ref, checked, checked], paused + max(ref.memory(footprint), paused)),
        "probe": ([fast], fast.memory(footprint)),
    }
    estimates = []
    for job, (runs, processes) in jobs.items():
        carried = len(frozenset().union(*(run.instances for run in runs)))
        saves = sum(run.saves for run in runs)
        disk = _workdir(
            [
                (f"{carried} instances' files", carried * footprint.files),
                (f"{saves} saved calls' results", saves * footprint.results),
                ("programs", PROGRAM_BYTES),
            ],
            carried * footprint.files,
            limits,
        )
        memory = _memory(
            [("work dir", disk.total), ("loaded instances and buffer sets", processes)],
            probe_memory_mb(carried * footprint.files),
            limits,
        )
        estimates.append(JobEstimate(job, disk, memory, hint))
    return estimates


def fresh_call_job(footprint: Footprint, limits: SandboxLimits, hint: str = "lower sizes.bench[0]") -> JobEstimate:
    """The candidate called once in a fresh probe process on the timed instance, its results saved whole."""
    disk = _workdir(
        [("input files", footprint.files), ("results", footprint.results), ("programs", PROGRAM_BYTES)],
        footprint.files,
        limits,
    )
    memory = _memory(
        [("work dir", disk.total), ("loaded instance and buffer set", 2 * footprint.files), ("runtime", RUNTIME_BYTES)],
        probe_memory_mb(footprint.files),
        limits,
    )
    return JobEstimate("fresh-call", disk, memory, hint)


def estimate_jobs(
    task: KernelTask,
    config: VerifyConfig,
    limits: SandboxLimits,
    *,
    probe_cycles: int,
    footprint: Callable[[KernelTask, Mapping[str, int]], Footprint] = size_footprint,
) -> list[JobEstimate]:
    """Every data-carrying job a verification of ``task`` under ``config`` runs, at its largest (the current
    best timed alongside), in cascade order.

    Args:
        task: The task.
        config: The verification settings (seeds, thread counts, timing and probe sizes).
        limits: What the sandbox gives a job.
        probe_cycles: Repeat/fresh cycles of the anti-cheat repeat plan.
        footprint: The footprint of the task at a size (the default computes it from the shapes).
    """
    tests = [footprint(task, size) for size in task.sizes.test]
    seeds = len(config.seeds) + config.hidden_seeds
    runs = len(config.thread_counts) + (task.reference.numpy is None)
    correctness = batch_job(
        "correctness",
        [fp for fp in tests for _ in range(seeds)],
        [fp for fp in tests for _ in range(seeds * runs)],
        Flavour.release,
        limits,
        "lower sizes.test, or use fewer seeds",
    )
    sanitized = [
        batch_job(stage, tests, tests, flavour, limits)
        for stage, flavour in (("race", Flavour.tsan), ("memory", Flavour.asan))
    ]
    timed = footprint(task, config.timing.timed_size(task))
    bench_hint = "lower timing.size" if config.timing.size else "lower sizes.bench[0]"
    probe_hint = "lower anticheat.probe_size" if config.anticheat.probe_size else "lower the last sizes.test"
    probes = probe_jobs(
        footprint(task, probe_size(task, config.anticheat.probe_size)), probe_cycles, limits, probe_hint
    )
    return [
        correctness,
        *sanitized,
        timing_job(timed, TIMED_KERNELS, limits, bench_hint),
        *probes,
        fresh_call_job(timed, limits, bench_hint),
    ]
