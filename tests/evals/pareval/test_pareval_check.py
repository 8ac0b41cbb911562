"""The imported tasks run: each reference (ParEval's baseline behind the shim) passes ``agent tasks check``, and
recorded outputs completed into candidates are judged against it by the verifier's first stages."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.tasks_cli import tasks_app
from evals.pareval import ImportReport, task_name
from sandbox import Sandbox
from tasks import KernelTask, load_task
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.reference_check import check_reference
from verifiers.stages.compile import CompileStage
from verifiers.stages.correctness import CorrectnessStage
from verifiers.stages.parse import ParseStage
from verifiers.verdict import StageStatus

Imported = tuple[Path, ImportReport]


@pytest.mark.slow
@pytest.mark.usefixtures("clang")
def test_every_imported_reference_builds_and_runs_on_every_test_size(imported: Imported, local_sandbox: Sandbox):
    out, report = imported
    for converted in report.converted:
        task = load_task(out / converted.file)
        assert isinstance(task, KernelTask)
        check = check_reference(task, local_sandbox, bench=False)
        assert check.ok, (task.name, check.problems, [c.message for c in check.tests if not c.ok])
        assert len(check.tests) == len(task.sizes.test)


@pytest.mark.usefixtures("clang")
def test_agent_tasks_check_passes_on_an_imported_task(imported: Imported):
    out, _ = imported
    path = out / "tasks" / f"{task_name('02_stencil_blur_2d')}.yaml"
    result = CliRunner().invoke(tasks_app, ["check", str(path), "--backend", "local", "--no-bench"])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output


@pytest.mark.slow
@pytest.mark.usefixtures("clang")
def test_recorded_outputs_are_judged_against_the_shimmed_baseline(imported: Imported, local_sandbox: Sandbox):
    out, _ = imported
    name = task_name("00_transform_scale_shift")
    task = load_task(out / "tasks" / f"{name}.yaml")
    assert isinstance(task, KernelTask)
    folder = out / "candidates" / name
    stages = [ParseStage(), CompileStage(), CorrectnessStage()]

    def judge(sample: str) -> list[tuple[str, str, str]]:
        candidate = Candidate(source=(folder / sample).read_text(), origin=sample)
        verdict = evaluate(task, candidate, local_sandbox, stages=stages, logs_dir=out / "logs" / sample)
        return [(r.stage.value, r.status.value, r.reason) for r in verdict.stages]

    assert all(status == StageStatus.passed.value for _, status, _ in judge("000.cpp"))  # x = scale*x + 1, parallel
    assert all(status == StageStatus.passed.value for _, status, _ in judge("002.cpp"))  # the same, cleaned up
    wrong = judge("001.cpp")  # forgets the + 1
    assert wrong[2] == ("correctness", "failed", "correctness.wrong_output")
