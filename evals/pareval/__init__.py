"""Importing ParEval (github.com/parallelcodefoundry/ParEval): its problems as ParaForge tasks, and a model's
recorded outputs as candidates with ParEval's own verdicts beside them.

:func:`import_pareval` is the whole import; ``agent import pareval`` is its command line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evals.pareval.convert import TASK_PREFIX, Conversion, convert_problem, task_name
from evals.pareval.outputs import EXTERNAL_FILE, read_outputs, write_candidates
from evals.pareval.report import REPORT_FILE, ConvertedProblem, ImportReport, SkippedProblem
from evals.pareval.signature import parse_prompt
from evals.pareval.skips import SkipReason, Unconvertible
from evals.pareval.source import IMPORTABLE_MODELS, MODELS, Checkout, ParEvalError, PromptRecord

TASKS_DIR = "tasks"
CANDIDATES_DIR = "candidates"

__all__ = [
    "CANDIDATES_DIR",
    "EXTERNAL_FILE",
    "IMPORTABLE_MODELS",
    "MODELS",
    "REPORT_FILE",
    "TASKS_DIR",
    "ImportReport",
    "ParEvalError",
    "SkipReason",
    "check_model",
    "import_pareval",
    "task_name",
]


def check_model(model: str) -> None:
    """Refuse an execution model that ParEval does not have, or that ParaForge cannot import.

    Raises:
        ParEvalError: the model is unknown or has no ParaForge target.
    """
    if model not in MODELS:
        raise ParEvalError(f"unknown ParEval model '{model}' (ParEval's models: {', '.join(MODELS)})")
    if model not in IMPORTABLE_MODELS:
        raise ParEvalError(
            f"ParaForge cannot import '{model}' prompts: their functions take "
            f"{'Kokkos views' if model == 'kokkos' else 'MPI communication' if 'mpi' in model else 'GPU pointers'}, "
            f"which no C-ABI shim adapts (importable models: {', '.join(IMPORTABLE_MODELS)})"
        )


def import_pareval(
    checkout: Path,
    model: str,
    out: Path,
    *,
    outputs: Path | None = None,
    prompts: Path | None = None,
) -> ImportReport:
    """Convert the ParEval problems of ``model`` into task files, and optionally recorded outputs into candidates.

    Writes ``out/tasks/<task>.yaml`` for every problem that converts, ``out/candidates/<task>/<NNN>.cpp``
    and ``external.json`` for the outputs in ``outputs``, and ``out/import-report.json``. A problem that
    cannot convert is listed in the report with its reason; it never stops the import. What an earlier
    import left there is replaced: task files it wrote that this one does not, and the whole
    ``candidates`` folder when ``outputs`` is given.

    Args:
        checkout: a ParEval checkout.
        model: the execution model whose prompts to convert (``omp`` or ``serial``).
        out: the output folder (created).
        outputs: a ParEval generated-outputs file, or a results file of its ``run-all.py``.
        prompts: another prompts file in ParEval's format, instead of the checkout's.

    Raises:
        ParEvalError: the checkout, the prompts or outputs file, or the model is not usable.
    """
    check_model(model)
    source = Checkout(checkout, prompts)
    entries = read_outputs(outputs) if outputs is not None else None
    report = ImportReport(checkout=str(checkout), prompts=str(source.prompts_path), model=model)
    conversions: dict[str, Conversion] = {}
    why_skipped: dict[str, str] = {}
    """Problem name and function head -> why the problem was skipped, for matching recorded outputs."""
    tasks_dir = out / TASKS_DIR
    tasks_dir.mkdir(parents=True, exist_ok=True)
    for record in sorted(source.prompts(model), key=lambda r: r.name):
        outcome = _convert(source, record, model)
        if isinstance(outcome, SkippedProblem):
            report.skipped.append(outcome)
            why_skipped[record.name] = why_skipped[_head(record.prompt)] = f"{outcome.reason.value}: {outcome.detail}"
            continue
        path = tasks_dir / f"{outcome.task.name}.yaml"
        path.write_text(outcome.yaml_text, encoding="utf-8")
        conversions[record.name] = outcome
        converted = ConvertedProblem(
            problem=record.name,
            problem_type=record.problem_type,
            task=outcome.task.name,
            file=str(path.relative_to(out)),
        )
        report.converted.append(converted)
    written = {tasks_dir / f"{c.task.name}.yaml" for c in conversions.values()}
    for stale in set(tasks_dir.glob(f"{TASK_PREFIX}*.yaml")) - written:
        stale.unlink()
    if entries is not None and outputs is not None:
        shutil.rmtree(out / CANDIDATES_DIR, ignore_errors=True)
        report.candidates = write_candidates(entries, conversions, why_skipped, model, out / CANDIDATES_DIR, outputs)
    (out / REPORT_FILE).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return report


def _convert(source: Checkout, record: PromptRecord, model: str) -> Conversion | SkippedProblem:
    try:
        return convert_problem(source, record, model)
    except Unconvertible as exc:
        reason, detail = exc.reason, exc.detail
    except Exception as exc:  # a driver shape nobody foresaw: skip the problem, never stop the import
        reason, detail = SkipReason.driver_unreadable, f"{type(exc).__name__}: {exc}"
    return SkippedProblem(problem=record.name, problem_type=record.problem_type, reason=reason, detail=detail)


def _head(prompt: str) -> str:
    try:
        return parse_prompt(prompt).head
    except Unconvertible:
        return ""
