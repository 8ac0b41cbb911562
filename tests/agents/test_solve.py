"""`agent solve` end to end, with the real verifiers and sandbox and scripted models only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from solve_helpers import FAST, RACY, SLOW_FIX, WRONG_SIGNATURE, fenced, quick_config
from typer.testing import CliRunner

import kernels_library
from agents.cli import app
from agents.model_config import ModelConfig
from agents.replay_server import ReplayEntry, ReplayServer
from agents.solve import solve
from agents.solve_config import SolveConfig
from tasks import SUITE_DIR
from verifiers import Verdict

pytestmark = pytest.mark.usefixtures("clang")

PLAN = ReplayEntry(match="different strategies", reply="- split the sum across threads\n- vectorize and reduce")


def llm_config(server: ReplayServer, **overrides: object):
    model = ModelConfig(model="openai/replay", api_base=server.api_base, api_key="test", timeout_s=5, max_retries=0)
    return quick_config(proposer="llm", model=model, **overrides)


def test_offline_solve_publishes_a_verified_winner(tmp_path: Path):
    summary = solve(quick_config(), tmp_path / "runs")
    winner = summary["winner"]
    assert winner is not None and "#pragma omp" in winner["source"]
    assert winner["speedup_low"] <= winner["speedup"] <= winner["speedup_high"]
    run = Path(summary["run_dir"])
    assert (run / "winner.cpp").read_text() == winner["source"]
    verdicts = list(run.glob("candidates/*/verdict.json"))
    assert len(verdicts) == summary["verified"] >= 1
    entry = kernels_library.get("reduce-sum")
    assert entry.source == winner["source"] and entry.provenance.run_id == summary["run_id"]


def test_race_is_repaired_and_the_faster_candidate_wins(tmp_path: Path):
    entries = [
        PLAN,
        ReplayEntry(match="split the sum", reply=fenced(RACY)),
        ReplayEntry(match="vectorize", reply=fenced(FAST)),
        ReplayEntry(match="failed verification", reply=fenced(SLOW_FIX)),
    ]
    with ReplayServer(entries) as server:
        summary = solve(llm_config(server), tmp_path / "runs")
    repairs = [r for r in server.requests if "failed verification" in r["messages"][-1]["content"]]
    assert len(repairs) == 1
    assert "race" in repairs[0]["messages"][-1]["content"] or "wrong" in repairs[0]["messages"][-1]["content"]
    assert summary["winner"]["source"].strip() == FAST.strip()
    assert summary["verified"] == 3  # racy, fast, and the repaired version (accepted but slower)
    assert sum(summary["failed_by_stage"].values()) == 1
    assert summary["usage"]["requests"] == 4


def test_unusable_replies_become_feedback_for_a_repair(tmp_path: Path):
    entries = [
        PLAN,
        ReplayEntry(match="split the sum", reply="I would use OpenMP here."),
        ReplayEntry(match="vectorize", reply=fenced(WRONG_SIGNATURE)),
        ReplayEntry(match="no code block", reply=fenced(FAST)),
        ReplayEntry(match="signature", reply=fenced(SLOW_FIX)),
    ]
    with ReplayServer(entries) as server:
        summary = solve(llm_config(server, repair_rounds=1), tmp_path / "runs")
    prompts = [r["messages"][-1]["content"] for r in server.requests]
    assert any("no code block" in p for p in prompts)  # the garbage reply's problem was sent back
    assert summary["failed_by_stage"].get("proposal") == 1
    assert summary["failed_by_stage"].get("parse") == 1
    assert summary["winner"] is not None


def test_a_model_that_times_out_ends_the_run_cleanly(tmp_path: Path):
    entries = [ReplayEntry(reply="too late", delay_s=3) for _ in range(6)]
    with ReplayServer(entries) as server:
        model = ModelConfig(model="openai/replay", api_base=server.api_base, api_key="t", timeout_s=0.5, max_retries=1)
        summary = solve(quick_config(proposer="llm", model=model, repair_rounds=1), tmp_path / "runs")
    assert summary["winner"] is None
    assert summary["verified"] == 0
    assert summary["failed_by_stage"] == {"proposal": 2}
    assert summary["stop_reason"]


def test_litellm_mock_response_drives_the_llm_proposer(tmp_path: Path):
    model = ModelConfig(model="openai/gpt-4o-mini", mock_response=fenced(FAST))
    summary = solve(quick_config(proposer="llm", model=model, population=1), tmp_path / "runs")
    assert summary["winner"]["source"].strip() == FAST.strip()
    assert summary["usage"]["requests"] == 2  # one plan, one proposal


def test_cli_solve_json_and_bad_task(tmp_path: Path):
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump(quick_config().model_dump(mode="json", exclude={"task"})))
    runner = CliRunner()
    result = runner.invoke(
        app, ["solve", "reduce-sum", "--config", str(settings), "--runs-dir", str(tmp_path / "runs"), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["winner"]["speedup"] > 0
    report = Path(summary["report_html"]).read_text()
    assert "reduce-sum" in report and "Best speedup so far" in report
    bad = runner.invoke(app, ["solve", str(tmp_path / "missing.yaml"), "--runs-dir", str(tmp_path / "runs")])
    assert bad.exit_code == 2 and "missing.yaml" in bad.output


@pytest.mark.slow
def test_a_run_killed_mid_way_resumes_without_losing_work(tmp_path: Path):
    entries = [
        PLAN,
        *[ReplayEntry(match="Strategy to follow", reply=fenced(src)) for src in (FAST, SLOW_FIX, FAST, SLOW_FIX)],
        *[ReplayEntry(match="Strategy to follow", reply=fenced(FAST.replace("total", f"t{i}"))) for i in range(4)],
    ]
    runs = tmp_path / "runs"
    with ReplayServer(entries) as server:
        config = llm_config(server, budget={"generations": 3})
        settings = tmp_path / "settings.yaml"
        settings.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude={"task"})))
        command = [sys.executable, "-m", "agents.cli", "solve", "reduce-sum", "--config", str(settings)]
        process = subprocess.Popen([*command, "--runs-dir", str(runs), "--json"], env=os.environ.copy(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(runs.glob("*/candidates/*/verdict.json")):
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = {p.parent.name for p in runs.glob("*/candidates/*/verdict.json")}
        served = len(server.requests)
        assert before, "the run was killed before it verified anything"
        (run_dir,) = runs.iterdir()
        summary = solve(None, runs, resume=run_dir.name)
        after = {p.parent.name for p in runs.glob("*/candidates/*/verdict.json")}
    assert before <= after
    assert summary["winner"] is not None and summary["generations"] == 3
    replayed = server.requests[served:]
    assert len(replayed) <= len(entries) - served  # cached replies were not requested again


def test_candidates_from_a_directory_meet_in_one_tournament(tmp_path: Path):
    folder = tmp_path / "kernels"
    folder.mkdir()
    (folder / "a_racy.cpp").write_text(RACY)
    (folder / "b_fast.cpp").write_text(FAST)
    (folder / "notes.txt").write_text("not a kernel")
    summary = solve(quick_config(proposer="directory", candidates_dir=folder), tmp_path / "runs")
    assert summary["verified"] == 2
    assert summary["winner"]["origin"].endswith("b_fast.cpp")


def test_a_spent_candidate_budget_stops_the_run_and_still_publishes(tmp_path: Path):
    summary = solve(quick_config(budget={"generations": 5, "max_candidates": 1}), tmp_path / "runs")
    assert summary["verified"] == 1
    assert "candidate budget" in summary["stop_reason"]
    assert summary["winner"] is not None


WRONG_ABOVE_SCREEN = """#include <cmath>
#include <cstdint>
// Right up to n = 100000 (every test and screen size), then sums half the terms.
void reduce_sum(const double* x, int64_t n, double* out) {
    int64_t counted = n > 100000 ? n / 2 : n;
    double total = 0.0;
    #pragma omp parallel for reduction(+:total)
    for (int64_t i = 0; i < counted; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
"""


def screened_task(tmp_path: Path) -> Path:
    """reduce-sum with small screen and bench sizes: n = 60000 in the tournament, 400000 in the final."""
    data = yaml.safe_load((SUITE_DIR / "reduce-sum.yaml").read_text())
    data["sizes"]["screen"], data["sizes"]["bench"] = [{"n": 60_000}], [{"n": 400_000}]
    path = tmp_path / "reduce-sum-screened.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_screened_tournament_is_decided_at_the_bench_size(tmp_path: Path):
    folder = tmp_path / "kernels"
    folder.mkdir()
    (folder / "a_wrong_above_screen.cpp").write_text(WRONG_ABOVE_SCREEN)
    (folder / "b_fast.cpp").write_text(FAST)
    (folder / "c_slow.cpp").write_text(SLOW_FIX)
    config = quick_config(
        proposer="directory", candidates_dir=folder, task=str(screened_task(tmp_path)), finalists=2, population=3
    )
    config.verify.timing = config.verify.timing.model_copy(update={"size": None})
    summary = solve(config, tmp_path / "runs")

    assert summary["verified"] == 3  # all three pass at the screen size
    finals = {final["digest"]: final for final in summary["finals"]}
    assert len(finals) == 2  # the slow one did not reach the final
    run = Path(summary["run_dir"])
    wrong = next(d for d in run.glob("candidates/*") if "half the terms" in (d / "source.cpp").read_text())
    wrong_final = next(f for digest, f in finals.items() if digest.startswith(wrong.name))
    assert wrong_final["speedup"] is None and wrong_final["failure"].startswith("anticheat")
    assert (wrong / "final-verdict.json").exists()
    winner = next(d for d in run.glob("candidates/*") if (d / "source.cpp").read_text() == FAST)
    final = Verdict.model_validate_json((winner / "final-verdict.json").read_text())
    screen = Verdict.model_validate_json((winner / "verdict.json").read_text())
    assert [r.stage for r in final.stages] == [r.stage for r in screen.stages]  # the whole cascade's results...
    assert final.stages[:-2] == screen.stages[:-2]  # ...of which only timing and anti-cheat ran again
    assert final.timing.size == {"n": 400_000} != screen.timing.size
    assert summary["winner"]["origin"].endswith("b_fast.cpp")
    assert summary["winner"]["size"] == {"n": 400_000}  # the published timing is the bench-size one
    assert kernels_library.get("reduce-sum").verdict.timing.size == {"n": 400_000}


def test_an_unscreened_run_has_no_final(tmp_path: Path):
    summary = solve(quick_config(), tmp_path / "runs")  # the timing size is fixed: nothing to screen
    assert summary["finals"] == [] and summary["winner"]["size"] == {"n": 400_000}


def test_verification_settings_keep_the_screen_and_the_final_times_at_the_bench_size():
    config = SolveConfig.model_validate({"task": "reduce-sum", "verify": {"seeds": [3]}})
    tournament, final = config.verify_settings(), config.verify_settings(final=True)
    assert tournament.timing.screen and not final.timing.screen
    assert tournament.seeds == final.seeds == [3]
    assert not SolveConfig.model_validate({"task": "reduce-sum", "screen": False}).verify_settings().timing.screen
