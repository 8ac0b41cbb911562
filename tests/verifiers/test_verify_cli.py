"""``agent verify``: exit codes, JSON, and the verdict cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli import app

CANDIDATES = Path(__file__).parent / "candidates" / "reduce-sum"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path / "cache"))


def test_an_accepted_candidate_exits_0_and_is_cached(clang, tmp_path: Path) -> None:
    args = ["verify", "reduce-sum", str(CANDIDATES / "good_reduction.cpp"), "--backend", "local", "--json"]
    first = runner.invoke(app, [*args, "--logs-dir", str(tmp_path / "logs")])
    assert first.exit_code == 0, first.output
    verdict = json.loads(first.stdout)
    assert verdict["accepted"] is True
    assert verdict["cached"] is False
    assert [s["stage"] for s in verdict["stages"]][:5] == ["parse", "compile", "correctness", "race", "memory"]
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert json.loads(again.stdout)["cached"] is True


def test_a_rejected_candidate_exits_1_with_a_table(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["verify", "reduce-sum", str(CANDIDATES / "has_main.cpp"), "--backend", "local", "--no-cache"]
    )
    assert result.exit_code == 1
    for text in ("parse", "parse.has_main", "REJECTED", "defines main()"):
        assert text in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "no-such-task", str(CANDIDATES / "has_main.cpp")],
        ["verify", "reduce-sum", "/no/such/file.cpp"],
        ["verify", "reduce-sum", str(CANDIDATES / "has_main.cpp"), "--backend", "nowhere"],
    ],
    ids=["unknown-task", "missing-file", "unknown-backend"],
)
def test_bad_input_exits_2(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2
