"""The parse stage refuses a loop counter or index narrower than the size it runs over."""

from __future__ import annotations

from pathlib import Path

from tasks import resolve_task
from verifiers.candidate import Candidate
from verifiers.context import StageContext, VerifyConfig
from verifiers.stages.parse import ParseStage
from verifiers.verdict import StageResult, StageStatus

TASK = resolve_task("reduce-sum")
HEADER = "#include <cstdint>\nvoid reduce_sum(const double* x, int64_t n, double* out) {\n"


def parse(source: str, tmp_path: Path) -> StageResult:
    ctx = StageContext(
        task=TASK,
        candidate=Candidate(source=source),
        sandbox=None,  # type: ignore[arg-type]  # the parse stage runs no job
        config=VerifyConfig(),
        logs_dir=tmp_path,
    )
    return ParseStage()(ctx)


def test_an_int_counter_over_an_int64_size_is_refused_with_line_types_and_fix(tmp_path: Path) -> None:
    result = parse(
        HEADER + "    double t = 0;\n    for (int i = 0; i < n; ++i) t += x[i];\n    out[0] = t;\n}\n", tmp_path
    )
    assert result.status is StageStatus.failed
    assert result.reason == "parse.narrow_index"
    assert "line 4: loop counter `i` is `int` but runs up to `n` (`int64_t`)" in result.feedback
    assert "declare it as `int64_t`" in result.feedback
    assert [(f["line"], f["variable"], f["size_type"]) for f in result.details["findings"]] == [(4, "i", "int64_t")]


def test_an_index_computed_from_a_size_names_the_fix(tmp_path: Path) -> None:
    body = "    for (size_t i = 0; i < (size_t)n; ++i) { unsigned j = i; out[0] += x[j]; }\n}\n"
    result = parse(HEADER + body, tmp_path)
    assert result.reason == "parse.narrow_index"
    assert "index `j` is `unsigned` but is set to `i` (`size_t`)" in result.feedback
    assert "declare it as `std::int64_t` (or `size_t`, the size's type)" in result.feedback


def test_a_wrong_signature_is_reported_before_index_widths(tmp_path: Path) -> None:
    source = "void reduce_sum(const double* x, int n, double* out) { for (int i = 0; i < n; ++i) out[0] += x[i]; }"
    assert parse(source, tmp_path).reason == "parse.signature_mismatch"


def test_a_wide_counter_passes(tmp_path: Path) -> None:
    source = HEADER + "    for (int64_t i = 0; i < n; ++i) out[0] += x[i];\n}\n"
    assert parse(source, tmp_path).status is StageStatus.passed
