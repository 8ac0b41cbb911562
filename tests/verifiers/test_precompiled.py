"""Precompiled standard headers: which headers a source opens with, and builds that use (or fall back from) them."""

from __future__ import annotations

import logging

import pytest

import verifiers.build
import verifiers.timing.bundle
from sandbox import Job, JobResult, Sandbox
from tasks import resolve_task
from verifiers.build import build_kernel
from verifiers.precompiled import Precompiled, leading_headers
from verifiers.timing.bundle import build_bundle
from verifiers.toolchain import Flavour

TASK = resolve_task("reduce-sum")
KERNEL = """// a kernel
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += x[i];
    out[0] = total + std::sqrt(0.0);
}
"""


class Recording:
    """The local sandbox, keeping every job it runs."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner, self.jobs = inner, []
        self.name, self.unenforced = inner.name, inner.unenforced

    def run(self, job: Job) -> JobResult:
        self.jobs.append(job)
        return self.inner.run(job)

    def close(self) -> None:
        pass

    def commands(self, needle: str) -> list[str]:
        """The jobs' command lines that contain ``needle``."""
        return [line for job in self.jobs if needle in (line := " ".join(job.command))]


@pytest.mark.parametrize(
    ("source", "headers"),
    [
        (KERNEL, ("cmath", "cstdint")),
        ("/* intro */\n#include <omp.h>\n// note\n#include <vector>\n#include <omp.h>\nint x;", ("omp.h", "vector")),
        ("#include <cmath>\n#define N 4\n#include <vector>\n", ("cmath",)),
        ('#include "signature.h"\n#include <cmath>\n', ()),
        ("#include <cmath>\n#include <sys/socket.h>\n#include <vector>\n", ("cmath",)),
        ("#ifdef X\n#include <cmath>\n#endif\n", ()),
        ("void f() {}\n#include <cmath>\n", ()),
    ],
    ids=["two", "comments", "stops-at-define", "quoted-first", "stops-at-non-standard", "conditional", "late"],
)
def test_leading_headers_are_the_standard_includes_before_any_other_code(source: str, headers: tuple) -> None:
    assert leading_headers(source) == headers


def test_a_kernel_is_compiled_with_the_pch_of_its_includes_built_once(local_sandbox: Sandbox, clang: str) -> None:
    sandbox = Recording(local_sandbox)
    first = build_kernel(TASK, KERNEL, sandbox, Flavour.asan)
    second = build_kernel(TASK, KERNEL.replace("a kernel", "another kernel"), sandbox, Flavour.asan)
    assert first.ok and second.ok, first.log + second.log
    compiles = sandbox.commands("kernel.cpp")
    assert len(compiles) == 2 and all("-include-pch" in line for line in compiles), compiles
    assert len(sandbox.commands("c++-header")) <= 1  # none if an earlier test built the same one


def test_a_broken_pch_falls_back_to_a_plain_build(
    local_sandbox: Sandbox, clang: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Precompiled("std-broken.pch", b"not a precompiled header")
    monkeypatch.setattr(verifiers.build, "precompiled_headers", lambda *args: broken)
    sandbox = Recording(local_sandbox)
    with caplog.at_level(logging.WARNING, logger="verifiers.build"):
        build = build_kernel(TASK, KERNEL, sandbox)
    assert build.ok, build.log
    assert [("-include-pch" in line) for line in sandbox.commands("kernel.cpp")] == [True, False]
    assert "builds without its precompiled header" in caplog.text


def test_a_kernel_that_does_not_compile_reports_the_plain_build_errors(local_sandbox: Sandbox, clang: str) -> None:
    sandbox = Recording(local_sandbox)
    build = build_kernel(TASK, KERNEL.replace("total += x[i];", "total += y[i];"), sandbox)
    assert not build.ok
    assert "use of undeclared identifier 'y'" in build.log
    assert "-include-pch" not in sandbox.commands("kernel.cpp")[-1]


def test_the_timing_bundle_compiles_kernels_with_a_pch_and_falls_back_from_a_broken_one(
    local_sandbox: Sandbox, clang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Recording(local_sandbox)
    bundle = build_bundle(TASK, [TASK.reference.cpp, KERNEL], sandbox, inspect=1)
    assert bundle.ok, bundle.failures
    assert "-include-pch" in sandbox.commands("kernel_1.cpp")[-1]

    broken = Precompiled("std-broken.pch", b"not a precompiled header")
    monkeypatch.setattr(verifiers.timing.bundle, "precompiled_headers", lambda *args: broken)
    sandbox.jobs.clear()
    bundle = build_bundle(TASK, [TASK.reference.cpp, KERNEL.replace("a kernel", "kernel 2")], sandbox, inspect=1)
    assert bundle.ok, bundle.failures
    assert [("-include-pch" in line) for line in sandbox.commands("kernel_1.cpp")] == [True, False]
    assert bundle.symbols is not None and "reduce_sum" in bundle.symbols.defined
