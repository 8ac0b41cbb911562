"""Checks, run inside a sandbox, that its toolchain works: OpenMP builds and runs, TSan + Archer find races.

Every check is a :class:`~sandbox.job.Job` run through the :class:`~sandbox.protocol.Sandbox` protocol,
so the same checks judge the docker image and the host toolchain of the local backend.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.images.spec import ARCHER_LIBRARY, TSAN_ENV
from sandbox.job import Job, JobResult, JobStatus, Limits
from sandbox.protocol import Sandbox

RACE_WARNING = "WARNING: ThreadSanitizer: data race"

_SUM = """#include <cstdio>
#include <omp.h>
int main() {
  long sum = 0;
  int threads = 0;
#pragma omp parallel for PRAGMA
  for (int i = 0; i < 100000; ++i) {
    BODY
  }
  std::printf("sum=%ld threads=%d\\n", sum, threads);
  return sum == 4999950000L ? 0 : 3;
}
"""
OPENMP_SOURCE = _SUM.replace("PRAGMA", "reduction(+ : sum)").replace(
    "BODY", "sum += i;\n    if (i == 0) threads = omp_get_num_threads();"
)
"""Two threads, a reduction: must print ``threads=2`` and the right sum."""
RACY_SOURCE = _SUM.replace("PRAGMA", "").replace("BODY", "sum += i;")
"""A planted race: every thread adds into the shared ``sum``."""
REDUCTION_SOURCE = _SUM.replace("PRAGMA", "reduction(+ : sum)").replace("BODY", "sum += i;")
"""The same loop, race-free; Archer must keep TSan quiet about the reduction."""
OVERFLOW_SOURCE = """#include <cstdlib>
int main(int argc, char **) {
  int *a = static_cast<int *>(std::malloc(4 * sizeof(int)));
  a[4 + argc] = 1;
  int v = a[0];
  std::free(a);
  return v;
}
"""
"""A heap buffer overflow that ASan must report."""

_TSAN = "clang++ -std=c++17 -fopenmp -fsanitize=thread -g -O1 -fno-omit-frame-pointer"
_TOOLS = f"""missing=""
command -v clang++ >/dev/null || missing=" clang++"
echo 'int main() {{ return 0; }}' > lld.cpp
clang++ -fuse-ld=lld lld.cpp -o lld.out 2>/dev/null || missing="$missing ld.lld (package lld-14)"
[ -e {ARCHER_LIBRARY} ] || missing="$missing {ARCHER_LIBRARY}"
[ -z "$missing" ] || {{ echo "missing:$missing"; exit 1; }}
clang++ --version | head -n 1
"""
_EXTRAS = """missing=""
for tool in llvm-symbolizer g++ make valgrind python3; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
python3 -c 'import numpy' 2>/dev/null || missing="$missing python3-numpy"
[ -z "$missing" ] || { echo "missing:$missing"; exit 1; }
echo "llvm-symbolizer, g++, make, valgrind, python3 with numpy"
"""


class CheckStatus(StrEnum):
    """How a check came out. Only ``fail`` makes ``agent sandbox doctor`` exit non-zero."""

    ok = "ok"
    warn = "warn"
    fail = "fail"


Verdict = tuple[CheckStatus, str]


@dataclass(frozen=True)
class ToolchainCheck:
    """One job and the judge of its result."""

    name: str
    description: str
    script: str
    """Shell script run with ``sh -c`` in the job's work dir."""
    judge: Callable[[JobResult], Verdict]
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    required: bool = True
    """A failing optional check is a warning."""

    def job(self, image: str | None = None) -> Job:
        """The job running this check."""
        env = {"OMP_NUM_THREADS": "2", **self.env}
        return Job(
            command=["sh", "-c", self.script],
            files=self.files,
            env=env,
            image=image,
            limits=Limits(wall_s=180, memory_mb=4096, cpus=2),
        )


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check."""

    name: str
    description: str
    status: CheckStatus
    detail: str
    seconds: float


def run_checks(sandbox: Sandbox, image: str | None = None, checks: Sequence[ToolchainCheck] = ()) -> list[CheckOutcome]:
    """Run ``checks`` (default: :data:`CHECKS`) in ``sandbox``, one job each, in order."""
    outcomes = []
    for check in checks or CHECKS:
        started = time.monotonic()
        result = sandbox.run(check.job(image))
        if result.status is JobStatus.sandbox_error:
            status, detail = CheckStatus.fail, f"sandbox error: {result.message}"
        else:
            status, detail = check.judge(result)
        if status is CheckStatus.fail and not check.required:
            status = CheckStatus.warn
        outcomes.append(CheckOutcome(check.name, check.description, status, detail, time.monotonic() - started))
    return outcomes


def _output(result: JobResult) -> str:
    return (result.stdout + result.stderr).strip()


def _failed(result: JobResult) -> Verdict:
    text = _output(result)
    lines = [line for line in text.splitlines() if line.strip() and "LLVMSymbolizer" not in line]
    ended = result.status is JobStatus.ok
    where = f"exit code {result.exit_code}" if ended else f"{result.status.value}: {result.message}"
    return CheckStatus.fail, f"{where}: " + (" | ".join(lines[:3]) or "no output")


def _succeeds(result: JobResult) -> Verdict:
    if result.succeeded and _output(result):
        return CheckStatus.ok, _output(result).splitlines()[-1]
    return _failed(result)


def _two_threads(result: JobResult) -> Verdict:
    if result.succeeded and "threads=2" in result.stdout:
        return CheckStatus.ok, result.stdout.strip()
    if result.succeeded:
        return CheckStatus.fail, f"expected 2 threads, got: {result.stdout.strip()}"
    return _failed(result)


def _race_found(result: JobResult) -> Verdict:
    if RACE_WARNING not in result.stderr:
        if result.status is JobStatus.ok and result.exit_code in (0, 3, 66):
            return CheckStatus.fail, "TSan + Archer missed the planted race"
        return _failed(result)
    if "racy.cpp:" not in result.stderr:
        return CheckStatus.warn, "race found, but the report has no source lines (is llvm-symbolizer on PATH?)"
    return CheckStatus.ok, "planted race found, report symbolized"


def _race_free(result: JobResult) -> Verdict:
    if "ThreadSanitizer" in result.stderr:
        return CheckStatus.fail, "TSan reported the race-free reduction (false positive: Archer not loaded?)"
    return (CheckStatus.ok, "no report") if result.succeeded else _failed(result)


def _overflow_found(result: JobResult) -> Verdict:
    if "AddressSanitizer: heap-buffer-overflow" in result.stderr:
        return CheckStatus.ok, "heap overflow found"
    return (CheckStatus.fail, "ASan missed the heap overflow") if result.status is JobStatus.ok else _failed(result)


CHECKS: tuple[ToolchainCheck, ...] = (
    ToolchainCheck("tools", "clang++, the lld linker and Archer present", _TOOLS, _succeeds),
    ToolchainCheck(
        "extras", "llvm-symbolizer, g++, make, valgrind, python3 + numpy", _EXTRAS, _succeeds, required=False
    ),
    ToolchainCheck(
        "openmp",
        "clang++ -fopenmp builds and runs on 2 threads",
        "clang++ -std=c++17 -O2 -fopenmp omp.cpp -o omp && ./omp",
        _two_threads,
        files={"omp.cpp": OPENMP_SOURCE.encode()},
    ),
    ToolchainCheck(
        "tsan-race",
        "TSan + Archer reports a planted race",
        f"{_TSAN} racy.cpp -o racy && ./racy",
        _race_found,
        files={"racy.cpp": RACY_SOURCE.encode()},
        env={**TSAN_ENV, "PARAFORGE_SANITIZER": "tsan"},
    ),
    ToolchainCheck(
        "tsan-reduction",
        "TSan + Archer stays quiet on a reduction",
        f"{_TSAN} reduction.cpp -o reduction && ./reduction",
        _race_free,
        files={"reduction.cpp": REDUCTION_SOURCE.encode()},
        env={**TSAN_ENV, "PARAFORGE_SANITIZER": "tsan"},
    ),
    ToolchainCheck(
        "asan",
        "ASan reports a heap overflow",
        "clang++ -std=c++17 -g -O1 -fsanitize=address overflow.cpp -o overflow && ./overflow",
        _overflow_found,
        files={"overflow.cpp": OVERFLOW_SOURCE.encode()},
        env={"PARAFORGE_SANITIZER": "asan"},
    ),
)
"""The doctor's checks, cheapest first."""
