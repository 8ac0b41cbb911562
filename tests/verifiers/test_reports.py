"""Reading compiler diagnostics and sanitizer reports (recorded texts; no compiler needed)."""

from __future__ import annotations

from sandbox import JobResult, JobStatus
from tasks import resolve_task
from tasks.harness import driver_source
from verifiers.build import Build
from verifiers.diagnostics import MAX_ERRORS, explain_build_failure, parse_diagnostics
from verifiers.sanitizer_reports import buffer_lines, parse_memory, parse_tsan
from verifiers.verdict import Stage, StageStatus

SIGNATURE = resolve_task("reduce-sum").signature
BUFFERS = buffer_lines(driver_source(SIGNATURE))
X_LINE = next(line for line, name in BUFFERS.items() if name == "x")
OUT_LINE = next(line for line, name in BUFFERS.items() if name == "out")

COMPILE_ERRORS = """kernel.cpp:4:50: error: expected ';' after expression
    for (int64_t i = 0; i < n; ++i) total += x[i]
                                                 ^
                                                 ;
kernel.cpp:5:14: error: use of undeclared identifier 'totl'; did you mean 'total'?
    out[0] = totl;
             ^~~~
             total
kernel.cpp:3:12: note: 'total' declared here
    double total = 0.0;
           ^
kernel.cpp:2:8: warning: unused variable 'k' [-Wunused-variable]
    int k;
        ^
2 errors generated.
"""

RETURN_TYPE = """kernel.cpp:2:5: error: functions that differ only in their return type cannot be overloaded
int reduce_sum(const double* x, int64_t n, double* out) {
~~~ ^
./signature.h:6:17: note: previous declaration is here
extern "C" void reduce_sum(const double* x, int64_t n, double* out);
           ~~~~ ^
1 error generated.
"""

UNDEFINED = """/usr/bin/ld: /tmp/driver-c0d8bc.o: in function `main':
driver.cpp:(.text+0x58a): undefined reference to `reduce_sum'
clang: error: linker command failed with exit code 1 (use -v to see invocation)
"""

TSAN = f"""==================
WARNING: ThreadSanitizer: data race (pid=22662)
  Write of size 8 at 0x7ffc8c34cd48 by thread T3:
    #0 .omp_outlined._debug__ /tmp/paraforge-job-1/work/kernel.cpp:8:15 (kernel+0xd4597) (BuildId: 5a03)
    #1 .omp_outlined. /tmp/paraforge-job-1/work/kernel.cpp:6:5 (kernel+0xd4597)
    #2 __kmp_invoke_microtask <null> (libomp.so.5+0xd55a2) (BuildId: e9e0)

  Previous read of size 8 at 0x7ffc8c34cd48 by main thread:
    #0 .omp_outlined._debug__ /tmp/paraforge-job-1/work/kernel.cpp:8:12 (kernel+0xd45b7) (BuildId: 5a03)
    #1 reduce_sum /tmp/paraforge-job-1/work/kernel.cpp:6:5 (kernel+0xd46ae)

  Location is stack of main thread.

SUMMARY: ThreadSanitizer: data race /tmp/paraforge-job-1/work/kernel.cpp:8:15 in .omp_outlined._debug__
==================
==================
WARNING: ThreadSanitizer: data race (pid=22662)
  Write of size 8 at 0x7ffc8c34cd48 by thread T2:
    #0 .omp_outlined._debug__ /tmp/paraforge-job-1/work/kernel.cpp:8:15 (kernel+0xd4597)

  Previous read of size 8 at 0x7ffc8c34cd48 by thread T1:
    #0 .omp_outlined._debug__ /tmp/paraforge-job-1/work/kernel.cpp:8:12 (kernel+0xd45b7)

SUMMARY: ThreadSanitizer: data race /tmp/paraforge-job-1/work/kernel.cpp:8:15 in .omp_outlined._debug__
==================
WARNING: ThreadSanitizer: data race (pid=22662)
  Atomic write of size 8 at 0x602000000050 by thread T1:
    #0 .omp_outlined. /tmp/paraforge-job-1/work/kernel.cpp:13:16 (kernel+0xd4597)

  Previous write of size 8 at 0x602000000050 by thread T2 (mutexes: write M0):
    #0 .omp_outlined. /tmp/paraforge-job-1/work/kernel.cpp:13:16 (kernel+0xd4597)

  Location is heap block of size 8 at 0x602000000050 allocated by main thread:
    #0 aligned_alloc <null> (kernel+0x4b1a2)
    #1 (anonymous namespace)::allocate(unsigned long, unsigned long*) /tmp/w/driver.cpp:35:12 (kernel+0xd1)
    #2 main /tmp/w/driver.cpp:{OUT_LINE}:21 (kernel+0xd2)

SUMMARY: ThreadSanitizer: data race /tmp/paraforge-job-1/work/kernel.cpp:13:16 in .omp_outlined.
==================
WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=5)
  Cycle in lock order graph: M0 => M1 => M0
SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) in main
"""

ASAN = f"""=================================================================
==23812==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x625000002088 at pc 0x55 bp 0x7f sp 0x7f
READ of size 8 at 0x625000002088 thread T0
    #0 0x55dba5baf386 in reduce_sum /tmp/vt/kernel.cpp:5:47
    #1 0x55dba5bacbb5 in main /tmp/vt/driver.cpp:96:9

0x625000002088 is located 0 bytes to the right of 8072-byte region [0x625000000100,0x625000002088)
allocated by thread T0 here:
    #0 0x55dba5b6fe07 in __interceptor_posix_memalign (/tmp/vt/ka+0xa6e07) (BuildId: fa95)
    #1 0x55dba5bad51b in (anonymous namespace)::allocate(unsigned long, unsigned long*) /tmp/vt/driver.cpp:30:9
    #2 0x55dba5baca0f in main /tmp/vt/driver.cpp:{X_LINE}:21

SUMMARY: AddressSanitizer: heap-buffer-overflow /tmp/vt/kernel.cpp:5:47 in reduce_sum
==23812==ABORTING
"""

