"""``run_eval``: a batch evaluation over a task suite, resumable, one task's failure never stopping the rest.

For each task of the suite, candidates come from the run's source (``k`` independent model or offline
samples, recorded files, or a whole solve), each is verified as one unit on the executor, and every
judged candidate is committed to the run's SQLite file as soon as its verdict is back. Candidates are
timed at their task's screen size; the winner of a task is then timed again at the bench size (its
reported speedup) and at each of the run's thread counts. A second run on the same directory skips
finished tasks and judged candidates.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agents.budget import Usage
from evals.candidates_source import recorded_candidates
from evals.config import EvalConfig
from evals.executors import Executor, open_executor, resources_for
from evals.judged import best_of, check_decided, judged, no_candidate
from evals.progress import EvalProgress
from evals.records import CandidateResult, EvalMode, EvalResults, RunMeta, TaskResult, TaskStatus, ThreadTiming
from evals.solve_results import solve_task_records
from evals.store import RESULTS_FILE, ResultStore
from evals.suites import SuiteEntry, load_suite
from evals.work import SolveUnit, VerifyUnit, close_shared, shared_sandbox, solve_unit, time_unit, verify_unit
from tasks import KernelTask
from verifiers import Candidate, Timing, Verdict, compiler_version, hardware_fingerprint, preflight

log = logging.getLogger(__name__)

EVAL_FILE = "eval.json"
"""The run's settings, beside its results."""
TASKS_DIR = "tasks"
"""Per task: every candidate's source, verdict and logs; in solve mode, the solve runs."""
FINISHED = (TaskStatus.solved, TaskStatus.unsolved)
"""Tasks a resumed run does not take up again (errors and skipped tasks are retried)."""


class RunMismatch(ValueError):
    """The run directory holds a run with other settings; its results would not mix with these."""


class BudgetSpent(Exception):
    """The run's cost or time budget is spent; work not started is skipped."""


def run_eval(config: EvalConfig, run_dir: Path, *, progress: EvalProgress | None = None) -> EvalResults:
    """Evaluate ``config.suite`` into ``run_dir`` (continuing the run already there); returns every result.

    Raises:
        RunMismatch: ``run_dir`` holds a run of another suite, mode, sample count, model or candidates.
        evals.suites.SuiteError: the suite names no task files.
        evals.executors.ExecutorUnavailable: the executor cannot run here.
        verifiers.toolchain_preflight.ToolchainMissing: the sandbox lacks what the suite's targets need.
    """
    entries = load_suite(config.suite)
    prepare_run_dir(config, run_dir)
    store = ResultStore(run_dir / RESULTS_FILE)
    executor = open_executor(config.executor, workers=config.workers, address=config.ray_address)
    try:
        return EvalRun(config, run_dir, store, executor, progress or EvalProgress()).run(entries)
    finally:
        executor.close()
        close_shared()
        store.close()


