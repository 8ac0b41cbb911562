"""Recorded ParEval model outputs -> candidate translation units ParaForge can verify.

ParEval stores a model's answers as its prompts file with an ``outputs`` list per entry: strings (the
generated function bodies, from ``generate/``) or, after ``drivers/run-all.py``, objects with the
``generated_output`` and ParEval's verdicts (``did_build``, ``are_all_valid``, ``runs`` with
``is_valid`` and ``runtime`` per thread count, ``best_sequential_runtime``). Each output becomes
``DIR/candidates/<task>/<NNN>.cpp`` (the prompt, the output and the task's C-ABI shim) and each task
folder gets ``external.json`` with ParEval's verdicts::

    {"source": "ParEval", "samples": {"000.cpp": {"built": true, "valid": false, "speedup": null}}}
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from evals.pareval.convert import Conversion
from evals.pareval.report import CandidatesSummary, CandidateTask, UnmatchedOutputs
from evals.pareval.signature import parse_prompt
from evals.pareval.skips import Unconvertible
from evals.pareval.source import PromptRecord, read_records
from evals.records import ExternalVerdict

EXTERNAL_FILE = "external.json"
SOURCE = "ParEval"


class RecordedRun(BaseModel):
    """One run of a built output at one thread count."""

    model_config = ConfigDict(extra="ignore")

    did_run: bool | None = None
    is_valid: bool | None = None
    runtime: float | None = None


class RecordedOutput(BaseModel):
    """One output with ParEval's verdicts (the results file of ``run-all.py``)."""

    model_config = ConfigDict(extra="ignore")

    generated_output: str
    did_build: bool | None = None
    are_all_valid: bool | None = None
    best_sequential_runtime: float | None = None
    runs: list[RecordedRun] | None = None

    def verdict(self) -> ExternalVerdict:
        """ParEval's verdict: valid when every run was valid (as its ``metrics.py`` counts), speedup the
        best sequential time over the fastest valid run (its ``speedup_max``)."""
        runs = self.runs or []
        if self.are_all_valid is not None:
            valid: bool | None = self.are_all_valid
        elif runs:
            valid = all(run.is_valid is True for run in runs)
        else:
            valid = False if self.did_build is False else None
        times = [r.runtime for r in runs if r.is_valid and r.runtime is not None and r.runtime > 0]
        speedup = None
        if valid and times and self.best_sequential_runtime:
            speedup = self.best_sequential_runtime / min(times)
        return ExternalVerdict(source=SOURCE, built=self.did_build, valid=valid, speedup=speedup)


class OutputsEntry(PromptRecord):
    """An entry of a generated-outputs (or results) file."""

    outputs: list[str | RecordedOutput] = []


def read_outputs(path: Path) -> list[OutputsEntry]:
    """The entries of a ParEval outputs file.

    Raises:
        ParEvalError: the file cannot be read, is not a JSON list, or an entry has the wrong shape.
    """
    return read_records(path, OutputsEntry, "a ParEval output record")


def clean_output(prompt: str, output: str) -> str:
    """ParEval's own clean-up (``generate/clean-outputs.py``): drop a repeated function head, close the body.

    Idempotent, so already-cleaned outputs pass through unchanged.
    """
    last_line = prompt.split("\n")[-1].strip()
    if last_line and output.strip().startswith(last_line):
        output = output.replace(last_line, "", 1)
    if _balanced("{" + output + "}"):
        output = output + "}"
    return output


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def candidate_source(conversion: Conversion, prompt: str, output: str, label: str) -> str:
    """A whole translation unit: includes, the prompt, the model's output and the C-ABI shim."""
    return "\n".join(
        [
            f"// {label}, completed into a C-ABI translation unit by `agent import pareval`:",
            "// ParEval's includes, the prompt, the model's output, then the shim ParaForge calls.",
            conversion.prelude,
            "",
            prompt.rstrip(),
            clean_output(prompt.rstrip(), output).rstrip(),
            "",
            conversion.shim.render(conversion.function.name),
            "",
        ]
    )


