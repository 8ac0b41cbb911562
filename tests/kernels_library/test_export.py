"""Export (standalone source, header, CMakeLists.txt) and import, which re-verifies before it accepts."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import kernels_library
from agents.cli import app
from kernels_library._entry import EntryRecord
from kernels_library._export import ENTRY_FILE, TASK_FILE, export_entry, read_export
from tasks import resolve_task, suite_tasks
from tasks.compare import compare_outputs
from tasks.instance import make_instance
from tasks.model import KernelTask
from tasks.oracle import run_oracle

Publish = Callable[..., EntryRecord]
REDUCE_SUM = resolve_task("reduce-sum")
runner = CliRunner()


def _export(publish: Publish, directory: Path, task: str = "reduce-sum", **provenance: object) -> Path:
    publish(task, **provenance)
    result = runner.invoke(app, ["library", "export", task, str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def test_an_export_builds_with_cmake_alone_and_computes_the_right_answer(publish: Publish, tmp_path: Path) -> None:
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed (apt-get install cmake)")
    folder = _export(publish, tmp_path / "export")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["reduce_sum.cpp", "reduce_sum.h", "CMakeLists.txt", TASK_FILE, ENTRY_FILE]
    )
    build = tmp_path / "build"
    for command in (["cmake", "-S", str(folder), "-B", str(build)], ["cmake", "--build", str(build)]):
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    library = ctypes.CDLL(str(build / "libreduce_sum.so"))
    instance = make_instance(REDUCE_SUM, {"n": 1009}, seed=3)
    x, out = instance.initial(REDUCE_SUM.signature.param("x")), np.zeros(1)
    library.reduce_sum(x.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(x.size), out.ctypes.data_as(ctypes.c_void_p))
    assert not compare_outputs(REDUCE_SUM, run_oracle(instance), {"out": out})


@pytest.mark.parametrize("task", suite_tasks(), ids=lambda task: task.name)
def test_every_export_reads_back_and_compiles_without_paraforge(
    task: KernelTask, publish: Publish, tmp_path: Path, clang: str
) -> None:
    record = publish(task, run_id="run-7", model="m")
    files = export_entry(record, task.reference.cpp, tmp_path)
    task_back, source_back, facts = read_export(tmp_path)
    assert (task_back, source_back) == (task, task.reference.cpp)
    assert facts is not None and (facts.speedup, facts.provenance.run_id) == (2.0, "run-7")
    function = task.signature.function
    assert task.signature.prototype() in (tmp_path / f"{function}.h").read_text()
    done = subprocess.run(
        [clang, "-std=c++17", "-fopenmp", "-fsyntax-only", "-include", f"{function}.h", f"{function}.cpp"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(files) == 5


def test_importing_an_export_whose_code_was_tampered_with_is_rejected(
    publish: Publish, tmp_path: Path, clang: str
) -> None:
    folder = _export(publish, tmp_path / "export")
    source = folder / "reduce_sum.cpp"
    source.write_text(source.read_text().replace("std::sin", "std::cos"))
    assert "std::cos" in source.read_text()
    result = runner.invoke(app, ["library", "import", str(source), "--backend", "local"])
    assert result.exit_code == 1, result.output
    assert "rejected" in result.output and "correctness" in result.output
    assert len(kernels_library.list()) == 1


def test_importing_an_export_whose_task_was_tampered_with_is_refused(publish: Publish, tmp_path: Path) -> None:
    folder = _export(publish, tmp_path / "export")
    task = yaml.safe_load((folder / TASK_FILE).read_text())
    task["reference"]["numpy"] = task["reference"]["numpy"].replace("np.sin", "np.cos")
    (folder / TASK_FILE).write_text(yaml.safe_dump(task, sort_keys=False))
    result = runner.invoke(app, ["library", "import", str(folder), "--backend", "local"])
    assert result.exit_code == 1, result.output
    assert "differs from the built-in one" in result.output
    assert len(kernels_library.list()) == 1


def test_importing_an_intact_export_verifies_and_stores_it(
    publish: Publish, tmp_path: Path, clang: str, timing_stage: None
) -> None:
    folder = _export(publish, tmp_path / "export", model="exporter-model", run_id="run-1")
    result = runner.invoke(app, ["library", "import", str(folder), "--backend", "local"])
    assert result.exit_code == 0, result.output
    imported = max(kernels_library.list(), key=lambda e: e.record.id)
    assert (imported.provenance.model, imported.provenance.run_id) == ("exporter-model", "run-1")
    assert imported.provenance.toolchain  # this machine's compiler, which verified it
    assert imported.verdict.timing is not None and imported.speedup == imported.verdict.timing.speedup


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda folder: (folder / TASK_FILE).unlink(), "needs the task definition task.yaml"),
        (lambda folder: (folder / "reduce_sum.cpp").unlink(), "no kernel source"),
        (lambda folder: (folder / ENTRY_FILE).write_text("{"), "Invalid JSON|Expecting"),
        (
            lambda folder: (folder / ENTRY_FILE).write_text(
                json.dumps({**json.loads((folder / ENTRY_FILE).read_text()), "task": "gelu"})
            ),
            "describes task 'gelu'",
        ),
    ],
    ids=["no-task", "no-source", "bad-entry-json", "entry-of-another-task"],
)
def test_a_broken_export_is_bad_input(
    publish: Publish, tmp_path: Path, break_it: Callable[[Path], object], message: str
) -> None:
    folder = _export(publish, tmp_path / "export")
    break_it(folder)
    result = runner.invoke(app, ["library", "import", str(folder), "--backend", "local"])
    assert result.exit_code == 2, result.output
    assert any(part in result.output.replace("\n", " ") for part in message.split("|")), result.output