def prepare_run_dir(config: EvalConfig, run_dir: Path) -> None:
    """Make ``run_dir`` for ``config``, or check that the run already there has the same settings.

    Raises:
        RunMismatch: it holds a run of another suite, mode, sample count, model or candidates.
    """
    settings = run_dir / EVAL_FILE
    if settings.is_file():
        before = EvalConfig.model_validate_json(settings.read_text())
        if before.identity() != config.identity():
            changed = {k: (v, config.identity()[k]) for k, v in before.identity().items() if config.identity()[k] != v}
            details = "; ".join(f"{k}: {old!r} there, {new!r} now" for k, (old, new) in changed.items())
            raise RunMismatch(f"{run_dir} holds another run ({details}); choose another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    settings.write_text(config.model_dump_json(indent=2))


class EvalRun:
    """One invocation of a run: what to do, where results go, and how far it got."""

    def __init__(
        self, config: EvalConfig, run_dir: Path, store: ResultStore, executor: Executor, progress: EvalProgress
    ) -> None:
        self.config = config
        self.run_dir = run_dir
        self.store = store
        self.executor = executor
        self.progress = progress
        self.node_lock = executor.name != "local"
        self.started = time.monotonic()
        self.earlier_cost = _recorded_cost(store)
        self._proposer: Any = None

    def run(self, entries: list[SuiteEntry]) -> EvalResults:
        self.progress.total = len(entries)
        targets = {target for entry in entries if isinstance(entry.task, KernelTask) for target in entry.task.targets}
        preflight(shared_sandbox(self.config.backend), sorted(targets))  # before any candidate is judged
        self.store.put_meta(self._meta())
        pending = []
        for entry in entries:
            previous = self.store.task(entry.name)
            if previous is not None and previous.status in FINISHED:
                for row in self.store.candidates(entry.name):
                    self.progress.candidate_judged(row, reused=True)
                self.progress.task_finished(previous, reused=True)
            else:
                pending.append(entry)
        pool = ThreadPoolExecutor(max_workers=self._tasks_at_once(), thread_name_prefix="paraforge-task")
        try:
            for future in [pool.submit(self._task, entry) for entry in pending]:
                future.result()
        finally:  # on an interrupt, tasks not started never start (what was judged is already committed)
            pool.shutdown(wait=False, cancel_futures=True)
        meta = self.store.meta()
        assert meta is not None
        self.store.put_meta(meta.model_copy(update={"finished": _now()}))
        return self.store.results()

    def _tasks_at_once(self) -> int:
        """Tasks evaluated at once: a local solve uses every worker itself, so solves go one at a time."""
        if self.config.mode is EvalMode.solve and self.executor.name == "local":
            return 1
        return max(1, self.config.workers) if self.executor.name == "local" else 64

    def _meta(self) -> RunMeta:
        previous = self.store.meta()
        sandbox = shared_sandbox(self.config.backend)
        hardware = hardware_fingerprint()
        return RunMeta(
            run_id=self.run_dir.name,
            suite=self.config.suite,
            mode=self.config.mode,
            model=self.config.model.model if self.config.model else None,
            samples=self.config.samples,
            threads=self.config.threads,
            started=previous.started if previous else _now(),
            hardware={
                "cpu": hardware.cpu_model,
                "cores": str(hardware.cores),
                "memory": f"{hardware.memory_gib} GiB",
                "machine": hardware.machine,
                "fingerprint": hardware.digest[:16],
            },
            toolchain=compiler_version(sandbox).splitlines()[0],
            backend=sandbox.name,
            executor=self.executor.describe(),
        )

    # --- one task ---------------------------------------------------------------------------------------------

    def _task(self, entry: SuiteEntry) -> None:
        """Evaluate one task and record how it ended; nothing it raises reaches the other tasks."""
        self.progress.task_started(entry.name)
        started = time.monotonic()
        try:
            if entry.task is None:
                raise _TaskError(entry.error or "the task file did not load")
            if self.config.mode is EvalMode.solve or not isinstance(entry.task, KernelTask):
                result = self._solve(entry)
            else:
                result = self._judge_candidates(entry, entry.task)
        except BudgetSpent as exc:
            result = self._ended(entry, TaskStatus.skipped, str(exc))
        except _TaskError as exc:
            result = self._ended(entry, TaskStatus.error, str(exc))
        except Exception as exc:  # a crash of one task is recorded, and the batch goes on
            log.exception("task %s failed", entry.name)
            result = self._ended(entry, TaskStatus.error, f"{type(exc).__name__}: {exc}")
        result.seconds = time.monotonic() - started
        self.store.put_task(result)
        self.progress.task_finished(result)

    def _ended(self, entry: SuiteEntry, status: TaskStatus, why: str) -> TaskResult:
        rows = self.store.candidates(entry.name)
        return TaskResult(
            task=entry.name,
            kind=entry.task.kind.value if entry.task is not None else "kernel",
            family=_family(entry),
            status=status,
            error=why,
            usage=sum((row.usage for row in rows), Usage()),
        )

    def _judge_candidates(self, entry: SuiteEntry, task: KernelTask) -> TaskResult:
        """Samples or recorded candidates: each verified once, committed as soon as judged."""
        done = {row.index: row for row in self.store.candidates(task.name)}
        for row in done.values():
            self.progress.candidate_judged(row, reused=True)
        pending: list[tuple[int, Candidate, Usage, Any, Future[Verdict]]] = []
        spent: BudgetSpent | None = None
        try:
            for index, proposal in self._proposals(task, set(done)):
                candidate, problem, usage, external = proposal
                if candidate is None:
                    row = no_candidate(task.name, index, problem or "no candidate", usage=usage)
                    self._commit(row)
                    continue
                unit = self._verify_unit(entry, candidate, index)
                future = self.executor.submit(verify_unit, unit, resources=resources_for([candidate.target]))
                pending.append((index, candidate, usage, external, future))
        except BudgetSpent as exc:  # no more proposals; what was proposed is still judged and kept
            spent = exc
        errors = []
        for index, candidate, usage, external, future in pending:
            try:
                verdict = future.result()
                check_decided(verdict)
            except Exception as exc:  # the verifier's trouble: the candidate is not judged, a resume retries it
                errors.append(f"candidate {index}: {exc}")
                continue
            where = self._candidate_dir(task.name, index, candidate)
            (where / "verdict.json").write_text(verdict.model_dump_json(indent=2))
            row = judged(
                task.name, index, candidate, verdict, usage=usage, external=external,
                verdict_path=str(where / "verdict.json"),
            )  # fmt: skip
            self._commit(row)
        if errors:
            raise _TaskError("the verifier failed (rerun to retry): " + "; ".join(errors[:3]))
        if spent is not None:
            raise spent
        rows = self.store.candidates(task.name)
        return self._task_result(entry, rows)

    def _proposals(self, task: KernelTask, done: set[int]) -> Any:
        """``(index, (candidate, problem, usage, external))`` for every candidate not judged yet."""
        if self.config.mode is EvalMode.candidates:
            assert self.config.candidates_dir is not None
            recorded = recorded_candidates(Path(self.config.candidates_dir), task.name)
            if not recorded:
                raise _TaskError(f"no recorded candidates for {task.name} under {self.config.candidates_dir}")
            for index, (candidate, external) in enumerate(recorded):
                if index not in done:
                    yield index, (candidate, None, Usage(), external)
            return
        for index in range(self.config.samples):
            if index in done:
                continue
            self._check_budget()
            candidate, problem, usage = self._sample(task, index)
            yield index, (candidate, problem, usage, None)

    def _sample(self, task: KernelTask, index: int) -> tuple[Candidate | None, str | None, Usage]:
        from agents.proposers import ProposalRequest

        request = ProposalRequest(task=task, count=1, sample=index, temperature=self.config.temperature)
        proposals = self._get_proposer().propose(request)
        if not proposals:
            return None, "the proposer had no candidate", Usage()
        proposal = proposals[0]
        self.progress.spent(proposal.usage.cost)
        return proposal.candidate, proposal.problem, proposal.usage

    def _get_proposer(self) -> Any:
        if self._proposer is None:
            if self.config.model is not None:
                from agents.model_client import ModelClient
                from agents.proposers.llm import LLMProposer

                self._proposer = LLMProposer(ModelClient(self.config.model, cache_dir=self.run_dir / "responses"))
            else:
                from agents.proposers.offline import OfflineProposer

                self._proposer = OfflineProposer()
        return self._proposer

    def _solve(self, entry: SuiteEntry) -> TaskResult:
        """A whole solve of the task as one unit; a solve a killed run left behind is resumed."""
        self._check_budget()
        assert entry.task is not None
        unit = SolveUnit(
            task_path=str(entry.path),
            backend=self.config.backend,
            node_lock=self.node_lock,
            settings=self._solve_settings(entry),
            runs_root=str(self.run_dir / TASKS_DIR / entry.name / "solve"),
        )
        targets = getattr(entry.task, "targets", [])
        summary: dict[str, Any] = self.executor.submit(solve_unit, unit, resources=resources_for(targets)).result()
        result, rows = solve_task_records(summary, family=_family(entry))
        for row in rows:
            self._commit(row)
        self.progress.spent(result.usage.cost)
        if isinstance(entry.task, KernelTask) and result.winner and self.config.threads:
            winner = Candidate(source=summary["winner"]["source"], origin=summary["winner"]["origin"])
            result.scaling = self._scaling(entry, winner)
        return result

    def _solve_settings(self, entry: SuiteEntry) -> dict[str, Any]:
        solve = self.config.solve
        settings: dict[str, Any] = {
            "task": str(entry.path),
            "population": solve.population,
            "repair_rounds": solve.repair_rounds,
            "finalists": solve.finalists,
            "backend": self.config.backend,
            "workers": self.config.workers,
            "verify": self.config.verify.model_dump(),
            "budget": {"generations": solve.generations, "max_candidates": solve.max_candidates},
        }
        if self.config.model is not None:
            settings.update(proposer="llm", model=self.config.model.model_dump())
        if self.config.max_cost is not None:
            settings["budget"]["max_cost"] = max(0.0, self.config.max_cost - self._cost())
        return settings

    def _task_result(self, entry: SuiteEntry, rows: list[CandidateResult]) -> TaskResult:
        """The task's outcome: its best candidate, timed again at the bench size (and at each ``--threads``)."""
        best = best_of(rows)
        result = TaskResult(
            task=entry.name,
            family=_family(entry),
            status=TaskStatus.solved if best else TaskStatus.unsolved,
            usage=sum((row.usage for row in rows), Usage()),
        )
        if best is None:
            return result
        source = (self._candidate_dir(entry.name, best.index, None, digest=best.digest) / "source.cpp").read_text()
        winner = Candidate(source=source, origin=best.origin)
        final = self._time(entry, winner, None, "final").result()
        if final is None:
            result.status = TaskStatus.unsolved
            result.error = f"the best candidate ({best.index}) did not run at the bench size"
            return result
        result.winner = best.digest
        result.speedup, result.speedup_low, result.speedup_high = final.speedup, final.speedup_low, final.speedup_high
        result.roofline_fraction = final.roofline_fraction
        result.scaling = self._scaling(entry, winner)
        return result

    def _scaling(self, entry: SuiteEntry, winner: Candidate) -> list[ThreadTiming]:
        """The winner timed at each of the run's thread counts (a count where it did not run is left out)."""
        futures = {threads: self._time(entry, winner, threads, f"threads-{threads}") for threads in self.config.threads}
        scaling = []
        for threads, future in futures.items():
            timing = future.result()
            if timing is not None:
                scaling.append(ThreadTiming(
                    threads=threads, speedup=timing.speedup, speedup_low=timing.speedup_low,
                    speedup_high=timing.speedup_high, candidate_s=timing.candidate_s, reference_s=timing.reference_s,
                ))  # fmt: skip
        return scaling

    def _time(self, entry: SuiteEntry, winner: Candidate, threads: int | None, label: str) -> Future[Timing | None]:
        """The winner timed alone against the reference at the bench size, as one unit."""
        unit = VerifyUnit(
            task_path=str(entry.path), backend=self.config.backend, node_lock=self.node_lock, candidate=winner,
            verify=self.config.winner_verify(threads), logs_dir=str(self.run_dir / TASKS_DIR / entry.name / label),
        )  # fmt: skip
        return self.executor.submit(time_unit, unit, resources=resources_for([winner.target]))

    # --- helpers ---------------------------------------------------------------------------------------------

    def _verify_unit(self, entry: SuiteEntry, candidate: Candidate, index: int) -> VerifyUnit:
        where = self._candidate_dir(entry.name, index, candidate)
        (where / "source.cpp").write_text(candidate.source)
        (where / "candidate.json").write_text(json.dumps({"origin": candidate.origin, "digest": candidate.digest}))
        return VerifyUnit(
            task_path=str(entry.path),
            backend=self.config.backend,
            node_lock=self.node_lock,
            candidate=candidate,
            verify=self.config.candidate_verify(),
            logs_dir=str(where / "logs"),
        )

    def _candidate_dir(self, task: str, index: int, candidate: Candidate | None, *, digest: str = "") -> Path:
        digest = candidate.digest if candidate is not None else digest
        where = self.run_dir / TASKS_DIR / task / "candidates" / f"{index:04d}-{digest[:12]}"
        where.mkdir(parents=True, exist_ok=True)
        return where

    def _commit(self, row: CandidateResult) -> None:
        self.store.put_candidate(row)
        self.progress.candidate_judged(row)

    def _cost(self) -> float:
        return self.earlier_cost + self.progress.cost

    def _check_budget(self) -> None:
        limit = self.config.max_cost
        if limit is not None and self._cost() >= limit:
            raise BudgetSpent(f"cost budget of ${limit:g} reached (${self._cost():.4f} spent)")
        seconds = self.config.time_limit_s
        if seconds is not None and time.monotonic() - self.started >= seconds:
            raise BudgetSpent(f"time limit of {seconds:g} s reached")


class _TaskError(Exception):
    """A task that cannot be evaluated, with the reason in words."""


def _recorded_cost(store: ResultStore) -> float:
    """Model cost recorded by earlier invocations: finished tasks' totals, and the rows of unfinished ones."""
    tasks = {task.task: task for task in store.tasks()}
    rows = sum(row.usage.cost for row in store.candidates() if row.task not in tasks)
    return rows + sum(task.usage.cost for task in tasks.values())


def _family(entry: SuiteEntry) -> str | None:
    family = getattr(entry.task, "family", None)
    return family.value if family is not None else None


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
