"""What an import did: ``DIR/import-report.json``, one entry per problem converted or skipped."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict, computed_field

from evals.pareval.skips import SkipReason

REPORT_FILE = "import-report.json"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConvertedProblem(_Record):
    """A problem that became a task."""

    problem: str
    problem_type: str
    task: str
    file: str
    """The task file, relative to the output folder."""


class SkippedProblem(_Record):
    """A problem that did not become a task, and why."""

    problem: str
    problem_type: str
    reason: SkipReason
    detail: str


class CandidateTask(_Record):
    """The recorded outputs written for one task."""

    task: str
    samples: int
    with_verdicts: int
    """Samples for which the outputs file carried ParEval's own build/validity verdict."""


class UnmatchedOutputs(_Record):
    """An outputs entry that gave no candidates, and why."""

    problem: str
    samples: int
    reason: str


class CandidatesSummary(_Record):
    """What ``--outputs`` produced."""

    file: str
    written: int
    tasks: list[CandidateTask] = []
    unmatched: list[UnmatchedOutputs] = []
    other_models: int = 0
    """Entries of other execution models, ignored."""


class ImportReport(_Record):
    """The whole import."""

    source: str = "ParEval"
    checkout: str
    prompts: str
    model: str
    converted: list[ConvertedProblem] = []
    skipped: list[SkippedProblem] = []
    candidates: CandidatesSummary | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def skipped_by_reason(self) -> dict[str, int]:
        """How many problems each reason kept out, most frequent first."""
        return dict(Counter(s.reason.value for s in self.skipped).most_common())
