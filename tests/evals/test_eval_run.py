"""`agent eval` end to end: real verifiers and sandboxes, the offline proposer, recorded candidates and a
scripted model only."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from eval_helpers import FAST, QUICK_VERIFY, RACY, WRONG_SIGNATURE, fenced, quick_eval, suite_folder
from typer.testing import CliRunner

import evals.runner
from agents.cli import app
from agents.model_config import ModelConfig
from agents.replay_server import ReplayEntry, ReplayServer
from evals.config import EvalConfig
from evals.load import load_results
from evals.metrics import suite_metrics
from evals.progress import EvalProgress
from evals.records import EvalMode, TaskStatus
from evals.runner import RunMismatch, run_eval
from evals.store import RESULTS_FILE

pytestmark = pytest.mark.usefixtures("clang")


@pytest.fixture(autouse=True)
def private_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every eval test verifies into its own verdict cache and library."""
    monkeypatch.setenv("PARAFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path / "cache"))


def test_offline_samples_are_judged_once_and_a_second_run_resumes(tmp_path: Path):
    suite = suite_folder(tmp_path, "reduce-sum")
    run_dir = tmp_path / "run"
    first = EvalProgress()
    results = run_eval(quick_eval(suite, samples=2), run_dir, progress=first)
    rows = results.candidates_of("reduce-sum")
    assert [row.index for row in rows] == [0, 1]
    assert len({row.digest for row in rows}) == 2  # two different offline rewrites
    assert all(row.accepted and row.speedup_low <= row.speedup <= row.speedup_high for row in rows)
    task = results.tasks[0]
    assert task.status is TaskStatus.solved and task.winner in {row.digest for row in rows}
    assert (run_dir / "tasks" / "reduce-sum" / "candidates").is_dir() and first.verified == 2

    again = EvalProgress()
    resumed = run_eval(quick_eval(suite, samples=2), run_dir, progress=again)
    assert again.verified == 0 and again.reused == 2 and again.reused_tasks == 1
    assert resumed.candidates == results.candidates


def test_more_samples_on_a_resumed_run_are_refused(tmp_path: Path):
    suite = suite_folder(tmp_path, "reduce-sum")
    run_eval(quick_eval(suite, samples=1), tmp_path / "run")
    with pytest.raises(RunMismatch, match="samples: 1 there, 3 now"):
        run_eval(quick_eval(suite, samples=3), tmp_path / "run")


def test_scripted_model_samples_give_pass_at_k_and_failures_by_stage(tmp_path: Path):
    replies = [fenced(FAST), fenced(RACY), fenced(WRONG_SIGNATURE), "I cannot write this kernel."]
    with ReplayServer([ReplayEntry(reply=reply) for reply in replies]) as server:
        model = ModelConfig(model="openai/replay", api_base=server.api_base, api_key="t", timeout_s=60, max_retries=0)
        config = quick_eval(suite_folder(tmp_path, "reduce-sum"), samples=4, model=model)
        results = run_eval(config, tmp_path / "run")
    rows = results.candidates_of("reduce-sum")
    assert [row.failed_stage for row in rows] == [None, "race", "parse", "proposal"]
    assert rows[1].reason == "race.data_race"
    metrics = suite_metrics(results)
    assert metrics.pass_at_k[1] == pytest.approx(0.25)  # 1 of 4 samples accepted
    assert metrics.build_at_k[1] == pytest.approx(0.5)  # the accepted and the racy one compiled
    assert metrics.failures_by_stage == {"race": 1, "parse": 1, "proposal": 1}
    assert results.meta.model == "openai/replay"


def test_recorded_candidates_are_rejudged_beside_the_benchmarks_verdicts(tmp_path: Path):
    recorded = tmp_path / "recorded" / "reduce-sum"
    recorded.mkdir(parents=True)
    (recorded / "0.cpp").write_text(FAST)
    (recorded / "1.cpp").write_text(RACY)
    verdicts = {"0.cpp": {"built": True, "valid": True, "speedup": 1.9}, "1.cpp": {"built": True, "valid": True}}
    (recorded / "external.json").write_text(json.dumps({"source": "ParEval", "samples": verdicts}))
    config = quick_eval(suite_folder(tmp_path, "reduce-sum"), mode="candidates", candidates_dir=str(recorded.parent))
    results = run_eval(config, tmp_path / "run")
    rows = results.candidates_of("reduce-sum")
    assert [row.accepted for row in rows] == [True, False]
    assert rows[0].external is not None and rows[0].external.speedup == 1.9
    (agreement,) = suite_metrics(results).external
    assert (agreement.source, agreement.both_accept, agreement.benchmark_only_accepts) == ("ParEval", 1, 1)
    assert agreement.rejections_by_reason == {"race.data_race": 1}


def test_a_broken_task_file_and_a_crashing_verifier_do_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    suite = suite_folder(tmp_path, "reduce-sum", "gelu")
    (suite / "broken.yaml").write_text("name: broken\nfamily: reduce\nsignature: 3\n")
    real = evals.runner.verify_unit

    def verify_or_crash(unit):
        if "gelu" in unit.task_path:
            raise ConnectionError("the docker daemon went away")
        return real(unit)

    monkeypatch.setattr(evals.runner, "verify_unit", verify_or_crash)
    results = run_eval(quick_eval(suite, samples=1), tmp_path / "run")
    status = {task.task: task for task in results.tasks}
    assert status["reduce-sum"].status is TaskStatus.solved
    assert status["broken"].status is TaskStatus.error and "broken.yaml: invalid task file" in status["broken"].error
    assert status["gelu"].status is TaskStatus.error and "docker daemon went away" in status["gelu"].error
    assert results.candidates_of("gelu") == []  # a verifier's failure is no verdict on the candidate

    monkeypatch.setattr(evals.runner, "verify_unit", real)
    again = EvalProgress()
    resumed = run_eval(quick_eval(suite, samples=1), tmp_path / "run", progress=again)
    assert {t.task: t.status for t in resumed.tasks}["gelu"] is TaskStatus.solved
    assert again.verified == 1  # only gelu's sample; reduce-sum was finished


def test_a_spent_time_budget_skips_work_that_a_resumed_run_takes_up(tmp_path: Path):
    suite = suite_folder(tmp_path, "reduce-sum")
    skipped = run_eval(quick_eval(suite, samples=1, time_limit_s=1e-6), tmp_path / "run")
    assert skipped.tasks[0].status is TaskStatus.skipped and "time limit" in skipped.tasks[0].error
    resumed = run_eval(quick_eval(suite, samples=1), tmp_path / "run")
    assert resumed.tasks[0].status is TaskStatus.solved


def test_a_spent_cost_budget_keeps_what_was_judged_and_a_resume_finishes(tmp_path: Path):
    model = ModelConfig(model="openai/gpt-4o", mock_response=fenced(FAST))  # litellm prices its mock usage
    suite = suite_folder(tmp_path, "reduce-sum")
    stopped = run_eval(quick_eval(suite, samples=3, model=model, max_cost=1e-6), tmp_path / "run")
    assert stopped.tasks[0].status is TaskStatus.skipped and "cost budget" in stopped.tasks[0].error
    (row,) = stopped.candidates  # the sample paid for before the budget ran out was still judged and kept
    assert row.accepted and row.usage.cost > 0
    again = EvalProgress()
    finished = run_eval(quick_eval(suite, samples=3, model=model), tmp_path / "run", progress=again)
    assert finished.tasks[0].status is TaskStatus.solved and len(finished.candidates) == 3
    assert again.reused == 1 and finished.tasks[0].usage.cost > row.usage.cost


def test_winners_are_timed_at_each_thread_count(tmp_path: Path):
    results = run_eval(quick_eval(suite_folder(tmp_path, "reduce-sum"), threads=[1, 2]), tmp_path / "run")
    scaling = results.tasks[0].scaling
    assert [timing.threads for timing in scaling] == [1, 2]
    assert all(t.speedup_low <= t.speedup <= t.speedup_high for t in scaling)


def test_solve_mode_runs_a_whole_solve_per_task_and_reads_its_history(tmp_path: Path):
    solve = {"population": 2, "generations": 1, "finalists": 1}
    config = quick_eval(suite_folder(tmp_path, "reduce-sum"), mode="solve", solve=solve)
    results = run_eval(config, tmp_path / "run")
    task = results.tasks[0]
    assert task.status is TaskStatus.solved and task.solve_run is not None
    assert (Path(task.solve_run) / "summary.json").is_file()
    rows = results.candidates_of("reduce-sum")
    assert len(rows) >= 2 and task.winner in {row.digest for row in rows}
    assert results.meta.mode is EvalMode.solve
    report = CliRunner().invoke(app, ["report", task.solve_run])  # a solve run gets the same report
    assert report.exit_code == 0, report.output
    assert load_results(Path(task.solve_run)).tasks[0].winner == task.winner


def test_report_command_reads_eval_runs_and_compares_two(tmp_path: Path):
    results = run_eval(quick_eval(suite_folder(tmp_path, "reduce-sum")), tmp_path / "run")
    cli = CliRunner()
    report = cli.invoke(app, ["report", str(tmp_path / "run")])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "run" / "report.html").read_text()
    assert "reduce-sum" in html and "<img" in html
    compare = cli.invoke(app, ["report", str(tmp_path / "run"), str(tmp_path / "run"), "--out", str(tmp_path / "c")])
    assert compare.exit_code == 0 and (tmp_path / "c" / "comparison.html").is_file()
    not_a_run = cli.invoke(app, ["report", str(tmp_path)])
    assert not_a_run.exit_code == 2 and "not a run directory" in " ".join(not_a_run.output.split())
    assert load_results(tmp_path / "run").candidates == results.candidates


