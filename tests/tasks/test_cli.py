"""``agent tasks``: list, show and check, as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agents.cli import app

runner = CliRunner()


def agent(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_list() -> None:
    result = agent("tasks", "list")
    assert result.exit_code == 0, result.output
    assert "reduce-sum" in result.stdout
    assert "Built-in suite" in result.stdout


def test_list_json() -> None:
    result = agent("tasks", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    row = next(r for r in rows if r["name"] == "reduce-sum")
    assert row == {"name": "reduce-sum", "kind": "kernel", "family": "reduce", "targets": ["cpp-openmp"], "tags": []}
    kernels = [r["name"] for r in rows if r["kind"] == "kernel"]
    assert kernels == sorted(kernels) and len(kernels) == 16


def test_show() -> None:
    result = agent("tasks", "show", "reduce-sum")
    assert result.exit_code == 0, result.output
    assert "void reduce_sum(const double* x, int64_t n, double* out)" in result.stdout
    assert "int main" not in result.stdout


def test_show_driver() -> None:
    result = agent("tasks", "show", "reduce-sum", "--driver")
    assert result.exit_code == 0, result.output
    assert "int main(int argc, char** argv)" in result.stdout


def test_show_a_task_file(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    reduce_sum["name"] = "my-sum"
    result = agent("tasks", "show", str(write_task(reduce_sum)))
    assert result.exit_code == 0, result.output
    assert "my-sum" in result.stdout


@pytest.mark.parametrize("command", ["show", "check"])
def test_bad_task_file_exits_2_naming_the_file(
    reduce_sum: dict[str, Any], write_task: Callable[..., Path], command: str
) -> None:
    reduce_sum["name"] = "Bad Name"
    reduce_sum["signature"]["params"][0]["dtype"] = "float128"
    path = write_task(reduce_sum, "a-rather-long-file-name-so-that-the-path-passes-eighty-columns.yaml")
    result = (
        agent("tasks", command, str(path), "--backend", "local")
        if command == "check"
        else agent("tasks", command, str(path))
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: invalid task file", "the path must come out whole, on one line"
    # Printed as is: rich markup must not eat the bracketed regex or field indices.
    assert "  name: String should match pattern '^[a-z][a-z0-9_-]{1,63}$' (got 'Bad Name')" in lines
    assert any(line.startswith("  signature.params[0].dtype: ") for line in lines)


def test_unknown_task_name_exits_2() -> None:
    result = agent("tasks", "show", "no-such-task")
    assert result.exit_code == 2
    assert "no-such-task: invalid task file" in result.stderr
    assert "built-in: " in result.stderr and "reduce-sum" in result.stderr


@pytest.mark.parametrize("args", [[], ["reduce-sum", "--all"]], ids=["nothing", "both"])
def test_check_wants_names_or_all(args: list[str]) -> None:
    result = agent("tasks", "check", *args)
    assert result.exit_code == 2
    assert "give task names/paths, or --all (not both)" in result.stderr


def test_check_reduce_sum(clang: str) -> None:
    result = agent("tasks", "check", "reduce-sum", "--no-bench", "--backend", "local")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.stdout
    assert "tests 5/5" in result.stdout
    assert "1 task(s) checked, all passed" in result.stdout


def test_check_json(clang: str) -> None:
    result = agent("tasks", "check", "reduce-sum", "--no-bench", "--backend", "local", "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert report["task"] == "reduce-sum"
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["bench"] == []
    assert [t["size"] for t in report["tests"]] == [{"n": 0}, {"n": 1}, {"n": 7}, {"n": 1009}, {"n": 100000}]
    assert all(t["ok"] and t["message"] == "matches the oracle" for t in report["tests"])


def test_check_reports_a_wrong_reference(
    clang: str, reduce_sum: dict[str, Any], write_task: Callable[..., Path]
) -> None:
    reduce_sum["reference"]["cpp"] = reduce_sum["reference"]["cpp"].replace("out[0] = total;", "out[0] = 2 * total;")
    path = write_task(reduce_sum)
    result = agent("tasks", "check", str(path), "--no-bench", "--backend", "local", "--json")
    assert result.exit_code == 1, result.output
    [report] = json.loads(result.stdout)
    assert report["ok"] is False
    verdicts = {t["size"]["n"]: t for t in report["tests"]}
    assert verdicts[0]["ok"], "2 * 0 is still right"
    assert not verdicts[7]["ok"]
    assert verdicts[7]["message"].startswith("reference disagrees with the oracle: out: 1 of 1 elements differ")


def test_check_reports_a_reference_that_does_not_build(
    clang: str, reduce_sum: dict[str, Any], write_task: Callable[..., Path]
) -> None:
    """The compiler log echoes the source; brackets in it must not be taken for rich markup."""
    reduce_sum["reference"]["cpp"] = "void reduce_sum(const double* x, long n, double* out) { out[0] = x[; } // [/b]\n"
    path = write_task(reduce_sum)
    result = agent("tasks", "check", str(path), "--no-bench", "--backend", "local")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout
    assert "reference does not build" in result.stdout
    assert "[/b]" in result.stdout
    assert "0 failed" not in result.stdout and "1 failed: reduce-sum" in result.stdout
