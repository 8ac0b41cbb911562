"""``agent library list|show|verify|export|rebuild``: output, exit codes, and re-verification."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from rich.console import Console
from typer.testing import CliRunner

import kernels_library
from agents import library_cli
from agents.cli import app
from kernels_library._entry import EntryRecord
from kernels_library.publish import reverify
from tasks import resolve_task

Publish = Callable[..., EntryRecord]
GELU = resolve_task("gelu")
OTHER_MACHINE = "f" * 64
runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables and rules as wide as they need, so that lines can be matched whole."""
    monkeypatch.setattr(library_cli, "console", Console(width=250))


def test_list_prints_a_table_and_json(publish: Publish) -> None:
    publish(GELU, speedup=2.5, run_id="run-42", model="m1")
    publish("reduce-sum", speedup=1.25, hardware=OTHER_MACHINE)
    table = runner.invoke(app, ["library", "list"])
    assert table.exit_code == 0, table.output
    for text in ("gelu v1", "reduce-sum v1", "2.50x [2.40, 2.60]", "run-42"):
        assert text in table.output
    rows = json.loads(runner.invoke(app, ["library", "list", "--json"]).stdout)
    assert [(r["task"], r["speedup"], r["run_id"], r["model"]) for r in rows] == [
        ("gelu", 2.5, "run-42", "m1"),
        ("reduce-sum", 1.25, None, None),
    ]
    mine = json.loads(runner.invoke(app, ["library", "list", "--hardware", "this", "--json"]).stdout)
    assert [r["task"] for r in mine] == ["gelu"]
    assert json.loads(runner.invoke(app, ["library", "list", "sort", "--json"]).stdout) == []


def test_show_prints_speed_verdict_provenance_and_source(publish: Publish) -> None:
    publish(GELU, model="m1")
    result = runner.invoke(app, ["library", "show", "gelu"])
    assert result.exit_code == 0, result.output
    for text in ("gelu v1 [cpp-openmp] #1", "speedup 2.00x (95% CI 1.90-2.10), 25% of roofline", "'model': 'm1'",
                 "correctness", "passed", "void gelu"):  # fmt: skip
        assert text in result.output


def test_show_and_export_fall_back_to_entries_measured_elsewhere(publish: Publish, tmp_path) -> None:
    publish(GELU, hardware=OTHER_MACHINE)
    assert runner.invoke(app, ["library", "show", "gelu"]).exit_code == 0
    assert runner.invoke(app, ["library", "export", "gelu", str(tmp_path / "out")]).exit_code == 0
    assert (tmp_path / "out" / "gelu.cpp").read_text() == GELU.reference.cpp


def test_unknown_names_exit_2() -> None:
    for args in (["show", "gelu"], ["export", "gelu", "/tmp/nowhere"], ["verify", "gelu", "--backend", "nowhere"]):
        result = runner.invoke(app, ["library", *args])
        assert result.exit_code == 2, (args, result.output)
    assert "no usable library entry for 'gelu'" in runner.invoke(app, ["library", "show", "gelu"]).output


def test_verify_flags_rejected_and_broken_entries(publish: Publish, clang: str) -> None:
    publish("reduce-sum", speedup=1.0)  # the sequential reference: as fast as itself
    wrong = publish(GELU, GELU.reference.cpp.replace("0.5", "0.25"), speedup=4.0)
    missing = publish(GELU, GELU.reference.cpp + "\n// lost", speedup=3.0)
    kernels_library.store().object_path(missing.source_digest).unlink()

    result = runner.invoke(app, ["library", "verify", "--backend", "local"])
    assert result.exit_code == 1, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 4}
    assert "rejected correctness.wrong_output" in rows[str(wrong.id)]
    assert "broken" in rows[str(missing.id)]
    assert "ok" in rows["1"]

    only_good = runner.invoke(app, ["library", "verify", "reduce-sum", "--backend", "local"])
    assert only_good.exit_code == 0, only_good.output


def test_reverify_flags_a_regression_on_this_hardware_only(
    publish: Publish, local_sandbox, clang: str, timing_stage: None
) -> None:
    publish(GELU, speedup=1000.0)  # far faster than the reference can ever be re-measured
    publish(GELU, GELU.reference.cpp + "\n// elsewhere", speedup=1000.0, hardware=OTHER_MACHINE)
    here, elsewhere = sorted(kernels_library.list("gelu"), key=lambda e: e.record.hardware == OTHER_MACHINE)
    assert reverify(here, local_sandbox).status == "regression"
    outcome = reverify(elsewhere, local_sandbox)
    assert (outcome.status, outcome.detail) == ("ok", "recorded on other hardware: speeds not compared")