def test_a_run_killed_with_sigkill_loses_nothing_already_verified(tmp_path: Path):
    run_dir = tmp_path / "run"
    command = [*_eval_command(tmp_path, samples=4, run_dir=run_dir), "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    before = _wait_for_rows(run_dir / RESULTS_FILE, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    survived = _rows(run_dir / RESULTS_FILE)
    assert len(survived) >= len(before) >= 1

    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    summary = json.loads(finished.stdout)
    assert summary["reused"] == len(survived)
    assert summary["verified_now"] == 4 - len(survived)
    assert {k: v for k, v in _rows(run_dir / RESULTS_FILE).items() if k in survived} == survived


def test_ctrl_c_stops_the_run_soon_and_keeps_what_was_judged(tmp_path: Path):
    run_dir = tmp_path / "run"
    command = _eval_command(tmp_path, samples=4, run_dir=run_dir)  # four different offline rewrites
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(run_dir / RESULTS_FILE, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "to resume" in stderr
    assert 1 <= len(_rows(run_dir / RESULTS_FILE)) < 4  # queued samples were never verified


def _eval_command(tmp_path: Path, *, samples: int, run_dir: Path) -> list[str]:
    """``agent eval`` of reduce-sum's offline samples, one verification at a time, with quick verification."""
    settings = tmp_path / "eval.yaml"
    settings.write_text(yaml.safe_dump({"verify": QUICK_VERIFY.model_dump(mode="json")}))
    suite = suite_folder(tmp_path, "reduce-sum")
    return [sys.executable, "-m", "agents.cli", "eval", str(suite), "--samples", str(samples), "--workers", "1",
            "--backend", "local", "--config", str(settings), "--out", str(run_dir)]  # fmt: skip


def _rows(path: Path) -> dict[int, str]:
    """The committed candidate rows (none while the run is still creating its tables)."""
    with closing(sqlite3.connect(path)) as db:
        try:
            return dict(db.execute("SELECT idx, record FROM candidates").fetchall())
        except sqlite3.OperationalError:
            return {}


def _wait_for_rows(path: Path, process: subprocess.Popen, timeout_s: float = 300) -> dict[int, str]:
    """The committed rows, as soon as there are some but not yet all four."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the eval ended before it could be stopped"
        if path.is_file() and (rows := _rows(path)) and len(rows) < 4:
            return rows
        time.sleep(0.2)
    raise AssertionError("no candidate was committed in time")


def test_eval_cli_rejects_bad_input_with_exit_code_2(tmp_path: Path):
    cli = CliRunner()
    missing = cli.invoke(app, ["eval", str(tmp_path / "nothing"), "--out", str(tmp_path / "run")])
    assert missing.exit_code == 2 and "neither a built-in suite" in " ".join(missing.output.split())
    bad_threads = cli.invoke(app, ["eval", "builtin", "--threads", "1,two"])
    assert bad_threads.exit_code == 2 and "--threads" in bad_threads.output
    both = cli.invoke(app, ["eval", "builtin", "--solve", "--candidates", str(tmp_path)])
    assert both.exit_code == 2


def test_eval_config_needs_a_candidates_dir_in_candidates_mode():
    with pytest.raises(ValueError, match="candidates directory"):
        EvalConfig(suite="builtin", mode="candidates")
