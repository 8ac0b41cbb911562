"""Running the probe driver: the reference and the candidate over the probe plans, in sandbox jobs.

Four fresh processes:

* ``ref``: the reference on every saved instance, giving the expected results;
* ``slow``: the candidate over the check plan with a pause before every call;
* ``env``: the candidate over the check plan in a perturbed environment: ``OMP_NUM_THREADS``
  unset, another ``HOME``, an unknown variable set, the driver renamed and run from another dir;
  then over the output plan, whose output buffers the reference prefills (it is loaded too);
* ``fast``: the candidate over the check plan then the repeat plan, back to back.

Only ``fast`` is timed (calls on repeated inputs against calls on fresh ones), so it runs in a job
of its own that has the machine to itself while it runs (:data:`verifiers.machine_lock.MACHINE`).
The :data:`UNTIMED_RUNS` share one job alongside other work, ``slow`` in the background of the
other two, so that its pauses cost no time.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sandbox import Job, JobResult, Limits, Sandbox
from sandbox.exit_status import death_signal
from tasks.dlopen_driver import kernel_shared_object, kernel_symbol
from tasks.instance import Instance
from tasks.probe_harness import PROBE_CALLS
from tasks.timing_harness import sample_positions
from verifiers.anticheat.plan import CHECK_PLAN, OUTPUT_PLAN, Call, plan_text, repeat_plan
from verifiers.capacity import probe_memory_mb, workdir_mb
from verifiers.capacity_fault import CapacityShortfall, shortfall
from verifiers.machine_lock import MACHINE
from verifiers.timing.bundle import CANDIDATE, PROBE_BINARY, REFERENCE, Bundle

CANDIDATE_RUNS = ("fast", "slow", "env")
UNTIMED_RUNS = ("ref", "slow", "env")
TIMED_RUNS = ("fast",)
REFERENCE_RUNS = ("ref", "env")
"""The runs that load the reference: its own, and the one whose plan prefills outputs with its results."""


class ProbeFailure(RuntimeError):
    """The probe job itself failed (not the candidate): the verifier cannot decide."""


@dataclass(frozen=True)
class ProbeRun:
    """What one probe process did."""

    name: str
    exit_code: int
    log: str
    times_ns: dict[str, int] = field(default_factory=dict)
    """Per call tag, the call's time."""
    statuses: dict[str, str] = field(default_factory=dict)
    """Per call tag: ``ok``, ``guard:NAME`` or ``input:NAME``."""
    results: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    """Per saved call tag, its results."""


def _instance_files(root: str, name: str, instance: Instance) -> dict[str, bytes]:
    return {
        f"{root}/{name}/{param.name}.bin": np.ascontiguousarray(instance.initial(param)).tobytes()
        for param in instance.task.signature.params
    }


def _plans(cycles: int, delay_ms: int) -> dict[str, str]:
    """Each run's plan file."""
    check, repeats = CHECK_PLAN, repeat_plan(cycles)
    saved = sorted({call.instance for call in [*check, *OUTPUT_PLAN, *repeats] if isinstance(call, Call) and call.save})
    return {
        "ref": plan_text([Call(name, 0, True, name) for name in saved]),
        "fast": plan_text(check + repeats),
        "slow": plan_text(check, delay_ms=delay_ms),
        "env": plan_text(check + OUTPUT_PLAN),
    }


def _script(names: Sequence[str], threads: int) -> str:
    """The job's shell script making the runs ``names``: ``slow`` first, in the background when there are others,
    and ``env`` last (it changes directory)."""
    probe, alias = f"./{PROBE_BINARY}", f"k{secrets.token_hex(4)}"
    lib = {k: kernel_shared_object(k) for k in (REFERENCE, CANDIDATE)}
    sym = {k: kernel_symbol(k) for k in (REFERENCE, CANDIDATE)}
    variable = f"X{secrets.token_hex(3).upper()}"
    commands = {
        "ref": [f"run ref {probe} ./{lib[REFERENCE]} {sym[REFERENCE]} in out/ref plan_ref.txt"],
        "fast": [f"run fast {probe} ./{lib[CANDIDATE]} {sym[CANDIDATE]} in out/fast plan_fast.txt"],
        "slow": [f"run slow {probe} ./{lib[CANDIDATE]} {sym[CANDIDATE]} in out/slow plan_slow.txt"],
        "env": [
            f"mkdir -p elsewhere/{alias} && cp {probe} elsewhere/{alias}/{alias} && cd elsewhere/{alias}",
            f'run env env -u OMP_NUM_THREADS HOME=/nonexistent/{alias} {variable}=1 ./{alias} "$W/{lib[CANDIDATE]}" '
            f'{sym[CANDIDATE]} "$W/in" "$W/out/env" "$W/plan_env.txt" "$W/{lib[REFERENCE]}" {sym[REFERENCE]}',
        ],
    }
    lines = [
        'W="$PWD"',
        'run() { n=$1; shift; mkdir -p "$W/out/$n"; "$@" > "$W/out/$n.log" 2>&1; echo $? > "$W/out/$n.rc"; }',
        f"export OMP_NUM_THREADS={threads}",
    ]
    if "slow" in names and len(names) > 1:
        commands["slow"][-1] += " &"
    for name in sorted(names, key=lambda name: (name != "slow", name == "env")):
        lines += commands[name]
    return "\n".join([*lines, "wait"])


def _used_instances(plan: str) -> set[str]:
    return {line.split()[1] for line in plan.splitlines() if line.startswith(("call ", "prefill "))}


