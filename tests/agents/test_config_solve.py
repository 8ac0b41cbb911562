"""``agent solve`` on training and serving config tasks: search, proposals, verification, dry run, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agents.cli import app
from agents.model_config import ModelConfig
from agents.solve import solve
from agents.solve_config import SolveConfig
from tasks import resolve_task
from tasks.configs.model import Framework
from verifiers.configs.frameworks import check_config


def task_file(tmp_path: Path, builtin: str, **changes: object) -> Path:
    """A copy of built-in task ``builtin`` with ``changes``, as a task file."""
    data = resolve_task(builtin).model_dump(mode="json", exclude_none=True)
    data.update(changes)
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def quick_train_task(tmp_path: Path) -> str:
    """Llama-3 8B on one node without the dry run (seconds, no torch needed)."""
    return str(task_file(tmp_path, "train-llama3-8b", dry_run=False))


def test_serving_task_is_solved_offline_with_checked_configs_and_a_report(tmp_path: Path):
    summary = solve(SolveConfig(task="serve-llama3-70b"), tmp_path / "runs")
    winner = summary["winner"]
    assert winner is not None and summary["kind"] == "serve_config"
    assert winner["figures"]["tpot_ms"] <= 50 and winner["figures"]["ttft_ms"] <= 1000  # the task's targets
    [config] = winner["configs"]
    assert Path(config).name == "vllm_engine_args.sh"
    assert check_config(Framework.vllm, Path(config).read_text()) == []
    assert summary["verified"] >= 2
    assert all(alt["why"] for alt in summary["alternatives"])
    report = Path(summary["report"]).read_text()
    assert "## Winner" in report and "## Alternatives and why they lost" in report


def test_model_layouts_meet_the_same_verifiers_and_bad_ones_become_feedback(tmp_path: Path):
    reply = json.dumps(
        [
            {"dp": 8, "zero_stage": 3, "rationale": "plain FSDP"},
            {"pp": 2, "vpp": 3, "dp": 4, "rationale": "32 layers do not split into 2 x 3 chunks"},
            "not a layout",
        ]
    )
    model = ModelConfig(model="openai/gpt-4o-mini", mock_response=f"```json\n{reply}\n```")
    config = SolveConfig(task=quick_train_task(tmp_path), proposer="llm", model=model, budget={"generations": 1})
    summary = solve(config, tmp_path / "runs")
    assert summary["winner"] is not None
    assert summary["usage"]["requests"] == 1
    assert summary["failed_by_stage"]["layout"] == 1  # pp 2 x vpp 3
    assert summary["failed_by_stage"]["proposal"] == 1  # the string
    rows = {alt["why"] for alt in summary["alternatives"] if alt["origin"].startswith("openai/gpt-4o-mini")}
    assert any(why.startswith("layout.bad_") and "layers (32)" in why for why in rows), rows


def test_a_dead_model_endpoint_loses_nothing_the_search_found(tmp_path: Path):
    model = ModelConfig(model="openai/none", api_base="http://127.0.0.1:9/v1", api_key="x", timeout_s=2, max_retries=0)
    config = SolveConfig(task="serve-llama3-70b", proposer="llm", model=model, budget={"generations": 1})
    summary = solve(config, tmp_path / "runs")
    assert summary["winner"]["origin"] == "search"
    assert summary["failed_by_stage"]["proposal"] == 1
    assert any("model call failed" in alt["why"] for alt in summary["alternatives"])


def test_layout_files_enter_the_tournament_and_unreadable_ones_are_reported(tmp_path: Path):
    folder = tmp_path / "layouts"
    folder.mkdir()
    (folder / "fsdp.json").write_text(json.dumps({"dp": 8, "zero_stage": 3}))
    (folder / "typo.yaml").write_text("tp: eight\n")
    config = SolveConfig(task=quick_train_task(tmp_path), proposer="directory", candidates_dir=folder)
    summary = solve(config, tmp_path / "runs")
    origins = {alt["origin"]: alt["why"] for alt in summary["alternatives"]}
    assert "not a valid TrainLayout: tp" in origins["file typo.yaml"]
    assert "file fsdp.json" in origins or summary["winner"]["origin"] == "file fsdp.json"


def test_a_model_that_fits_no_layout_gets_the_numbers_and_exit_code_1(tmp_path: Path):
    path = task_file(tmp_path, "train-llama3-8b", name="too-big", model="llama3-405b", cluster={"gpu": "a100-40gb"})
    result = CliRunner().invoke(app, ["solve", str(path), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 1, result.output
    assert "no layout passed verification" in result.output
    assert "GiB per GPU" in result.output and "40.0 GiB" in result.output


def test_a_finished_run_resumes_to_its_summary_and_json_output_parses(tmp_path: Path):
    runs = tmp_path / "runs"
    result = CliRunner().invoke(app, ["solve", "serve-llama3-70b", "--runs-dir", str(runs), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert Path(summary.pop("report_html")).is_file()  # the CLI writes the run's report
    again = solve(None, runs, resume=summary["run_id"])
    assert again == summary


def test_the_winning_training_layout_really_trains_scaled_down(tmp_path: Path):
    pytest.importorskip("torch")
    summary = solve(SolveConfig(task="train-llama3-8b"), tmp_path / "runs")
    dry_run = summary["winner"]["dry_run"]
    assert dry_run["status"] == "passed", dry_run
    losses = dry_run["details"]["losses"]
    assert losses[-1] < losses[0]
    assert {Path(p).name for p in summary["winner"]["configs"]} == {"torchtitan.toml", "megatron_args.sh"}


def test_agent_verify_checks_a_layout_file_of_a_config_task(tmp_path: Path):
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text("tp: 4\nreplicas: 2\n")
    accepted = runner.invoke(app, ["verify", "serve-llama3-70b", str(good), "--json"])
    assert accepted.exit_code == 0, accepted.output
    verdict = json.loads(accepted.stdout[accepted.stdout.index("{") :])
    assert [s["stage"] for s in verdict["stages"]] == ["layout", "memory", "performance", "framework"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"pp": 2, "vpp": 3, "dp": 4}))
    rejected = runner.invoke(app, ["verify", "train-llama3-8b", str(bad)])
    assert rejected.exit_code == 1 and "REJECTED at layout" in rejected.output and "layers (32)" in rejected.output
    typo = tmp_path / "typo.yaml"
    typo.write_text("tensor_parallel: 8\n")
    malformed = runner.invoke(app, ["verify", "train-llama3-8b", str(typo)])
    assert malformed.exit_code == 2 and "tensor_parallel" in malformed.output


def test_agent_tasks_lists_and_shows_config_tasks():
    runner = CliRunner()
    listing = runner.invoke(app, ["tasks", "list", "--json"])
    assert listing.exit_code == 0, listing.output
    kinds = {row["name"]: row["kind"] for row in json.loads(listing.stdout)}
    assert kinds["serve-llama3-70b"] == "serve_config" and kinds["gemm"] == "kernel"
    shown = runner.invoke(app, ["tasks", "show", "train-gpt3-175b"])
    assert shown.exit_code == 0 and "175.2B parameters" in shown.output and "64 GPUs" in shown.output
