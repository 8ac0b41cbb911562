"""``agent import pareval``: the summary table, ``--json`` and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pareval_paths import CHECKOUT, RESULTS
from typer.testing import CliRunner

from agents.import_cli import import_app

runner = CliRunner()


def test_the_command_writes_tasks_and_prints_converted_and_skipped_by_reason(tmp_path: Path):
    result = runner.invoke(import_app, ["pareval", str(CHECKOUT), "--model", "omp", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "converted" in result.output
    assert "struct_type" in result.output
    assert "04_geometry_mean_radius" in result.output
    assert len(list((tmp_path / "tasks").glob("*.yaml"))) == 4
    assert (tmp_path / "import-report.json").is_file()


def test_json_prints_the_report_and_outputs_give_candidates(tmp_path: Path):
    args = ["pareval", str(CHECKOUT), "--out", str(tmp_path), "--outputs", str(RESULTS), "--json"]
    result = runner.invoke(import_app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["converted"]) == 4
    assert report["skipped_by_reason"] == {"struct_type": 1}
    assert report["candidates"]["written"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "not a directory"),
        (["{tmp}"], "not a ParEval checkout"),
        (["{checkout}", "--model", "openmp"], "unknown ParEval model"),
        (["{checkout}", "--model", "cuda"], "cannot import 'cuda'"),
        (["{checkout}", "--prompts", "{missing}"], "missing prompts file"),
        (["{checkout}", "--outputs", "{missing}"], "cannot read it as JSON"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path, args: list[str], message: str):
    values = {"missing": str(tmp_path / "missing"), "tmp": str(tmp_path), "checkout": str(CHECKOUT)}
    argv = ["pareval", *[a.format(**values) for a in args], "--out", str(tmp_path / "out")]
    result = runner.invoke(import_app, argv)
    assert result.exit_code == 2
    assert message in result.output
