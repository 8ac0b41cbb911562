"""Converting the fixture checkout: which problems become tasks, and what the tasks say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pareval_paths import CHECKOUT, GENERATED_OUTPUTS

from evals.pareval import REPORT_FILE, ImportReport, ParEvalError, SkipReason, import_pareval, task_name
from evals.pareval.sizes import LARGEST_TEST_ELEMENTS
from tasks import KernelTask, load_task
from tasks.model import CompareMode, Role
from tasks.validation import check_task

Imported = tuple[Path, ImportReport]


def _task(imported: Imported, problem: str) -> KernelTask:
    out, _ = imported
    task = load_task(out / "tasks" / f"{task_name(problem)}.yaml")
    assert isinstance(task, KernelTask)
    return task


def test_four_problems_convert_and_the_struct_one_is_skipped_with_its_reason(imported: Imported):
    out, report = imported
    assert sorted(c.problem for c in report.converted) == [
        "00_transform_scale_shift", "01_reduce_count_below", "02_stencil_blur_2d", "03_histogram_last_digit",
    ]  # fmt: skip
    [skipped] = report.skipped
    assert (skipped.problem, skipped.reason) == ("04_geometry_mean_radius", SkipReason.struct_type)
    assert "Point" in skipped.detail
    assert report.skipped_by_reason == {"struct_type": 1}
    written = json.loads((out / REPORT_FILE).read_text())
    assert written["skipped_by_reason"] == {"struct_type": 1}
    assert len(written["converted"]) == 4


def test_every_converted_task_loads_and_validates(imported: Imported):
    out, report = imported
    for converted in report.converted:
        task = load_task(out / converted.file)
        assert isinstance(task, KernelTask)
        check_task(task)
        assert task.name == converted.task
        assert task.targets == ["cpp-openmp"]
        assert "pareval" in task.tags
        assert task.signature.function in task.reference.cpp


def test_an_inout_vector_and_a_constant_scalar(imported: Imported):
    task = _task(imported, "00_transform_scale_shift")
    assert task.family.value == "transform"
    assert task.signature.prototype() == "void scaleShift_c(double* x, int64_t n, double scale)"
    assert task.signature.param("x").role is Role.inout
    generators = {g.param: g for g in task.inputs}
    assert (generators["x"].low, generators["x"].high) == (-10.0, 10.0)
    assert (generators["scale"].low, generators["scale"].high) == (0.5, 0.5)  # ctx->scale = 0.5 in init()
    assert task.sizes.bench == [{"n": 1 << 22}]  # problem-sizes.json, omp column
    assert task.comparison("x").mode is CompareMode.close
    assert task.comparison("x").atol == pytest.approx(1e-6)  # fequal(correct, test, 1e-6)
    assert task.description.startswith("Replace every element of x by scale*x + 1.")


def test_a_returned_value_goes_to_an_output_of_one_element(imported: Imported):
    task = _task(imported, "01_reduce_count_below")
    assert (
        task.signature.prototype() == "void countBelow_c(const int32_t* x, int64_t n, int32_t threshold, int32_t* out)"
    )
    out = task.signature.param("out")
    assert (out.role, str(out.shape)) == (Role.output, "1")
    generators = {g.param: g for g in task.inputs}
    assert (generators["x"].low, generators["x"].high) == (0, 99)  # fillRand(x, 0, 100): rand() % 100
    assert (generators["threshold"].low, generators["threshold"].high) == (25, 74)  # rand() % 50 + 25
    assert task.comparison("out").mode is CompareMode.exact
    assert "out[0] = ::correctCountBelow(x_vec, threshold);" in task.reference.cpp


def test_a_size_parameter_becomes_the_size_symbol_of_a_square_grid(imported: Imported):
    task = _task(imported, "02_stencil_blur_2d")
    assert task.signature.prototype() == "void blur2D_c(const double* input, double* output, int64_t N)"
    assert str(task.signature.param("input").shape) == "N * N"
    assert task.signature.param("output").role is Role.output  # std::fill(..., 0.0) in reset()
    assert task.sizes.bench == [{"N": 2048}]
    values = [size["N"] for size in task.sizes.test]
    assert values == [1, 2, 7, 13, 32, 251]  # a grid: small sizes, then the largest prime up to 2048 / 8
    assert task.comparison("output").atol == pytest.approx(1e-5)  # std::abs(...) > 1e-5 in validate()


def test_a_std_array_is_an_output_of_fixed_length(imported: Imported):
    task = _task(imported, "03_histogram_last_digit")
    bins = task.signature.param("bins")
    assert (bins.role, str(bins.shape), bins.dtype.value) == (Role.output, "10", "uint64")
    assert "std::array<size_t, 10> bins_vec{};" in task.reference.cpp
    assert [s["n"] for s in task.sizes.test] == [1, 2, 7, 13, 64, 1009, 131071]  # 131071: prime, <= 2**20 / 8


def test_the_serial_prompts_convert_to_the_same_signatures(tmp_path: Path, imported: Imported):
    report = import_pareval(CHECKOUT, "serial", tmp_path)
    assert len(report.converted) == 4
    serial = load_task(tmp_path / "tasks" / f"{task_name('02_stencil_blur_2d')}.yaml")
    assert isinstance(serial, KernelTask)
    assert serial.signature == _task(imported, "02_stencil_blur_2d").signature
    assert "OpenMP" not in serial.description


def test_a_problem_without_its_driver_is_skipped_not_fatal(checkout_copy: Path, tmp_path: Path):
    (checkout_copy / "drivers/cpp/benchmarks/reduce/01_reduce_count_below/cpu.cc").unlink()
    report = import_pareval(checkout_copy, "omp", tmp_path / "out")
    skipped = {s.problem: s for s in report.skipped}
    assert skipped["01_reduce_count_below"].reason is SkipReason.driver_missing
    assert "cpu.cc" in skipped["01_reduce_count_below"].detail
    assert len(report.converted) == 3


def test_an_input_drawn_by_an_unknown_helper_is_skipped(checkout_copy: Path, tmp_path: Path):
    driver = checkout_copy / "drivers/cpp/benchmarks/transform/00_transform_scale_shift/cpu.cc"
    driver.write_text(driver.read_text().replace("fillRand(ctx->x, -10.0, 10.0);", "fillRandNearlySorted(ctx->x);"))
    report = import_pareval(checkout_copy, "omp", tmp_path / "out")
    skipped = {s.problem: s for s in report.skipped}
    assert skipped["00_transform_scale_shift"].reason is SkipReason.input_generator
    assert "fillRandNearlySorted(ctx->x);" in skipped["00_transform_scale_shift"].detail


def test_a_size_with_a_sparsity_factor_is_skipped(checkout_copy: Path, tmp_path: Path):
    driver = checkout_copy / "drivers/cpp/benchmarks/histogram/03_histogram_last_digit/cpu.cc"
    driver.write_text(
        driver.read_text().replace("ctx->x.resize(DRIVER_PROBLEM_SIZE);", "ctx->x.resize(DRIVER_PROBLEM_SIZE * 0.1);")
    )
    report = import_pareval(checkout_copy, "omp", tmp_path / "out")
    skipped = {s.problem: s for s in report.skipped}
    assert skipped["03_histogram_last_digit"].reason is SkipReason.problem_size


def test_not_a_checkout_missing_prompts_and_bad_models_are_errors(checkout_copy: Path, tmp_path: Path):
    with pytest.raises(ParEvalError, match="not a ParEval checkout"):
        import_pareval(tmp_path, "omp", tmp_path / "out")
    with pytest.raises(ParEvalError, match="not a directory"):
        import_pareval(tmp_path / "missing", "omp", tmp_path / "out")
    with pytest.raises(ParEvalError, match="unknown ParEval model 'openmp'"):
        import_pareval(checkout_copy, "openmp", tmp_path / "out")
    with pytest.raises(ParEvalError, match="cannot import 'kokkos'"):
        import_pareval(checkout_copy, "kokkos", tmp_path / "out")
    (checkout_copy / "prompts" / "generation-prompts.json").unlink()
    with pytest.raises(ParEvalError, match="missing prompts file"):
        import_pareval(checkout_copy, "omp", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_malformed_prompts_file_is_an_error(checkout_copy: Path, tmp_path: Path):
    (checkout_copy / "prompts" / "generation-prompts.json").write_text('{"name": "not a list"}')
    with pytest.raises(ParEvalError, match="expected a JSON list"):
        import_pareval(checkout_copy, "omp", tmp_path / "out")


def test_the_largest_test_size_stays_within_the_element_budget(imported: Imported):
    task = _task(imported, "00_transform_scale_shift")  # bench 2**22: an eighth is over the budget
    largest = task.sizes.test[-1]["n"]
    assert largest <= LARGEST_TEST_ELEMENTS
    assert largest > LARGEST_TEST_ELEMENTS - 100
    assert all(largest % d for d in range(2, int(largest**0.5) + 1))


def test_a_second_import_replaces_what_the_first_wrote(checkout_copy: Path, tmp_path: Path):
    out = tmp_path / "out"
    import_pareval(checkout_copy, "omp", out, outputs=GENERATED_OUTPUTS)
    stale_sample = out / "candidates" / task_name("00_transform_scale_shift") / "009.cpp"
    stale_sample.write_text("// from an earlier import")
    mine = out / "tasks" / "mine.yaml"
    mine.write_text("name: mine")
    driver = checkout_copy / "drivers/cpp/benchmarks/reduce/01_reduce_count_below/cpu.cc"
    driver.write_text(driver.read_text().replace("fillRand(ctx->x, 0, 100);", "fillRandClustered(ctx->x);"))
    report = import_pareval(checkout_copy, "omp", out, outputs=GENERATED_OUTPUTS)
    assert len(report.converted) == 3
    assert not (out / "tasks" / f"{task_name('01_reduce_count_below')}.yaml").exists()
    assert not stale_sample.exists()
    assert mine.exists()  # not a file the importer writes


def test_task_names_are_sanitised():
    assert task_name("21_histogram_bin_0-100") == "pareval-21-histogram-bin-0-100"
    assert task_name("41_sort_k-th_smallest_element") == "pareval-41-sort-k-th-smallest-element"
    assert len(task_name("x" * 100)) <= 64
