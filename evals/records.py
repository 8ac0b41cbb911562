"""What an evaluation run records: one result per task, one per candidate judged, and the run's metadata.

These records are the one shape that metrics and reports read, whether they come from a batch run
(``agent eval``) or from a single solve run (``agent solve``), so that both get the same report.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from agents.budget import Usage


class EvalMode(StrEnum):
    """How a run got its candidates."""

    samples = "samples"
    """``k`` independent candidates per task, no repair or evolution (pass@k, as ParEval measures)."""
    solve = "solve"
    """A full solve per task: generations, repairs, tournament, evolution."""
    candidates = "candidates"
    """Candidates written elsewhere (another tool's or a model's recorded answers), judged here."""


class TaskStatus(StrEnum):
    solved = "solved"
    """At least one candidate passed every stage and was timed."""
    unsolved = "unsolved"
    """Candidates were judged, none passed."""
    error = "error"
    """The task could not be evaluated (bad task file, a crash of the tool); ``error`` says why."""
    skipped = "skipped"
    """Not started: a budget (cost, time) ran out first. A resumed run takes it up again."""


class ExternalVerdict(BaseModel):
    """What a published benchmark itself said about a recorded answer, beside ParaForge's verdict."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """The benchmark, e.g. ``ParEval``."""
    built: bool | None = None
    valid: bool | None = None
    """The benchmark's own correctness verdict."""
    speedup: float | None = None
    """The speedup the benchmark measured, when it recorded one."""


class CandidateResult(BaseModel):
    """One candidate judged for one task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    index: int
    """Order within the task: the sample number, or the order in which a solve verified it."""
    digest: str = ""
    """SHA-256 of the source ('' when the proposer gave no candidate)."""
    origin: str = ""
    generation: int = 0
    compiled: bool = False
    """Parsed and built (the compile stage passed)."""
    accepted: bool = False
    """Passed every stage and was timed."""
    failed_stage: str | None = None
    """The stage that rejected it (``proposal`` when no candidate came out of the reply)."""
    reason: str | None = None
    """Machine-readable reason, e.g. ``race.data_race``."""
    speedup: float | None = None
    speedup_low: float | None = None
    speedup_high: float | None = None
    threads: int | None = None
    """Threads it was timed at."""
    roofline_fraction: float | None = None
    usage: Usage = Usage()
    """Model usage spent to get this candidate."""
    external: ExternalVerdict | None = None
    verdict_path: str | None = None
    """The full verdict (JSON) under the run directory."""


class ThreadTiming(BaseModel):
    """The winner of a task timed at one thread count against the reference."""

    model_config = ConfigDict(extra="forbid")

    threads: int
    speedup: float
    speedup_low: float
    speedup_high: float
    candidate_s: float
    reference_s: float


class TaskResult(BaseModel):
    """How one task of a run ended."""

    model_config = ConfigDict(extra="forbid")

    task: str
    kind: str = "kernel"
    """``kernel``, ``train_config`` or ``serve_config``."""
    family: str | None = None
    status: TaskStatus
    error: str | None = None
    winner: str | None = None
    """Digest of the fastest accepted candidate."""
    speedup: float | None = None
    speedup_low: float | None = None
    speedup_high: float | None = None
    roofline_fraction: float | None = None
    scaling: list[ThreadTiming] = Field(default_factory=list)
    """The winner timed at each of the run's ``--threads``."""
    usage: Usage = Usage()
    seconds: float = 0.0
    solve_run: str | None = None
    """The solve run directory, in solve mode."""
    summary: str | None = None
    """One line about a config task's winner (predicted step time, MFU, memory)."""


class RunMeta(BaseModel):
    """What a run was and where it ran."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    suite: str
    mode: EvalMode
    model: str | None = None
    """The litellm model, or None for the offline proposer or recorded candidates."""
    samples: int = 1
    threads: list[int] = Field(default_factory=list)
    started: str = ""
    """ISO 8601 time the run started."""
    finished: str | None = None
    hardware: dict[str, str] = Field(default_factory=dict)
    """CPU model, cores, ISA, fingerprint digest."""
    toolchain: str = ""
    """The compiler's version line."""
    backend: str = ""
    """The sandbox backend the candidates ran in."""
    executor: str = "local"


class EvalResults(BaseModel):
    """Everything a report shows: the run, its tasks and every candidate judged."""

    model_config = ConfigDict(extra="forbid")

    meta: RunMeta
    tasks: list[TaskResult]
    candidates: list[CandidateResult]

    def candidates_of(self, task: str) -> list[CandidateResult]:
        """The candidates judged for ``task``, in order."""
        return sorted((c for c in self.candidates if c.task == task), key=lambda c: c.index)
