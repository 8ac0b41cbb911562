"""Stage 3, correctness: the release build gives the expected outputs on every test size, for the
visible seeds plus fresh hidden ones, at every configured thread count, leaving its inputs alone.

Expected outputs come from the task's NumPy oracle, or else from the task's reference build run
on the same instance in the same job. Hidden seeds are drawn from the OS's randomness for every
verification and never written anywhere: feedback says "hidden seed #k", never its value.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import numpy as np

from sandbox import JobStatus
from tasks.compare import compare_outputs
from tasks.instance import POISON_BYTE, Instance, InstanceError, make_instance
from tasks.model import KernelTask, Role
from tasks.oracle import OracleError, run_oracle
from verifiers.batch import Batch, Run, RunOutcome, RunStatus, run_batch
from verifiers.capacity import batch_of
from verifiers.capacity_fault import batch_shortfall, capacity_error
from verifiers.context import StageContext
from verifiers.execute import instance_files
from verifiers.feedback import plural, size_label
from verifiers.instances import visible_instance
from verifiers.reference_build import reference_build
from verifiers.toolchain import BINARY, Flavour
from verifiers.verdict import Stage, StageResult, StageStatus

REFERENCE = "reference"
"""File name of the reference program inside a job."""
STDERR_LINES = 12
"""Lines of the program's stderr quoted after a crash."""


@dataclass(frozen=True)
class Seed:
    """A seed and how feedback may name it."""

    value: int
    label: str
    hidden: bool = False

    def instance(self, task: KernelTask, size: dict[str, int]) -> Instance:
        """The instance of ``task`` for ``size`` with this seed (visible ones are generated once per process)."""
        return make_instance(task, size, self.value) if self.hidden else visible_instance(task, size, self.value)


def draw_seeds(visible: list[int], hidden: int) -> list[Seed]:
    """The visible seeds, then ``hidden`` fresh ones from the OS's randomness."""
    seeds = [Seed(value, f"seed {value}") for value in visible]
    return seeds + [Seed(secrets.randbits(63), f"hidden seed #{k}", hidden=True) for k in range(1, hidden + 1)]


@dataclass(frozen=True)
class Problem:
    """What is wrong with one run."""

    reason: str
    headline: str
    detail: str
    details: dict = field(default_factory=dict)


class StageFailure(Exception):
    """Ends the stage early with a result (a failure of the candidate, or of the verifier)."""

    def __init__(self, result: StageResult) -> None:
        super().__init__(result.reason)
        self.result = result


