"""Recorded ParEval outputs -> candidate translation units and ``external.json`` with ParEval's verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pareval_paths import CHECKOUT, RESULTS

from evals.pareval import EXTERNAL_FILE, ImportReport, ParEvalError, import_pareval, task_name
from evals.pareval.outputs import RecordedOutput, RecordedRun, clean_output
from evals.records import ExternalVerdict

Imported = tuple[Path, ImportReport]
SCALE_SHIFT = task_name("00_transform_scale_shift")


def test_outputs_become_candidates_in_name_order_with_the_shim(imported: Imported):
    out, report = imported
    folder = out / "candidates" / SCALE_SHIFT
    names = sorted(p.name for p in folder.glob("*.cpp"))
    assert names == ["000.cpp", "001.cpp", "002.cpp", "003.cpp"]  # 3 under its name, 1 matched by its head
    source = (folder / "000.cpp").read_text()
    assert source.index("#include <vector>") < source.index("void scaleShift(std::vector<double> &x, double scale) {")
    assert "#pragma omp parallel for" in source
    assert source.rstrip().endswith(
        "void scaleShift_c(double* x, int64_t n, double scale) {\n"
        "    std::vector<double> x_vec(x, x + static_cast<size_t>(n));\n"
        "    ::scaleShift(x_vec, scale);\n"
        "    std::copy_n(x_vec.begin(), std::min<size_t>(x_vec.size(), static_cast<size_t>(n)), x);\n"
        "}"
    )
    assert report.candidates is not None
    assert report.candidates.written == 4
    assert report.candidates.other_models == 1  # the serial entry


def test_an_output_repeating_the_head_and_missing_its_brace_is_cleaned_as_parEval_does(imported: Imported):
    out, _ = imported
    source = (out / "candidates" / SCALE_SHIFT / "002.cpp").read_text()
    assert source.count("void scaleShift(std::vector<double> &x, double scale) {") == 1
    body = source[source.index("void scaleShift(") : source.index("void scaleShift_c(")]
    assert body.count("{") == body.count("}")


def test_outputs_without_verdicts_get_null_verdicts(imported: Imported):
    out, _ = imported
    external = json.loads((out / "candidates" / SCALE_SHIFT / EXTERNAL_FILE).read_text())
    assert external["source"] == "ParEval"
    assert set(external["samples"]) == {"000.cpp", "001.cpp", "002.cpp", "003.cpp"}
    assert external["samples"]["000.cpp"] == {"built": None, "valid": None, "speedup": None}


def test_unusable_entries_are_reported_with_why(imported: Imported):
    _, report = imported
    assert report.candidates is not None
    reasons = {u.problem: u.reason for u in report.candidates.unmatched}
    assert "struct_type" in reasons["04_geometry_mean_radius"]
    assert "no converted problem" in reasons["99_reduce_product"]


def test_run_results_carry_parevals_build_validity_and_speedup(tmp_path: Path):
    report = import_pareval(CHECKOUT, "omp", tmp_path, outputs=RESULTS)
    assert report.candidates is not None
    [written] = report.candidates.tasks
    assert (written.task, written.samples, written.with_verdicts) == (task_name("01_reduce_count_below"), 3, 3)
    external = json.loads((tmp_path / "candidates" / written.task / EXTERNAL_FILE).read_text())
    verdicts = {
        name: ExternalVerdict(source=external["source"], **fields) for name, fields in external["samples"].items()
    }
    first = verdicts["000.cpp"]
    assert (first.built, first.valid, first.speedup) == (True, True, pytest.approx(4.0))  # 0.008 s / 0.002 s
    assert verdicts["001.cpp"] == ExternalVerdict(source="ParEval", built=True, valid=False, speedup=None)
    assert verdicts["002.cpp"] == ExternalVerdict(source="ParEval", built=False, valid=False, speedup=None)


def test_validity_needs_every_run_valid_and_speedup_uses_the_fastest_valid_run():
    runs = [RecordedRun(is_valid=True, runtime=0.5), RecordedRun(is_valid=True, runtime=0.25)]
    output = RecordedOutput(generated_output="}", did_build=True, best_sequential_runtime=1.0, runs=runs)
    assert output.verdict() == ExternalVerdict(source="ParEval", built=True, valid=True, speedup=4.0)
    slower = output.model_copy(update={"runs": [*runs, RecordedRun(is_valid=False, runtime=0.1)]})
    assert slower.verdict().valid is False
    assert slower.verdict().speedup is None


def test_clean_output_matches_parevals_clean_outputs_script():
    prompt = "/* doc */\nint f(int x) {"
    assert clean_output(prompt, " return x; }") == " return x; }"
    assert clean_output(prompt, " return x; ") == " return x; }"
    assert clean_output(prompt, "int f(int x) { return x; ") == " return x; }"
    assert clean_output(prompt, clean_output(prompt, " return x;")) == clean_output(prompt, " return x;")


def test_a_missing_or_malformed_outputs_file_is_an_error(tmp_path: Path):
    with pytest.raises(ParEvalError, match="cannot read it as JSON"):
        import_pareval(CHECKOUT, "omp", tmp_path / "a", outputs=tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "outputs": []}]))
    with pytest.raises(ParEvalError, match="not a ParEval output record"):
        import_pareval(CHECKOUT, "omp", tmp_path / "b", outputs=bad)


def test_sample_names_sort_in_sample_order_past_a_thousand(tmp_path: Path):
    prompt = next(
        r
        for r in json.loads((CHECKOUT / "prompts" / "generation-prompts.json").read_text())
        if r["name"] == "00_transform_scale_shift" and r["parallelism_model"] == "omp"
    )
    outputs = tmp_path / "many.json"
    outputs.write_text(json.dumps([{**prompt, "outputs": [f"// sample {i}\n}}" for i in range(1001)]}]))
    import_pareval(CHECKOUT, "omp", tmp_path / "out", outputs=outputs)
    names = sorted(p.name for p in (tmp_path / "out" / "candidates" / SCALE_SHIFT).glob("*.cpp"))
    assert names[0] == "0000.cpp" and names[-1] == "1000.cpp"
    assert "// sample 1000" in (tmp_path / "out" / "candidates" / SCALE_SHIFT / "1000.cpp").read_text()