UBSAN = """kernel.cpp:6:20: runtime error: signed integer overflow: 1009 * 2147483 cannot be represented in type 'int'
    #0 0x559b55423317 in reduce_sum /tmp/vt/kernel.cpp:6:20
    #1 0x559b55420bb5 in main /tmp/vt/driver.cpp:96:9

SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior kernel.cpp:6:20 in
"""


def _build(log: str, status: JobStatus = JobStatus.ok, message: str = "") -> Build:
    return Build(result=JobResult(status=status, exit_code=1, stderr=log, message=message), binary=None)


def test_diagnostics_keep_their_excerpts() -> None:
    found = parse_diagnostics(COMPILE_ERRORS)
    assert [(d.file, d.line, d.severity) for d in found] == [
        ("kernel.cpp", 4, "error"),
        ("kernel.cpp", 5, "error"),
        ("kernel.cpp", 3, "note"),
        ("kernel.cpp", 2, "warning"),
    ]
    assert found[1].excerpt == ["    out[0] = totl;", "             ^~~~", "             total"]


def test_compile_errors_point_at_the_candidates_lines() -> None:
    failure = explain_build_failure(_build(COMPILE_ERRORS), SIGNATURE)
    assert failure.reason == "error"
    assert failure.line == 4
    text = failure.feedback
    assert "line 4 of your code: error: expected ';' after expression" in text
    assert "line 3 of your code: note: 'total' declared here" in text
    assert "kernel.cpp" not in text
    assert "unused variable" not in text, "warnings are left out when there are errors"


def test_errors_beyond_the_limit_are_counted() -> None:
    log = "".join(f"kernel.cpp:{i}:1: error: problem {i}\n" for i in range(1, 8))
    failure = explain_build_failure(_build(log), SIGNATURE)
    assert f"problem {MAX_ERRORS}" in failure.feedback
    assert f"problem {MAX_ERRORS + 1}" not in failure.feedback
    assert f"({7 - MAX_ERRORS} more errors not shown)" in failure.feedback


def test_the_generated_declaration_is_quoted() -> None:
    failure = explain_build_failure(_build(RETURN_TYPE), SIGNATURE)
    assert "line 2 of your code: error: functions that differ only in their return type" in failure.feedback
    assert "the kernel's declaration (signature.h, included before your code): note" in failure.feedback
    assert 'extern "C" void reduce_sum(const double* x, int64_t n, double* out);' in failure.feedback


def test_an_undefined_kernel_symbol_explains_the_prototype() -> None:
    failure = explain_build_failure(_build(UNDEFINED), SIGNATURE)
    assert failure.reason == "missing_symbol"
    assert 'extern "C" void reduce_sum(const double* x, int64_t n, double* out);' in failure.feedback
    other = explain_build_failure(_build(UNDEFINED.replace("reduce_sum", "helper")), SIGNATURE)
    assert other.reason == "link_error"
    assert "`helper`" in other.feedback


def test_build_trouble_that_is_not_the_candidates_fault_is_an_error() -> None:
    assert explain_build_failure(_build("", JobStatus.timeout, "wall time"), SIGNATURE).reason == "timeout"
    broken = explain_build_failure(_build("", JobStatus.sandbox_error, "no docker"), SIGNATURE)
    assert broken.verifier_fault
    result = broken.result(Stage.compile, "compile", logs="compile.log")
    assert (result.status, result.reason) == (StageStatus.error, "compile.sandbox")


def test_tsan_reports_give_lines_operations_and_places() -> None:
    reports = parse_tsan(TSAN, BUFFERS)
    assert len(reports) == 3, "the second report repeats the first race's lines and is dropped"
    first, heap, inversion = reports
    assert first.reason == "race.data_race"
    assert [(a.op, a.line, a.previous) for a in first.accesses] == [("write", 8, False), ("read", 8, True)]
    assert first.accesses[0].thread == "thread T3"
    assert first.location == "stack of main thread"
    assert [a.op for a in heap.accesses] == ["atomic write", "write"]
    assert heap.lines == (13, 13)
    assert heap.location == "heap block"
    assert heap.buffer == "out"
    assert inversion.reason == "race.lock_order_inversion"


def test_asan_report_names_the_parameter() -> None:
    report = parse_memory(ASAN, BUFFERS)
    assert report is not None
    assert report.reason == "memory.heap_buffer_overflow"
    assert report.message == "READ of size 8"
    assert report.line == 5
    assert report.region == "0 bytes to the right of 8072-byte region"
    assert report.buffer == "x"


def test_ubsan_report_is_classified() -> None:
    report = parse_memory(UBSAN, BUFFERS)
    assert report is not None
    assert report.ubsan
    assert report.reason == "memory.signed_overflow"
    assert report.line == 6
    assert report.message.startswith("signed integer overflow: 1009 * 2147483")


def test_no_report_is_none() -> None:
    assert parse_memory("driver: cannot open in/x.bin\n", BUFFERS) is None
    assert parse_tsan("ThreadSanitizer: reported 0 warnings\n", BUFFERS) == []
