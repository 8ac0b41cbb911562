"""Preflight: a sandbox without the compiler is named as such before any candidate is judged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import agents.solve
import evals.work
import sandbox as sandbox_package
from agents.cli import app
from sandbox import Job, JobResult, Sandbox
from tasks import resolve_task
from tasks.model import Target
from verifiers.cache import cacheable
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig
from verifiers.diagnostics import toolchain_trouble
from verifiers.toolchain_preflight import ToolchainMissing, missing_pieces, preflight
from verifiers.verdict import Stage, StageStatus

pytestmark = pytest.mark.usefixtures("clang")

FAST = (
    "#include <cmath>\n#include <cstdint>\nvoid reduce_sum(const double* x, int64_t n, double* out) {\n"
    "    double total = 0.0;\n    #pragma omp parallel for reduction(+:total)\n"
    "    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);\n"
    "    out[0] = total;\n}\n"
)


class PathSandbox:
    """A sandbox whose jobs see only the tools in ``bin_dir`` on their PATH (counting the jobs it runs)."""

    def __init__(self, inner: Sandbox, bin_dir: Path) -> None:
        self.inner = inner
        self.bin_dir = bin_dir
        self.name = inner.name
        self.unenforced = inner.unenforced
        self.jobs = 0

    def run(self, job: Job) -> JobResult:
        self.jobs += 1
        return self.inner.run(job.model_copy(update={"env": {**job.env, "PATH": str(self.bin_dir)}}))

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def no_compiler(local_sandbox: Sandbox, bin_without_compiler: Path) -> PathSandbox:
    """The local sandbox with every tool of the usual PATH on its jobs' PATH, except the compiler."""
    return PathSandbox(local_sandbox, bin_without_compiler)


def test_a_complete_toolchain_misses_nothing(local_sandbox: Sandbox):
    assert missing_pieces(local_sandbox, Target.cpp_openmp) == []


def test_a_missing_compiler_is_named_with_the_way_to_get_it(no_compiler: PathSandbox):
    # only the compiler: what it would compile (OpenMP, sanitizer runtimes) is unknown, not missing; Archer is there
    assert missing_pieces(no_compiler, Target.cpp_openmp) == ["the C++ compiler (clang++)"]
    with pytest.raises(ToolchainMissing) as raised:
        preflight(no_compiler, [Target.cpp_openmp])
    assert "clang++" in str(raised.value) and ".ci/install-system.sh" in str(raised.value)
    jobs = no_compiler.jobs
    with pytest.raises(ToolchainMissing):
        preflight(no_compiler, [Target.cpp_openmp])
    assert no_compiler.jobs == jobs  # checked once per sandbox and target


def test_commands_stop_with_exit_code_2_before_judging_any_candidate(
    tmp_path: Path, no_compiler: PathSandbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PARAFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PARAFORGE_HOME", str(tmp_path / "home"))
    for module in (sandbox_package, agents.solve, evals.work):
        monkeypatch.setattr(module, "open_sandbox", lambda backend="auto": no_compiler)
    monkeypatch.setattr(no_compiler, "close", lambda: None)  # the session's local sandbox stays open
    cli = CliRunner()
    candidate = tmp_path / "fast.cpp"
    candidate.write_text(FAST)

    verify = cli.invoke(app, ["verify", "reduce-sum", str(candidate), "--backend", "local"])
    assert verify.exit_code == 2 and "clang++" in verify.output

    runs = tmp_path / "runs"
    solve = cli.invoke(app, ["solve", "reduce-sum", "--backend", "local", "--runs-dir", str(runs)])
    assert solve.exit_code == 2 and "agent solve --resume" in " ".join(solve.output.split())
    assert not list(runs.glob("*/candidates"))  # no candidate was recorded as failed

    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(Path(agents.solve.__file__).parent.parent / "tasks" / "suite" / "reduce-sum.yaml", suite)
    evaluation = cli.invoke(app, ["eval", str(suite), "--backend", "local", "--out", str(tmp_path / "eval")])
    assert evaluation.exit_code == 2 and "clang++" in evaluation.output
    assert not (tmp_path / "eval" / "tasks").exists()

    check = cli.invoke(app, ["tasks", "check", "reduce-sum", "--backend", "local", "--no-bench"])
    assert check.exit_code == 2 and "clang++" in check.output


def test_a_compiler_that_vanishes_mid_run_is_the_verifiers_error_not_the_candidates(no_compiler: PathSandbox):
    task = resolve_task("reduce-sum")
    verdict = evaluate(task, Candidate(source=FAST), no_compiler, config=VerifyConfig(), cache=None)
    failure = verdict.failure
    assert failure is not None and failure.stage is Stage.compile
    assert failure.status is StageStatus.error and failure.reason == "compile.toolchain"
    assert "not the code's fault" in failure.feedback and not cacheable(verdict)


def test_toolchain_messages_are_told_apart_from_code_errors():
    assert toolchain_trouble(127, "sh: 1: clang++: not found") is not None
    assert toolchain_trouble(1, "clang: error: invalid linker name in argument '-fuse-ld=lld'") is not None
    lld = "ld.lld: error: cannot open /usr/lib/clang/14/lib/linux/libclang_rt.tsan-x86_64.a: No such file"
    assert toolchain_trouble(1, lld) == "a sanitizer runtime is missing"
    assert toolchain_trouble(1, "kernel.cpp:3:5: error: use of undeclared identifier 'x'") is None
    assert toolchain_trouble(1, "kernel.cpp:1:10: fatal error: 'libclang_rt.h' file not found") is None