class CorrectnessStage:
    """Outputs against the oracle or reference, under several thread counts and seeds."""

    stage = Stage.correctness

    def __call__(self, ctx: StageContext) -> StageResult:
        log = ctx.log_path("correctness.log")
        lines: list[str] = []
        try:
            programs = self._programs(ctx)
            seeds = draw_seeds(ctx.config.seeds, ctx.config.hidden_seeds)
            self._check_sizes(ctx, programs, seeds, lines)
            result = StageResult(stage=self.stage, status=StageStatus.passed)
        except StageFailure as stop:
            result = stop.result
        log.write_text("\n".join([*lines, f"{result.status.value} {result.reason}", result.feedback]) + "\n")
        result.logs = str(log)
        return result

    def _programs(self, ctx: StageContext) -> dict[str, bytes]:
        build = ctx.build(Flavour.release)
        if build.binary is None:
            raise StageFailure(_error("correctness.no_build", "The release build failed; the compile stage says why."))
        programs = {BINARY: build.binary}
        if ctx.task.reference.numpy is None:
            reference = reference_build(ctx.task, ctx.sandbox)
            if reference.binary is None:
                raise StageFailure(
                    _error("correctness.reference_failed", f"The reference does not build: {reference.log}")
                )
            programs[REFERENCE] = reference.binary
        return programs

    def _check_sizes(self, ctx: StageContext, programs: dict[str, bytes], seeds: list[Seed], lines: list[str]) -> None:
        """Every test size in one job (smallest first, stopping at the first failing run), judged size by size."""
        instances: dict[str, Instance] = {}
        labels: dict[str, str] = {}
        seen: set[bytes] = set()
        """Contents of the instances so far: seeds that give the same instance (every seed of n=0) run it once."""
        for z, size in enumerate(ctx.task.sizes.test):
            for i, seed in enumerate(seeds):
                try:
                    instance = seed.instance(ctx.task, size)
                except InstanceError as exc:
                    raise StageFailure(_error("correctness.bad_instance", f"{size_label(size)}: {exc}")) from None
                if (content := _content(instance)) in seen:
                    continue
                seen.add(content)
                instances[f"z{z}s{i}"], labels[f"z{z}s{i}"] = instance, seed.label
        runs = [Run(f"{key}-ref", REFERENCE, key, 1) for key in instances if REFERENCE in programs]
        runs += [Run(f"{key}-t{t}", BINARY, key, t) for key in instances for t in ctx.config.thread_counts]
        runs.sort(key=lambda run: int(run.instance[1 : run.instance.index("s")]))  # stable: size by size
        batch = run_batch(ctx.sandbox, programs, instances, runs, run_s=ctx.run_s)
        lines.append(f"== job {batch.job.status.value} in {batch.job.wall_s:.2f} s")
        if fault := batch_shortfall(
            batch, lambda limits: batch_of(self.stage.value, instances, runs, Flavour.release, limits)
        ):
            raise StageFailure(capacity_error(self.stage, fault))
        if batch.job.status is JobStatus.sandbox_error:
            raise StageFailure(_error("correctness.sandbox", batch.job.message))
        if batch.job.status is JobStatus.output_capped:
            dropped = batch.job.stdout_dropped + batch.job.stderr_dropped
            raise StageFailure(
                _fail(
                    "correctness.output_limit",
                    f"Your code printed too much while running the test sizes (over {dropped} bytes were "
                    "dropped). A kernel must not print: remove the output.",
                )
            )
        for z, size in enumerate(ctx.task.sizes.test):
            keys = {key for key in instances if key.startswith(f"z{z}s")}
            self._judge_size(ctx, size, {key: instances[key] for key in keys}, labels, batch, lines)

    def _judge_size(
        self,
        ctx: StageContext,
        size: dict[str, int],
        instances: dict[str, Instance],
        labels: dict[str, str],
        batch: Batch,
        lines: list[str],
    ) -> None:
        lines.append(f"== {size_label(size)}")
        outcomes = [o for o in batch.outcomes if o.run.instance in instances]
        ran = [o for o in outcomes if o.run.program == BINARY and o.status is not RunStatus.not_run]
        if not ran:
            return
        expected = {key: self._expected(instance, batch, key) for key, instance in instances.items()}
        found: list[tuple[RunOutcome, Problem]] = []
        for outcome in ran:
            problem = _problem(outcome, instances[outcome.run.instance], expected[outcome.run.instance], batch, ctx)
            label = labels[outcome.run.instance]
            lines.append(f"{label}, {plural(outcome.run.threads, 'thread')}: {problem.headline if problem else 'ok'}")
            if problem:
                found.append((outcome, problem))
        if found:
            raise StageFailure(self._failure(size, labels, ran, found))

    def _expected(self, instance: Instance, batch: Batch, key: str) -> dict[str, np.ndarray]:
        if instance.task.reference.numpy is not None:
            try:
                return run_oracle(instance)
            except OracleError as exc:
                raise StageFailure(_error("correctness.oracle_failed", str(exc))) from None
        reference = next(o for o in batch.outcomes if o.run.key == f"{key}-ref")
        if reference.status is not RunStatus.ok:
            message = f"The reference {reference.describe()} on {size_label(instance.size)}: {_tail(batch.job.stderr)}"
            raise StageFailure(_error("correctness.reference_failed", message))
        return reference.outputs

    def _failure(
        self,
        size: dict[str, int],
        labels: dict[str, str],
        ran: list[RunOutcome],
        found: list[tuple[RunOutcome, Problem]],
    ) -> StageResult:
        outcome, problem = found[0]
        threads = outcome.run.threads
        where = f"{size_label(size)} ({labels[outcome.run.instance]}) with {plural(threads, 'thread')}"
        feedback = f"{problem.headline} on {where}:\n{problem.detail}"
        bad = sorted({o.run.threads for o, _ in found})
        good = sorted({o.run.threads for o in ran} - set(bad))
        if good and problem.reason != "correctness.timeout":
            feedback += (
                f"\nAcross the seeds of {size_label(size)}, runs with {_counts(bad)} thread(s) fail while runs with "
                f"{_counts(good)} thread(s) pass: the parallel part is wrong (a data race, or a division of the work "
                "that depends on the thread count)."
            )
        details = {
            "size": size,
            "seed": labels[outcome.run.instance],
            "threads": threads,
            "failing_threads": bad,
            **problem.details,
        }
        return _fail(problem.reason, feedback, **details)