def write_candidates(
    entries: list[OutputsEntry],
    conversions: dict[str, Conversion],
    skipped: dict[str, str],
    model: str,
    folder: Path,
    source_file: Path,
) -> CandidatesSummary:
    """Write every output of ``model`` whose problem converted, with ``external.json`` per task.

    Args:
        entries: the outputs file's entries.
        conversions: converted problems by ParEval name.
        skipped: why a problem was skipped, by ParEval name and by function head.
        model: the execution model whose outputs to take.
        folder: ``DIR/candidates``.
        source_file: the outputs file, for the summary.
    """
    by_head = _by_head(conversions)
    summary = CandidatesSummary(file=str(source_file), written=0)
    grouped: dict[str, list[tuple[Conversion, OutputsEntry, str | RecordedOutput]]] = {}
    for entry in entries:
        if entry.parallelism_model != model:
            summary.other_models += 1
            continue
        conversion, why = _match(entry, conversions, by_head, skipped)
        if conversion is None:
            summary.unmatched.append(UnmatchedOutputs(problem=entry.name, samples=len(entry.outputs), reason=why))
            continue
        grouped.setdefault(conversion.task.name, []).extend((conversion, entry, o) for o in entry.outputs)
    for task, samples in grouped.items():
        task_folder = folder / task
        task_folder.mkdir(parents=True, exist_ok=True)
        width = max(3, len(str(len(samples) - 1)))  # names sort in sample order
        verdicts: dict[str, dict[str, bool | float | None]] = {}
        for index, (conversion, entry, output) in enumerate(samples):
            name = f"{index:0{width}d}.cpp"
            text = output if isinstance(output, str) else output.generated_output
            label = f"ParEval sample {index} of {entry.name} ({entry.parallelism_model})"
            (task_folder / name).write_text(candidate_source(conversion, entry.prompt, text, label), encoding="utf-8")
            verdicts[name] = _verdict_fields(None if isinstance(output, str) else output.verdict())
        external = {"source": SOURCE, "samples": verdicts}
        (task_folder / EXTERNAL_FILE).write_text(json.dumps(external, indent=2) + "\n", encoding="utf-8")
        with_verdicts = sum(not isinstance(output, str) for _, _, output in samples)
        summary.tasks.append(CandidateTask(task=task, samples=len(samples), with_verdicts=with_verdicts))
        summary.written += len(samples)
    return summary


def _verdict_fields(verdict: ExternalVerdict | None) -> dict[str, bool | float | None]:
    if verdict is None:
        return {"built": None, "valid": None, "speedup": None}
    return {"built": verdict.built, "valid": verdict.valid, "speedup": verdict.speedup}


def _by_head(conversions: dict[str, Conversion]) -> dict[str, Conversion | None]:
    heads: dict[str, Conversion | None] = {}
    for conversion in conversions.values():
        head = conversion.function.head
        heads[head] = None if head in heads else conversion  # None: ambiguous
    return heads


def _head(prompt: str) -> str | None:
    try:
        return parse_prompt(prompt).head
    except Unconvertible:
        return None


def _match(
    entry: OutputsEntry,
    conversions: dict[str, Conversion],
    by_head: dict[str, Conversion | None],
    skipped: dict[str, str],
) -> tuple[Conversion | None, str]:
    """The conversion an entry's outputs belong to (by problem name, else by identical function head)."""
    head = _head(entry.prompt)
    conversion = conversions.get(entry.name)
    if conversion is not None:
        if head != conversion.function.head:
            return None, f"its prompt's function head `{head}` differs from the checkout's `{conversion.function.head}`"
        return conversion, ""
    if head is not None and by_head.get(head) is not None:
        return by_head[head], ""
    why = skipped.get(entry.name) or (skipped.get(head) if head is not None else None)
    if why is not None:
        return None, f"the problem was not converted ({why})"
    return None, "no converted problem has this name or function head"
