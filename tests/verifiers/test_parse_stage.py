"""The parse stage: signature comparison and forbidden constructs (tree-sitter only, no compiler)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks import resolve_task
from verifiers.candidate import Candidate
from verifiers.context import StageContext, VerifyConfig
from verifiers.signature_check import canonical_type
from verifiers.stages.parse import ParseStage
from verifiers.verdict import StageResult, StageStatus

TASK = resolve_task("reduce-sum")
BODY = "{ double t = 0; for (int64_t i = 0; i < n; ++i) t += x[i]; out[0] = t; }"


def parse(source: str, tmp_path: Path, **config: object) -> StageResult:
    ctx = StageContext(
        task=TASK,
        candidate=Candidate(source=source),
        sandbox=None,  # type: ignore[arg-type]  # the parse stage runs no job
        config=VerifyConfig(**config),
        logs_dir=tmp_path,
    )
    return ParseStage()(ctx)


@pytest.mark.parametrize(
    "header",
    [
        "void reduce_sum(const double* x, int64_t n, double* out)",
        "void reduce_sum(double const* __restrict__ const x, std::int64_t const n, double* __restrict out)",
        'extern "C" void reduce_sum(const double x[], long n, double out[1])',
        "void reduce_sum(const double*, long int n, double* out)",
    ],
)
def test_equivalent_spellings_of_the_signature_pass(header: str, tmp_path: Path) -> None:
    result = parse(f"#include <cstdint>\n{header} {BODY}\n", tmp_path)
    assert result.status is StageStatus.passed, result.feedback


def test_the_reference_passes_and_the_log_is_written(tmp_path: Path) -> None:
    result = parse(TASK.reference.cpp, tmp_path)
    assert result.status is StageStatus.passed
    assert result.logs == str(tmp_path / "parse.log")
    assert Path(result.logs).read_text().startswith("passed")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("void reduce_sum(double* x, int64_t n, double* out)", "must be `const double* x`"),
        ("void reduce_sum(const double* x, int64_t n, const double* out)", "must be `double* out`"),
        ("void reduce_sum(const double* x, long long n, double* out)", "different type from `long long`"),
        ("void reduce_sum(const double* x, int32_t n, double* out)", "has type int32_t"),
        ("void reduce_sum(const float* x, int64_t n, double* out)", "has type float"),
        ("void reduce_sum(const double* x, int64_t n, double& out)", "is a reference"),
        ("void reduce_sum(const double* x, int64_t* n, double* out)", "should be a scalar passed by value"),
        ("void reduce_sum(const double* x, int64_t m, double* out)", "is named 'm', expected 'n'"),
        ("void reduce_sum(const double* x, int64_t n)", "it has 2 parameter(s)"),
        ("int reduce_sum(const double* x, int64_t n, double* out)", "it returns int"),
    ],
)
def test_signature_differences_are_named(header: str, fragment: str, tmp_path: Path) -> None:
    result = parse(f"#include <cstdint>\n\n{header} {{ }}\n", tmp_path)
    assert result.status is StageStatus.failed
    assert result.reason == "parse.signature_mismatch"
    assert fragment in result.feedback
    assert "(line 3)" in result.feedback
    assert "void reduce_sum(const double* x, int64_t n, double* out)" in result.feedback


def test_a_definition_inside_a_namespace_or_template_is_not_the_kernel(tmp_path: Path) -> None:
    namespaced = parse(f"namespace k {{ void reduce_sum(const double* x, int64_t n, double* out) {BODY} }}", tmp_path)
    assert "inside a namespace" in namespaced.feedback
    templated = parse(f"template <class T> void reduce_sum(const T* x, int64_t n, T* out) {BODY}", tmp_path)
    assert templated.reason == "parse.signature_mismatch"
    assert "inside a template" in templated.feedback


def test_an_overload_next_to_the_right_definition_passes(tmp_path: Path) -> None:
    source = f"void reduce_sum(const float* x, int64_t n, float* out) {{}}\n{TASK.reference.cpp}"
    assert parse(source, tmp_path).status is StageStatus.passed


def test_missing_function_lists_what_was_defined(tmp_path: Path) -> None:
    source = "void reduce(const double* x, int64_t n, double* out) {}\nstatic int helper() { return 1; }"
    result = parse(source, tmp_path)
    assert result.reason == "parse.missing_function"
    assert "Functions defined: helper, reduce." in result.feedback


def test_unreadable_syntax_leaves_the_signature_to_the_compiler(tmp_path: Path) -> None:
    result = parse("void reduce_sum(const double* x, int64_t n, double* out) {{{ <<<< )", tmp_path)
    assert result.status in (StageStatus.passed, StageStatus.failed)
    weird = parse("KERNEL_BEGIN(reduce_sum) @@@ KERNEL_END", tmp_path)
    assert weird.status is StageStatus.passed
    assert "left to the compiler" in weird.details["note"]


def test_main_is_refused_with_its_line(tmp_path: Path) -> None:
    result = parse(f"{TASK.reference.cpp}\n\nint main() {{ return 0; }}\n", tmp_path)
    assert result.reason == "parse.has_main"
    line = TASK.reference.cpp.count("\n") + 3
    assert f"Line {line} defines main()" in result.feedback


def test_source_size_is_limited(tmp_path: Path) -> None:
    source = TASK.reference.cpp + "// " + "x" * 2000 + "\n"
    result = parse(source, tmp_path, max_source_bytes=1000)
    assert result.reason == "parse.too_large"
    assert str(len(source)) in result.feedback


@pytest.mark.parametrize(
    ("code", "reason", "fragment"),
    [
        ('std::system("ls");', "parse.forbidden_process", "use of 'system'"),
        ("auto f = popen;", "parse.forbidden_process", "use of 'popen'"),
        ("fork();", "parse.forbidden_process", "use of 'fork'"),
        ("kill(1, 9);", "parse.forbidden_process", "call of 'kill'"),
        ("int s = socket(2, 1, 0);", "parse.forbidden_network", "use of 'socket'"),
        ("connect(0, nullptr, 0);", "parse.forbidden_network", "call of 'connect'"),
        ('FILE* f = fopen("a", "r");', "parse.forbidden_file_io", "use of 'fopen'"),
        ('std::ofstream o("a");', "parse.forbidden_file_io", "use of 'ofstream'"),
        ('::open("a", 0);', "parse.forbidden_file_io", "call of 'open'"),
        ("auto p = &open;", "parse.forbidden_file_io", "call of 'open'"),
        ("std::filesystem::path p;", "parse.forbidden_file_io", "use of 'filesystem'"),
        ('const char* e = getenv("HOME");', "parse.forbidden_environment", "use of 'getenv'"),
        ("syscall(39);", "parse.forbidden_syscall", "use of 'syscall'"),
        ('dlopen("libc.so.6", 1);', "parse.forbidden_dynamic_loading", "use of 'dlopen'"),
        ('asm volatile("nop");', "parse.forbidden_asm", "inline assembly"),
        ('__asm__("nop");', "parse.forbidden_asm", "inline assembly"),
    ],
)
def test_forbidden_calls_are_refused_with_their_line(code: str, reason: str, fragment: str, tmp_path: Path) -> None:
    source = f"#include <cstdint>\nvoid reduce_sum(const double* x, int64_t n, double* out) {{\n    {code}\n}}\n"
    result = parse(source, tmp_path)
    assert result.reason == reason, result.feedback
    assert f"line 3: {fragment}" in result.feedback


@pytest.mark.parametrize(
    ("code", "reason", "fragment"),
    [
        ("#include <fstream>", "parse.forbidden_include", "#include <fstream>"),
        ("#include <unistd.h>", "parse.forbidden_include", "#include <unistd.h>"),
        ('#include "reference.cpp"', "parse.forbidden_include", '#include "reference.cpp"'),
        ("#include </etc/passwd>", "parse.forbidden_include", "#include </etc/passwd>"),
        ("#include HEADER", "parse.forbidden_include", "#include HEADER"),
        ("#include_next <cmath>", "parse.forbidden_include", "'#include_next'"),
        ("#define RUN system", "parse.forbidden_process", "'system' in a macro"),
        ("#define JOIN(a, b) a##b", "parse.forbidden_preprocessor", "token pasting"),
        ("int sys\\\ntem_like = 0;", "parse.forbidden_preprocessor", "a line splice"),
    ],
)
def test_forbidden_preprocessor_use_is_refused(code: str, reason: str, fragment: str, tmp_path: Path) -> None:
    result = parse(f"{code}\n{TASK.reference.cpp}", tmp_path)
    assert result.reason == reason, result.feedback
    assert f"line 1: {fragment}" in result.feedback


def test_harmless_lookalikes_pass(tmp_path: Path) -> None:
    source = f"""
