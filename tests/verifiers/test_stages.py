"""Properties every stage must have, and stage behaviour the adversarial set cannot pin down on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks import resolve_task
from verifiers.candidate import Candidate
from verifiers.cascade import default_stages, evaluate
from verifiers.context import StageContext, VerifyConfig
from verifiers.stages.compile import CompileStage
from verifiers.stages.correctness import CorrectnessStage
from verifiers.stages.memory import MemoryStage
from verifiers.stages.race import RaceStage, race_sizes
from verifiers.verdict import Stage, StageResult, StageStatus

TASK = resolve_task("reduce-sum")
CANDIDATES = Path(__file__).parent / "candidates" / "reduce-sum"


def _context(source: str, sandbox, tmp_path: Path, **config: object) -> StageContext:
    return StageContext(
        task=TASK,
        candidate=Candidate(source=source),
        sandbox=sandbox,
        config=VerifyConfig(**{"run_s": 5, **config}),
        logs_dir=tmp_path,
    )


def test_the_cascade_starts_with_the_five_core_stages_in_order() -> None:
    names = [stage.stage for stage in default_stages()]
    assert names[:5] == [Stage.parse, Stage.compile, Stage.correctness, Stage.race, Stage.memory]


@pytest.mark.parametrize("stage", default_stages(), ids=lambda s: s.stage.value)
def test_every_stage_judges_garbage_without_raising(stage, local_sandbox, clang, tmp_path: Path) -> None:
    ctx = _context("this is not C++ @@@ {", local_sandbox, tmp_path)
    result = stage(ctx)
    assert isinstance(result, StageResult)
    assert result.stage is stage.stage
    if result.status is not StageStatus.skipped:
        assert result.logs, f"{stage.stage} keeps no log"
        assert Path(result.logs).is_relative_to(tmp_path)
        assert Path(result.logs).exists()
    if result.status in (StageStatus.failed, StageStatus.error):
        assert result.reason.startswith(f"{stage.stage.value}."), result.reason
        assert result.feedback.strip()


def test_hidden_seeds_are_never_revealed(local_sandbox, clang, tmp_path: Path, monkeypatch) -> None:
    secret = 987654321987
    monkeypatch.setattr("verifiers.stages.correctness.secrets.randbits", lambda bits: secret)
    source = (CANDIDATES / "wrong_under_threads.cpp").read_text()
    verdict = evaluate(
        TASK,
        Candidate(source=source),
        local_sandbox,
        config=VerifyConfig(seeds=[], hidden_seeds=1, run_s=5),
        stages=[CompileStage(), CorrectnessStage()],
        logs_dir=tmp_path,
    )
    failure = verdict.failure
    assert failure is not None
    assert failure.reason == "correctness.wrong_output"
    assert "hidden seed #1" in failure.feedback
    assert failure.details["seed"] == "hidden seed #1"
    everything = verdict.model_dump_json() + "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert str(secret) not in everything
    assert json.loads(verdict.model_dump_json())  # the verdict stays serialisable


def test_seeds_that_give_the_same_instance_run_it_once(local_sandbox, clang, tmp_path: Path) -> None:
    source = (CANDIDATES / "good_reduction.cpp").read_text()
    result = CorrectnessStage()(_context(source, local_sandbox, tmp_path, seeds=[0, 1], hidden_seeds=2))
    assert result.status is StageStatus.passed, result.feedback
    log = Path(result.logs).read_text()
    empty, seven = log.split("== n=0\n")[1].split("== ")[0], log.split("== n=7\n")[1].split("== ")[0]
    assert [line.split(",")[0] for line in empty.splitlines()] == ["seed 0"] * 3, "every seed of n=0 is one instance"
    assert len(seven.splitlines()) == 4 * 3, "distinct instances all run, with every thread count"


def test_the_race_stage_finds_a_race_correctness_may_miss(local_sandbox, clang, tmp_path: Path) -> None:
    source = (CANDIDATES / "racy_missing_reduction.cpp").read_text()
    result = RaceStage()(_context(source, local_sandbox, tmp_path))
    assert (result.status, result.reason) == (StageStatus.failed, "race.data_race")
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "total +=" in text)
    assert f"line {line} (write)" in result.feedback
    assert f"{line:>5} | " in result.feedback, "the racing line is quoted"
    assert "with 4 threads" in result.feedback


def test_race_sizes_skip_degenerate_ones() -> None:
    assert race_sizes(TASK) == [{"n": 1009}, {"n": 100000}]


def test_without_an_oracle_the_reference_build_gives_the_expected_outputs(local_sandbox, clang, tmp_path: Path) -> None:
    task = TASK.model_copy(
        update={"name": "reduce-sum-no-oracle", "reference": TASK.reference.model_copy(update={"numpy": None})}
    )
    good = (CANDIDATES / "good_reduction.cpp").read_text()
    bad = (CANDIDATES / "wrong_odd_n.cpp").read_text()
    stages = [CompileStage(), CorrectnessStage()]
    config = VerifyConfig(run_s=5)
    accepted = evaluate(
        task, Candidate(source=good), local_sandbox, config=config, stages=stages, logs_dir=tmp_path / "a"
    )
    assert accepted.accepted, accepted.feedback()
    rejected = evaluate(
        task, Candidate(source=bad), local_sandbox, config=config, stages=stages, logs_dir=tmp_path / "b"
    )
    failure = rejected.failure
    assert failure is not None
    assert failure.reason == "correctness.wrong_output"
    assert "n=1 (seed 0)" in failure.feedback


class CountingSandbox:
    """A sandbox that counts the jobs it runs."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.unenforced, self.jobs = inner, inner.name, inner.unenforced, 0

    def run(self, job):
        self.jobs += 1
        return self.inner.run(job)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("stage", [RaceStage(), MemoryStage()], ids=lambda s: s.stage.value)
def test_a_sanitizer_stage_builds_and_runs_in_one_job(stage, local_sandbox, clang, tmp_path: Path) -> None:
    source = (CANDIDATES / "good_reduction.cpp").read_text()
    stage(_context(source, local_sandbox, tmp_path / "warm"))  # builds the driver object and header once
    counting = CountingSandbox(local_sandbox)
    result = stage(_context(source, counting, tmp_path / "counted"))
    assert result.status is StageStatus.passed, result.feedback
    assert counting.jobs == 1


@pytest.mark.parametrize("stage", [RaceStage(), MemoryStage()], ids=lambda s: s.stage.value)
def test_a_sanitizer_build_that_fails_runs_nothing_and_quotes_the_compiler(
    stage, local_sandbox, clang, tmp_path: Path
) -> None:
    source = (CANDIDATES / "good_reduction.cpp").read_text().replace("out[0] = total;", "out[0] = totl;")
    result = stage(_context(source, local_sandbox, tmp_path))
    assert (result.status, result.reason) == (StageStatus.failed, f"{stage.stage.value}.build.error")
    assert "totl" in result.feedback
    assert "totl" in Path(result.logs).read_text()
