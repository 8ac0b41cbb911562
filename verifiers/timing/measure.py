"""One interleaved timing run of the reference, the candidate and the current best, in one sandbox job.

The timed instance is generated at the task's first bench size (its screen size with
``TimingSettings.screen``, or ``TimingSettings.size``) with a seed that no prompt ever showed: drawn
once per process unless ``TimingSettings.seed`` fixes it.
Where its inputs are drawn freely, a second version with :data:`ALTERNATE_CHANGES` elements of each
such input redrawn alternates with it from one iteration to the next (see ``tasks.timing_harness``):
the same work, but no result can be reused from the previous call.
The kernel bundle and the measurement are kept in ``StageContext.artifacts``, so that the timing
and anti-cheat stages share one build and one run.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field

import numpy as np

from sandbox import Job, JobResult, Limits, Sandbox
from tasks.dlopen_driver import kernel_shared_object
from tasks.instance import Instance, derive_seed, make_instance
from tasks.model import KernelTask, Role
from tasks.perturb import differences, perturbed
from tasks.timing_harness import CALLS_FILE, INPUTS_FILE, STOP_FILE, VERSION_FILE, result_dir, timing_command
from verifiers.capacity import timing_memory_mb, workdir_mb
from verifiers.context import StageContext
from verifiers.execute import IN_DIR, OUT_DIR, instance_files
from verifiers.machine_lock import MACHINE
from verifiers.timing.bundle import CANDIDATE, TIMING_BINARY, Bundle, build_bundle
from verifiers.timing.settings import TimingSettings

BUNDLE_KEY = "timing.bundle"
MEASUREMENT_KEY = "timing.measurement"
ALTERNATE_CHANGES = 4
"""Elements changed in each freely drawn input of the timed instance's second version."""

_PROCESS_SEED = secrets.randbits(62)
_instances: dict[tuple, tuple[Instance, Instance | None]] = {}
_instances_lock = threading.Lock()
"""Candidates verified at once share one generation of the (large) timed instance."""


@dataclass(frozen=True)
class Measurement:
    """The samples of one timing run."""

    instance: Instance
    threads: int
    result: JobResult
    final_instance: Instance | None = None
    """The input version of the last iteration, whose results :attr:`results` holds."""
    times_ns: dict[int, np.ndarray] = field(default_factory=dict)
    """Per kernel, its call times in iteration order."""
    order: list[tuple[int, int]] = field(default_factory=list)
    """``(iteration, kernel)`` of every timed call, in call order."""
    results: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    """Per kernel, the results of its last call (sampled when long; see ``tasks.timing_harness``)."""
    stop: str = ""
    """Why sampling stopped: ``precision``, ``budget`` or ``max-samples``."""
    changed_inputs: dict[int, list[str]] = field(default_factory=dict)
    """Per kernel, the inputs it changed (each kernel has its own copies)."""
    sample_seed: int = 0
    """Seed of the result sampling (see ``tasks.timing_harness.sample_positions``)."""

    @property
    def ok(self) -> bool:
        return self.result.succeeded and bool(self.times_ns)

    def describe_failure(self) -> str:
        """A short account of why the run failed."""
        return self.result.describe_failure() or "the timing driver wrote no timings"


def timing_threads(ctx: StageContext) -> int:
    """Threads the candidate is timed with: the configured count, else the cores available."""
    return ctx.config.timing_threads or os.cpu_count() or 1


def timing_instance(task: KernelTask, settings: TimingSettings) -> Instance:
    """The timed instance (generated once per task, size and seed: bench inputs are large)."""
    return timing_versions(task, settings)[0]


def timing_versions(task: KernelTask, settings: TimingSettings) -> tuple[Instance, Instance | None]:
    """The timed instance and its second version (a few elements changed), when its inputs allow one."""
    size = settings.timed_size(task)
    seed = _PROCESS_SEED if settings.seed is None else settings.seed
    key = (task.name, task.version, tuple(sorted(size.items())), seed)
    with _instances_lock:
        if key not in _instances:
            _instances.clear()
            instance = make_instance(task, size, seed)
            rng = np.random.default_rng(derive_seed("alternate", seed))
            _instances[key] = (instance, perturbed(instance, rng, lambda length: ALTERNATE_CHANGES))
        return _instances[key]


def version_files(first: Instance, second: Instance | None) -> dict[str, bytes]:
    """The timing driver's description of ``second`` as the input elements where it differs from ``first``."""
    if second is None:
        return {}
    files = {}
    inputs = {p.name: p for p in first.task.signature.params if p.role is Role.input and p.is_array}
    for name, positions in differences(first, second).items():
        if name in inputs:
            values = np.asarray(second.args[name], dtype=inputs[name].dtype.numpy)[positions]
            files[f"{IN_DIR}/{name}.alt_index.bin"] = positions.astype(np.int64).tobytes()
            files[f"{IN_DIR}/{name}.alt_value.bin"] = values.tobytes()
    return files


