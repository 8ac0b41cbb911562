"""Recorded candidates: per-task subfolders of sources written elsewhere, with a benchmark's own verdicts.

``DIR/<task>/*.cpp`` (also ``.cc``, ``.cxx``) are one task's candidates, judged in name order. An
optional ``DIR/<task>/external.json`` carries what the benchmark that produced them said::

    {"source": "ParEval", "samples": {"0.cpp": {"built": true, "valid": true, "speedup": 1.8}}}
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from evals.records import ExternalVerdict
from verifiers import Candidate

SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++")
EXTERNAL_FILE = "external.json"


class RecordedVerdicts(BaseModel):
    """The contents of ``external.json``."""

    model_config = ConfigDict(extra="forbid")

    source: str
    samples: dict[str, dict[str, bool | float | None]]


class RecordedCandidatesError(ValueError):
    """A recorded-candidates folder that cannot be read; the message names the file."""


def recorded_candidates(root: Path, task: str) -> list[tuple[Candidate, ExternalVerdict | None]]:
    """``task``'s recorded candidates under ``root``, in file name order (empty when it has none)."""
    folder = root / task
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file())
    verdicts = _external(folder / EXTERNAL_FILE)
    found = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RecordedCandidatesError(f"{path}: cannot read the candidate: {exc}") from None
        external = None
        if verdicts is not None and path.name in verdicts.samples:
            external = ExternalVerdict(source=verdicts.source, **verdicts.samples[path.name])  # type: ignore[arg-type]
        found.append((Candidate(source=source, origin=str(path)), external))
    return found


def _external(path: Path) -> RecordedVerdicts | None:
    if not path.is_file():
        return None
    try:
        return RecordedVerdicts.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError, ValidationError) as exc:
        raise RecordedCandidatesError(f"{path}: not a valid {EXTERNAL_FILE}: {exc}") from None
