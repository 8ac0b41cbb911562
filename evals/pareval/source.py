"""A ParEval checkout on disk: its prompts, problem sizes and per-problem C++ drivers.

The layout read here is ParEval's own (github.com/parallelcodefoundry/ParEval)::

    prompts/generation-prompts.json          [{problem_type, language, name, parallelism_model, prompt}, ...]
    drivers/problem-sizes.json               {name: {model: "(1<<22)", ...}, ...}
    drivers/cpp/utilities.hpp                headers every driver sees
    drivers/cpp/benchmarks/<type>/<name>/    baseline.hpp (sequential baseline), cpu.cc (driver)
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from evals.pareval.cpp import angle_includes

PROMPTS_FILE = Path("prompts") / "generation-prompts.json"
PROBLEM_SIZES_FILE = Path("drivers") / "problem-sizes.json"
BENCHMARKS_DIR = Path("drivers") / "cpp" / "benchmarks"
UTILITIES_FILE = Path("drivers") / "cpp" / "utilities.hpp"
DEFAULT_PROBLEM_SIZE = "(1<<18)"
"""The size ParEval's driver wrapper uses for a problem missing from ``problem-sizes.json``."""

MODELS = ("serial", "omp", "mpi", "mpi+omp", "kokkos", "cuda", "hip")
"""ParEval's execution models."""
IMPORTABLE_MODELS = ("omp", "serial")
"""Models whose prompts ask for plain C++ on ``std::vector``: the ones a C-ABI shim can adapt."""
UTILITY_HEADERS = ("cassert", "cmath", "climits", "cfloat", "string", "complex", "queue", "type_traits")
"""What ``drivers/cpp/utilities.hpp`` includes, for a checkout that lacks the file."""


class ParEvalError(ValueError):
    """A path or file that is not what the importer needs; the message says which and why."""


class PromptRecord(BaseModel):
    """One entry of ``generation-prompts.json`` (also the head of an entry of a generated-outputs file)."""

    model_config = ConfigDict(extra="ignore")

    problem_type: str
    language: str = "cpp"
    name: str
    parallelism_model: str
    prompt: str


@dataclass(frozen=True)
class ProblemFiles:
    """The driver files of one problem."""

    folder: Path
    driver: Path
    """``cpu.cc``: sizes, input generation, the call, validation."""
    baseline: Path
    """``baseline.hpp``: the sequential baseline, ParEval's speedup reference."""


class Checkout:
    """A ParEval checkout, validated on opening."""

    def __init__(self, root: Path, prompts: Path | None = None) -> None:
        """Open the checkout at ``root``.

        Args:
            root: the repository's top folder.
            prompts: another prompts file in ParEval's format (default ``prompts/generation-prompts.json``).

        Raises:
            ParEvalError: ``root`` is not a ParEval checkout, or its prompts file is missing or malformed.
        """
        self.root = root
        if not root.is_dir():
            raise ParEvalError(f"{root}: not a directory")
        if not (root / BENCHMARKS_DIR).is_dir():
            raise ParEvalError(f"{root}: not a ParEval checkout (no {BENCHMARKS_DIR}/ folder)")
        self.prompts_path = prompts if prompts is not None else root / PROMPTS_FILE
        if not self.prompts_path.is_file():
            raise ParEvalError(f"{self.prompts_path}: missing prompts file (ParEval keeps them in {PROMPTS_FILE})")
        self.records = read_prompt_records(self.prompts_path)
        self._sizes = self._read_sizes()

    def prompts(self, model: str) -> list[PromptRecord]:
        """The C++ prompts for execution model ``model``, in file order."""
        return [r for r in self.records if r.parallelism_model == model and r.language == "cpp"]

    def problem_files(self, record: PromptRecord) -> ProblemFiles:
        """Where the driver files of ``record``'s problem are (they may be missing)."""
        folder = self.root / BENCHMARKS_DIR / record.problem_type / record.name
        return ProblemFiles(folder=folder, driver=folder / "cpu.cc", baseline=folder / "baseline.hpp")

    def problem_size(self, name: str, model: str) -> str:
        """ParEval's ``DRIVER_PROBLEM_SIZE`` for ``name`` under ``model``, as written (``(1<<22)``)."""
        return self._sizes.get(name, {}).get(model, DEFAULT_PROBLEM_SIZE)

    def utility_headers(self) -> list[str]:
        """Headers ``utilities.hpp`` includes: every driver, and so every generated function, sees them."""
        path = self.root / UTILITIES_FILE
        if not path.is_file():
            return list(UTILITY_HEADERS)
        return [h for h in angle_includes(path.read_text(encoding="utf-8", errors="replace")) if "." not in h]

    def _read_sizes(self) -> dict[str, dict[str, str]]:
        path = self.root / PROBLEM_SIZES_FILE
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParEvalError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ParEvalError(f"{path}: expected an object of problem names, got {type(data).__name__}")
        return {str(k): {str(m): str(s) for m, s in v.items()} for k, v in data.items() if isinstance(v, dict)}


def read_prompt_records(path: Path) -> list[PromptRecord]:
    """The entries of a prompts file (or of a generated-outputs file, ignoring its outputs).

    Raises:
        ParEvalError: the file is not JSON, not a list, or an entry lacks a field.
    """
    return read_records(path, PromptRecord, "a ParEval prompt")


_Record = TypeVar("_Record", bound=BaseModel)


def read_records(path: Path, model: type[_Record], what: str) -> list[_Record]:
    """The entries of a JSON list file, each validated as ``model`` (``what`` names one in errors).

    Raises:
        ParEvalError: the file cannot be read, is not a JSON list, or an entry has the wrong shape.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ParEvalError(f"{path}: cannot read it as JSON: {exc}") from None
    if not isinstance(data, list):
        raise ParEvalError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    try:
        return [model.model_validate(entry) for entry in data]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ParEvalError(f"{path}: an entry is not {what} ({where}: {first['msg']})") from None


_OPERATORS: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.floordiv,
    ast.LShift: operator.lshift,
    ast.Pow: operator.pow,
}


def problem_size_value(text: str) -> int:
    """The integer a problem size such as ``(1<<22)`` or ``1024*1024`` stands for.

    Raises:
        ValueError: ``text`` is not an integer expression of ``+ - * / << **``.
    """

    def value(node: ast.AST) -> int:
        match node:
            case ast.Constant(value=int() as number) if not isinstance(number, bool):
                return number
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPERATORS:
                return _OPERATORS[type(op)](value(left), value(right))
        raise ValueError(f"not an integer problem size: {text!r}")

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an integer problem size: {text!r}") from None
    return value(tree.body)
