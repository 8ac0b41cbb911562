"""Malformed task files: each is refused with a TaskFileError naming the file, the field and what was expected.

Every case starts from ``reduce-sum.yaml`` as data and makes one mistake, so the mistake is the whole test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks import SUITE_DIR, TaskFileError, load_task, parse_task
from tasks.model import KernelTask

REDUCE_SUM = SUITE_DIR / "reduce-sum.yaml"
Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting the dotted ``path`` (list indices as numbers) to ``value``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            data = data[part]
        data[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            data = data[part]
        del data[last]

    return mutate


def _rename(path: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            data = data[part]
        data[new] = data.pop(last)

    return mutate


def _all(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def _add_param(param: dict[str, Any]) -> Mutation:
    return lambda data: data["signature"]["params"].append(param)


def _add_input(generator: dict[str, Any]) -> Mutation:
    return lambda data: data["inputs"].append(generator)


# (id, mutation, field path in the error, words saying what was expected)
CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown-top-level-field", _rename("description", "descripton"), "descripton", "unknown field"),
    ("unknown-param-field", _rename("signature.params.0.dtype", "dtyp"), "signature.params[0].dtyp", "unknown field"),
    ("unknown-generator-field", _set("inputs.0.hihg", 3), "inputs[0].uniform.hihg", "unknown field"),
    ("missing-work", _delete("work"), "work", "required field is missing"),
    ("missing-param-role", _delete("signature.params.0.role"), "signature.params[0].role", "required field"),
    ("bad-dtype", _set("signature.params.0.dtype", "float128"), "signature.params[0].dtype", "'float64'"),
    ("bad-role", _set("signature.params.2.role", "outptu"), "signature.params[2].role", "'output'"),
    ("bad-family", _set("family", "reduction"), "family", "'reduce'"),
    ("bad-target", _set("targets", ["openmp"]), "targets[0]", "'cpp-openmp'"),
    ("no-targets", _set("targets", []), "targets", "at least 1"),
    ("short-description", _set("description", "sum"), "description", "at least 10 characters"),
    ("name-with-space", _set("name", "Reduce Sum"), "name", "should match pattern"),
    ("name-too-short", _set("name", "r"), "name", "should match pattern"),
    ("version-zero", _set("version", 0), "version", "greater than or equal to 1"),
    ("param-name-not-identifier", _set("signature.params.0.name", "2x"), "signature.params[0].name", "C identifier"),
    ("param-name-keyword", _set("signature.params.0.name", "class"), "signature.params[0].name", "reserved word"),
    ("function-keyword", _set("signature.function", "for"), "signature.function", "reserved word"),
    ("shape-unknown-symbol", _set("signature.params.0.shape", "m"), "signature.params[0].shape", "unknown size symbol"),
    ("shape-call", _set("signature.params.0.shape", "len(n)"), "signature.params[0].shape", "may only use"),
    ("shape-attribute", _set("signature.params.0.shape", "n.real"), "signature.params[0].shape", "may only use"),
    ("shape-import", _set("signature.params.0.shape", "__import__('os')"), "signature.params[0].shape", "may only use"),
    ("shape-true-division", _set("signature.params.0.shape", "n / 2"), "signature.params[0].shape", "may only use"),
    ("shape-float", _set("signature.params.0.shape", 1.5), "signature.params[0].shape", "shape expression"),
    ("shape-unparsable", _set("signature.params.0.shape", "n +"), "signature.params[0].shape", "cannot parse"),
    ("output-without-shape", _delete("signature.params.2.shape"), "signature.params[2]", "needs a shape"),
    ("size-param-float", _set("signature.params.1.dtype", "float64"), "signature.params[1]", "integer dtype"),
    ("size-param-with-shape", _set("signature.params.1.shape", "n"), "signature.params[1]", "remove its shape"),
    ("value-on-input", _set("signature.params.0.value", "n"), "signature.params[0]", "only size parameters"),
    (
        "size-param-not-a-symbol",
        _set("signature.params.1.name", "count"),
        "signature.params[1]",
        "not a size symbol",
    ),
    (
        "duplicate-param",
        _add_param({"name": "x", "dtype": "float64", "role": "input", "shape": "n"}),
        "signature",
        "'x' is used twice",
    ),
    ("param-named-like-function", _set("signature.function", "x"), "signature", "same name as the function"),
    ("no-output", _set("signature.params.2.role", "input"), "signature", "no output or inout"),
    ("no-params", _set("signature.params", []), "signature.params", "at least 1"),
    (
        "generator-fills-unknown-param",
        _set("inputs.0.param", "y"),
        "inputs[0] (uniform)",
        "not a parameter",
    ),
    (
        "generator-fills-output",
        _add_input({"kind": "uniform", "param": "out"}),
        "inputs[1] (uniform)",
        "only inputs and inouts are generated",
    ),
    (
        "generator-fills-twice",
        _add_input({"kind": "normal", "param": "x"}),
        "inputs[1] (normal)",
        "already filled by inputs[0]",
    ),
    ("input-without-generator", _set("inputs", []), "inputs", "no generator fills parameter 'x'"),
    ("generator-unknown-kind", _set("inputs.0.kind", "unifrom"), "inputs[0]", "'uniform'"),
    ("generator-without-kind", _delete("inputs.0.kind"), "inputs[0]", "discriminator 'kind'"),
    ("uniform-low-above-high", _set("inputs.0.low", 20), "inputs[0].uniform", "greater than high"),
    (
        "permutation-of-floats",
        _set("inputs.0", {"kind": "permutation", "param": "x"}),
        "inputs[0] (permutation)",
        "needs an integer parameter",
    ),
    (
        "normal-on-integers",
        _all(_set("signature.params.0.dtype", "int32"), _set("inputs.0", {"kind": "normal", "param": "x"})),
        "inputs[0] (normal)",
        "needs a float parameter",
    ),
    (
        "csr-with-float-indices",
        _all(
            _set("signature.params.0.shape", "n+1"),
            _add_param({"name": "adj", "dtype": "int32", "role": "input", "shape": "nnz"}),
            _set(
                "inputs.0",
                {"kind": "csr_graph", "model": "grid", "vertices": "n", "row_ptr": "x", "col_idx": "adj"},
            ),
        ),
        "inputs[0] (csr_graph)",
        "needs an integer dtype",
    ),
    (
        "generator-defines-a-size-symbol",
        _all(
            _set("signature.params.0", {"name": "rp", "dtype": "int64", "role": "input", "shape": "n+1"}),
            _add_param({"name": "ci", "dtype": "int64", "role": "input", "shape": "n"}),
            _set(
                "inputs.0",
                {"kind": "csr_graph", "model": "grid", "vertices": "n", "row_ptr": "rp", "col_idx": "ci", "nnz": "n"},
            ),
        ),
        "sizes",
        "also defined by an input generator",
    ),
    ("negative-size", _set("sizes.test.0.n", -1), "sizes.test[0].n", "greater than or equal to 0"),
    ("no-test-sizes", _set("sizes.test", []), "sizes.test", "at least 1"),
    (
        "no-degenerate-sizes",
        _set("sizes.test", [{"n": 1000}, {"n": 4096}]),
        "sizes.test",
        "must include degenerate sizes; none has 0 or 1, an odd value above 1, a prime",
    ),
    (
        "inconsistent-size-symbols",
        _set("sizes.test.2", {"m": 7}),
        "sizes.test[2]",
        "expected exactly ['n']",
    ),
    ("bench-size-symbols", _set("sizes.bench.0", {"n": 10, "m": 3}), "sizes.bench[0]", "expected exactly ['n']"),
    ("screen-size-symbols", _set("sizes.screen", [{"m": 3}]), "sizes.screen[0]", "expected exactly ['n']"),
    ("compare-non-output", _set("compare.x", {"mode": "exact"}), "compare.x", "not an output or inout"),
    (
        "compare-close-on-integer",
        _set("signature.params.2.dtype", "int64"),
        "compare.out",
        "mode 'close' is for float outputs",
    ),
    ("compare-bad-mode", _set("compare.out.mode", "approx"), "compare.out.mode", "'close'"),
    ("compare-negative-rtol", _set("compare.out.rtol", -1), "compare.out.rtol", "greater than or equal to 0"),
    ("oracle-syntax-error", _set("reference.numpy", "def oracle(x, n)\n    return x\n"), "reference.numpy", "line 1"),
    ("oracle-not-defined", _set("reference.numpy", "def f(x, n):\n    return x\n"), "reference.numpy", "'oracle"),
    (
        "reference-misses-function",
        _set("reference.cpp", "void total(const double* x, int64_t n, double* out) {}"),
        "reference.cpp",
        "does not mention the function 'reduce_sum'",
    ),
    ("empty-reference", _set("reference.cpp", ""), "reference.cpp", "at least 1 character"),
    ("work-unknown-symbol", _set("work.bytes", "8*m"), "work.bytes", "unknown size symbol(s) ['m']"),
    ("zero-time-limit", _set("limits", {"test_s": 0}), "limits.test_s", "greater than 0"),
    ("knob-not-in-reference", _set("knobs", {"BLOCK": [8, 16]}), "knobs.BLOCK", "the C++ reference never reads it"),
    ("knob-without-values", _set("knobs", {"BLOCK": []}), "knobs.BLOCK", "at least 1 item"),
]


@pytest.mark.parametrize(("mutate", "field", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_mistake_is_reported_with_file_field_and_expectation(
    reduce_sum: dict[str, Any], write_task: Callable[..., Path], mutate: Mutation, field: str, expected: str
) -> None:
    mutate(reduce_sum)
    path = write_task(reduce_sum, "broken.yaml")
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    error = caught.value
    assert error.path == path
    message = str(error)
    assert message.startswith(f"{path}: invalid task file")
    assert any(f == field and expected in m for f, m in error.problems), error.problems
    assert f"  {field}: " in message
    assert expected in message


def test_the_unmodified_file_loads(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    """The baseline every case above mutates is itself valid, so each failure is due to its one mistake."""
    task = load_task(write_task(reduce_sum))
    assert isinstance(task, KernelTask)
    assert task.signature.prototype() == "void reduce_sum(const double* x, int64_t n, double* out)"


def test_every_problem_is_reported_at_once(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    reduce_sum["sizes"]["test"] = [{"n": 1000}]
    reduce_sum["compare"]["x"] = {"mode": "exact"}
    reduce_sum["work"]["flops"] = "k"
    with pytest.raises(TaskFileError) as caught:
        load_task(write_task(reduce_sum))
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["sizes.test", "work.flops", "compare.x"]


def test_field_level_errors_are_all_reported(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    reduce_sum["signature"]["params"][0]["dtype"] = "double"
    reduce_sum["inputs"][0]["kind"] = "gauss"
    reduce_sum["colour"] = "blue"
    with pytest.raises(TaskFileError) as caught:
        load_task(write_task(reduce_sum))
    assert {field for field, _ in caught.value.problems} == {"signature.params[0].dtype", "inputs[0]", "colour"}


# --- Mistakes below the level of task fields: the file itself. ---


def test_yaml_syntax_error_names_line_and_column(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    lines = yaml.safe_dump(reduce_sum, sort_keys=False).splitlines()
    assert lines[1] == "family: reduce"
    lines[1] = "family: reduce: extra"
    path = write_task("\n".join(lines) + "\n")
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    assert caught.value.problems == [("line 2, column 15", "not valid YAML: mapping values are not allowed here")]
    assert str(caught.value).startswith(f"{path}: invalid task file")


def test_unclosed_flow_list_is_a_yaml_error(write_task: Callable[..., Path]) -> None:
    path = write_task("name: reduce-sum\ntags: [a, b\nfamily: reduce\n")
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    [(field, message)] = caught.value.problems
    assert field.startswith("line ")
    assert message.startswith("not valid YAML: ")


def test_tab_indentation_is_a_yaml_error(write_task: Callable[..., Path]) -> None:
    path = write_task("name: reduce-sum\nsignature:\n\tfunction: f\n")
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    assert caught.value.problems[0][0] == "line 3, column 1"


def test_duplicate_key_is_refused(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    """PyYAML keeps the last of two equal keys; a task file must not silently lose the first."""
    text = yaml.safe_dump(reduce_sum, sort_keys=False) + "compare: {}\n"
    line = text.count("\n")
    path = write_task(text)
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    [(field, message)] = caught.value.problems
    assert field == f"line {line}, column 1"
    assert "duplicate key 'compare'" in message


def test_duplicate_nested_key_is_refused(write_task: Callable[..., Path]) -> None:
    text = REDUCE_SUM.read_text()
    assert "out: {mode: close, rtol: 1.0e-9," in text
    text = text.replace("out: {mode: close, rtol: 1.0e-9,", "out: {mode: close, rtol: 1.0e-9, rtol: 0.5,")
    with pytest.raises(TaskFileError, match="duplicate key 'rtol'"):
        load_task(write_task(text))


@pytest.mark.parametrize(
    ("text", "got"),
    [("- name: reduce-sum\n", "list"), ("just a string\n", "str"), ("", "NoneType"), ("42\n", "int")],
    ids=["list", "string", "empty", "number"],
)
def test_top_level_must_be_a_mapping(write_task: Callable[..., Path], text: str, got: str) -> None:
    path = write_task(text)
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    assert caught.value.problems == [("", f"expected a mapping of task fields, got {got}")]
    assert str(caught.value).startswith(f"{path}: invalid task file")


@pytest.mark.parametrize("kind", ["kernal", ["kernel"], 3])
def test_unsupported_task_kind(reduce_sum: dict[str, Any], write_task: Callable[..., Path], kind: Any) -> None:
    reduce_sum["kind"] = kind
    with pytest.raises(TaskFileError) as caught:
        load_task(write_task(reduce_sum))
    [(field, message)] = caught.value.problems
    assert field == "kind"
    assert f"task kind {kind!r} is not supported here (supported: kernel, train_config, serve_config)" == message


def test_explicit_kernel_kind_is_accepted(reduce_sum: dict[str, Any], write_task: Callable[..., Path]) -> None:
    reduce_sum["kind"] = "kernel"
    assert load_task(write_task(reduce_sum)).kind == "kernel"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    assert caught.value.path == path
    assert caught.value.problems == [("", "cannot read the file: No such file or directory")]
    assert str(path) in str(caught.value)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="cannot read the file"):
        load_task(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01name: x\n")
    with pytest.raises(TaskFileError) as caught:
        load_task(path)
    assert "not UTF-8 text" in str(caught.value)
    assert str(path) in str(caught.value)


def test_parse_task_names_its_source(reduce_sum: dict[str, Any]) -> None:
    reduce_sum["name"] = "Bad Name"
    with pytest.raises(TaskFileError) as caught:
        parse_task(yaml.safe_dump(reduce_sum), source="inline.yaml")
    assert str(caught.value).startswith("inline.yaml: invalid task file")


def test_task_file_error_is_a_value_error() -> None:
    """Callers that catch ValueError (CLI, evals) also catch task-file problems."""
    assert issubclass(TaskFileError, ValueError)