def run_probes(
    sandbox: Sandbox,
    bundle: Bundle,
    instances: dict[str, Instance],
    names: Sequence[str],
    *,
    cycles: int,
    delay_ms: int,
    threads: int,
    wall_s: float,
) -> dict[str, ProbeRun]:
    """Make the probe runs ``names`` (of ``ref``, ``fast``, ``slow``, ``env``) in one job; the runs by name.

    Raises:
        CapacityShortfall: The sandbox had no room for the job.
        ProbeFailure: The job failed, or the reference failed under the probe driver.
    """
    plans = {name: text for name, text in _plans(cycles, delay_ms).items() if name in names}
    files: dict[str, bytes] = {PROBE_BINARY: bundle.files[PROBE_BINARY]}
    files.update({f"plan_{name}.txt": text.encode() for name, text in plans.items()})
    kernels = [REFERENCE] if set(names) & set(REFERENCE_RUNS) else []
    kernels += [CANDIDATE] if set(names) & set(CANDIDATE_RUNS) else []
    files.update({kernel_shared_object(k): bundle.files[kernel_shared_object(k)] for k in kernels})
    for name in set().union(*map(_used_instances, plans.values())):
        files.update(_instance_files("in", name, instances[name]))
    data = sum(len(content) for content in files.values())
    job = Job(
        command=["sh", "-c", _script(names, threads)],
        files=files,
        executable=[PROBE_BINARY],
        limits=Limits(wall_s=wall_s, memory_mb=probe_memory_mb(data), file_size_mb=workdir_mb(data)),
        collect=["out"],
        while_running=MACHINE.exclusive if set(names) & set(TIMED_RUNS) else None,
    )
    result = sandbox.run(job)
    task = next(iter(instances.values())).task
    runs = {name: _read_run(result, name, task) for name in names}
    failed = [run for run in runs.values() if run.exit_code != 0]
    if (failed or not result.succeeded) and (
        fault := shortfall(result, signals=[death_signal(r.exit_code) for r in failed], logs=[r.log for r in failed])
    ):
        raise CapacityShortfall(fault)
    if result.status.value not in ("ok", "output-capped"):
        raise ProbeFailure(f"probe job {result.status.value}: {result.message}")
    if "ref" in runs and runs["ref"].exit_code != 0:
        raise ProbeFailure(f"the reference failed under the probe driver: {runs['ref'].log[-2000:]}")
    return runs


def _read_run(result: JobResult, name: str, task) -> ProbeRun:
    files = result.files
    rc = files.get(f"out/{name}.rc", b"").strip()
    log = files.get(f"out/{name}.log", b"").decode(errors="replace")
    times, statuses = {}, {}
    for line in files.get(f"out/{name}/{PROBE_CALLS}", b"").decode(errors="replace").splitlines():
        tag, ns, status = line.split(maxsplit=2)
        times[tag], statuses[tag] = int(ns), status
    results: dict[str, dict[str, np.ndarray]] = {}
    for tag in times:
        outputs = {
            param.name: np.frombuffer(files[path], dtype=param.dtype.numpy).copy()
            for param in task.signature.results
            if (path := f"out/{name}/{tag}/{param.name}.bin") in files
        }
        if len(outputs) == len(task.signature.results):
            results[tag] = outputs
    return ProbeRun(name, int(rc) if rc.lstrip(b"-").isdigit() else -1, log, times, statuses, results)


def run_single(sandbox: Sandbox, bundle: Bundle, instance: Instance, *, threads: int, seed: int) -> ProbeRun:
    """The candidate called once, in a fresh process, on ``instance``; its results sampled as the timing driver does.

    ``seed`` is the timing run's sample seed, so that the results line up with the timing run's.

    Raises:
        CapacityShortfall: The sandbox had no room for the job.
    """
    files: dict[str, bytes] = {
        PROBE_BINARY: bundle.files[PROBE_BINARY],
        kernel_shared_object(CANDIDATE): bundle.files[kernel_shared_object(CANDIDATE)],
        "plan.txt": plan_text([Call("T", 0, True, "single")]).encode(),
        **_instance_files("in", "T", instance),
    }
    data = sum(len(content) for content in files.values())
    command = [
        f"./{PROBE_BINARY}",
        f"./{kernel_shared_object(CANDIDATE)}",
        kernel_symbol(CANDIDATE),
        "in",
        "out",
        "plan.txt",
    ]
    job = Job(
        command=["sh", "-c", f"mkdir -p out && exec {shlex.join(command)}"],
        files=files,
        executable=[PROBE_BINARY],
        env={"OMP_NUM_THREADS": str(threads)},
        limits=Limits(
            wall_s=instance.task.limits.bench_s, memory_mb=probe_memory_mb(data), file_size_mb=workdir_mb(data)
        ),
        collect=["out"],
    )
    result = sandbox.run(job)
    if not result.succeeded and (fault := shortfall(result)):
        raise CapacityShortfall(fault)
    task = instance.task
    results = {}
    for param in task.signature.results:
        raw = result.files.get(f"out/single/{param.name}.bin")
        if raw is None:
            return ProbeRun("single", result.exit_code if result.exit_code is not None else -1, result.stderr)
        values = np.frombuffer(raw, dtype=param.dtype.numpy)
        if task.comparison(param.name).mode.value == "unordered":
            values = np.sort(values)
        results[param.name] = values[sample_positions(len(values), seed)]
    return ProbeRun("single", result.exit_code or 0, result.stderr, results={"single": results})