def context_bundle(ctx: StageContext) -> Bundle:
    """The reference (kernel 0), the candidate (1) and the best (2, when given), built once per context."""
    if BUNDLE_KEY not in ctx.artifacts:
        sources = [ctx.task.reference.cpp, ctx.candidate.source]
        if ctx.best is not None:
            sources.append(ctx.best.source)
        ctx.artifacts[BUNDLE_KEY] = build_bundle(ctx.task, sources, ctx.sandbox, inspect=CANDIDATE)
    return ctx.artifacts[BUNDLE_KEY]


def timed_kernels(ctx: StageContext) -> int:
    """Kernels in the context's timing run: the reference, the candidate, and the best when there is one."""
    return 3 if ctx.best is not None else 2


def context_measurement(ctx: StageContext) -> Measurement:
    """The timing run of the context's kernels, made once per context (the bundle must have built)."""
    if MEASUREMENT_KEY not in ctx.artifacts:
        bundle = context_bundle(ctx)
        settings = ctx.config.timing
        ctx.artifacts[MEASUREMENT_KEY] = run_timing(
            ctx.sandbox,
            bundle,
            *timing_versions(ctx.task, settings),
            kernels=timed_kernels(ctx),
            settings=settings,
            threads=timing_threads(ctx),
            confidence=ctx.config.confidence,
        )
    return ctx.artifacts[MEASUREMENT_KEY]


def run_timing(
    sandbox: Sandbox,
    bundle: Bundle,
    instance: Instance,
    alternate: Instance | None = None,
    *,
    kernels: int,
    settings: TimingSettings,
    threads: int,
    confidence: float = 0.95,
) -> Measurement:
    """Time kernels ``0 .. kernels-1`` of ``bundle`` interleaved on ``instance`` (alternating with
    ``alternate`` when given), in one job."""
    task = instance.task
    sample_seed = secrets.randbits(31)
    libraries = bundle.libraries(kernels)
    command = timing_command(
        OUT_DIR,
        IN_DIR,
        libraries,
        warmup=settings.warmup,
        min_samples=settings.sample_floor(task),
        max_samples=max(settings.max_samples, settings.sample_floor(task)),
        budget_s=settings.budget_s,
        target=settings.precision(task),
        confidence=confidence,
        seed=sample_seed,
        binary=f"./{TIMING_BINARY}",
    )
    files = {
        TIMING_BINARY: bundle.files[TIMING_BINARY],
        **instance_files(instance),
        **version_files(instance, alternate),
    }
    files.update({kernel_shared_object(k): bundle.files[kernel_shared_object(k)] for k in range(kernels)})
    data = sum(len(content) for content in files.values())
    job = Job(
        command=["sh", "-c", f"mkdir -p {OUT_DIR} && exec {' '.join(command)}"],
        files=files,
        executable=[TIMING_BINARY],
        env={"OMP_NUM_THREADS": str(threads)},
        limits=Limits(
            wall_s=task.limits.bench_s, memory_mb=timing_memory_mb(data, kernels), file_size_mb=workdir_mb(data)
        ),
        collect=[OUT_DIR],
        while_running=MACHINE.exclusive,
    )
    result = sandbox.run(job)
    if not result.succeeded:
        return Measurement(instance, threads, result, instance)
    order, samples = _read_calls(result.files.get(f"{OUT_DIR}/{CALLS_FILE}", b""), kernels)
    results = {}
    for k in range(kernels):
        results[k] = {
            param.name: np.frombuffer(
                result.files.get(f"{OUT_DIR}/{result_dir(k)}/{param.name}.bin", b""), dtype=param.dtype.numpy
            ).copy()
            for param in task.signature.results
        }
    changed: dict[int, list[str]] = {}
    for line in result.files.get(f"{OUT_DIR}/{INPUTS_FILE}", b"").decode().splitlines():
        kernel, name = line.split()
        changed.setdefault(int(kernel), []).append(name)
    final = alternate if alternate is not None and _text(result, VERSION_FILE) == "1" else instance
    return Measurement(
        instance, threads, result, final, samples, order, results, _text(result, STOP_FILE), changed, sample_seed
    )


def _text(result: JobResult, name: str) -> str:
    return result.files.get(f"{OUT_DIR}/{name}", b"").decode().strip()


def _read_calls(raw: bytes, kernels: int) -> tuple[list[tuple[int, int]], dict[int, np.ndarray]]:
    order, times = [], {k: [] for k in range(kernels)}
    for line in raw.decode().splitlines():
        iteration, kernel, ns = (int(field) for field in line.split())
        order.append((iteration, kernel))
        times[kernel].append(ns)
    if len({len(series) for series in times.values()}) != 1:
        return order, {}
    return order, {k: np.array(series, dtype=np.int64) for k, series in times.items()}