#include <functional>
#include <immintrin.h>
#include <omp.h>
#include <bits/stdc++.h>
#include "signature.h"
#define MESSAGE "cannot open the system file"
// fopen, system and getenv in a comment are fine, and so is "exec" in a string.
struct File {{ void open() {{}} int read = 0; }};
void reduce_sum(const double* x, int64_t n, double* out) {BODY}
void helper(File& f) {{ f.open(); auto g = std::bind([] {{}}); (void)g; const char* s = "system"; (void)s; }}
"""
    result = parse(source, tmp_path)
    assert result.status is StageStatus.passed, result.feedback


def test_all_violations_are_listed_first_one_gives_the_reason(tmp_path: Path) -> None:
    source = (
        "#include <cstdlib>\nvoid reduce_sum(const double* x, int64_t n, double* out) {\n"
        '  getenv("A");\n  system("b");\n}\nint main() {}\n'
    )
    result = parse(source, tmp_path)
    assert result.reason == "parse.forbidden_environment"
    assert "line 4: use of 'system'" in result.feedback
    assert [v["line"] for v in result.details["violations"]] == [3, 4]


@pytest.mark.parametrize(
    ("spelling", "meaning"),
    [
        ("long", "int64_t"),
        ("long int", "int64_t"),
        ("signed long", "int64_t"),
        ("unsigned long", "uint64_t"),
        ("std::size_t", "uint64_t"),
        ("long long", "long long"),
        ("int", "int32_t"),
        ("unsigned", "uint32_t"),
        ("short", "int16_t"),
        ("signed char", "int8_t"),
        ("unsigned char", "uint8_t"),
        ("char", "char"),
        ("double", "double"),
        ("std::int32_t", "int32_t"),
        ("real_t", None),
        ("std::vector<double>", None),
    ],
)
def test_canonical_types_follow_lp64(spelling: str, meaning: str | None) -> None:
    assert canonical_type(spelling) == meaning