def _problem(
    outcome: RunOutcome, instance: Instance, expected: dict[str, np.ndarray], batch: Batch, ctx: StageContext
) -> Problem | None:
    if outcome.status is RunStatus.timeout:
        return Problem(
            "correctness.timeout",
            "Timed out",
            f"The run did not finish within {ctx.run_s:g} s: an infinite loop, or a deadlock "
            "(a barrier or a lock that not every thread reaches, a lock never released).",
        )
    if outcome.status in (RunStatus.crashed, RunStatus.exited):
        stderr = _tail(batch.job.stderr)
        detail = f"The program {outcome.describe()}." + (f" Its last output:\n{stderr}" if stderr else "")
        return Problem(
            "correctness.crash", "Crashed", detail, {"signal": outcome.signal, "exit_code": outcome.exit_code}
        )
    changed = _modified_input(instance, outcome)
    if changed:
        return Problem("correctness.modified_input", "Modified a const input", changed)
    mismatches = compare_outputs(instance.task, expected, outcome.outputs)
    if not mismatches:
        return None
    detail = "\n".join(f"  {m}" for m in mismatches)
    unwritten = [m.output for m in mismatches if _all_poison(outcome.outputs.get(m.output))]
    if unwritten:
        names = ", ".join(f"'{name}'" for name in unwritten)
        return Problem(
            "correctness.output_not_written",
            "Output never written",
            f"Your function did not write {names}: every element still holds the harness's poison pattern "
            f"(bytes 0x{POISON_BYTE:02X}); outputs are not zeroed before the call.\n{detail}",
            {"outputs": unwritten},
        )
    return Problem("correctness.wrong_output", "Wrong output", detail, {"outputs": [m.output for m in mismatches]})


def _modified_input(instance: Instance, outcome: RunOutcome) -> str:
    for param in instance.task.signature.params:
        after = outcome.inputs_after.get(param.name)
        if param.role is not Role.input or after is None:
            continue
        before = instance.initial(param)
        if before.tobytes() == after.tobytes():
            continue
        if before.shape != after.shape:
            return f"The input array '{param.name}' came back with {after.size} elements instead of {before.size}."
        differs = np.flatnonzero((before.view(np.uint8) != after.view(np.uint8)).reshape(before.size, -1).any(axis=1))
        first = int(differs[0])
        was, now = before[first].item(), after[first].item()
        return (
            f"Your function changed the input array '{param.name}', which is const: {len(differs)} of {before.size} "
            f"elements differ after the call; first at index {first}: was {was!r}, now {now!r}. "
            "Do not write to inputs (no const_cast); use a scratch buffer."
        )
    return ""


def _content(instance: Instance) -> bytes:
    """A digest of everything the program reads of ``instance``."""
    digest = hashlib.sha256()
    for name, content in sorted(instance_files(instance).items()):
        digest.update(f"{name}:{len(content)}:".encode())
        digest.update(content)
    return digest.digest()


def _all_poison(values: np.ndarray | None) -> bool:
    return values is not None and values.size > 0 and bool(np.all(values.view(np.uint8) == POISON_BYTE))


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()][-STDERR_LINES:]
    return "\n".join(f"  {line[:300]}" for line in lines)


def _counts(threads: list[int]) -> str:
    return " and ".join(", ".join(map(str, threads)).rsplit(", ", 1))


def _fail(reason: str, feedback: str, **details: object) -> StageResult:
    return StageResult(
        stage=Stage.correctness, status=StageStatus.failed, reason=reason, feedback=feedback, details=details
    )


def _error(reason: str, feedback: str) -> StageResult:
    return StageResult(stage=Stage.correctness, status=StageStatus.error, reason=reason, feedback=feedback)
