"""The adversarial candidate set: every bad candidate is rejected at the right stage for the right reason,
every good one is accepted.

Candidates live in ``candidates/<task-name>/<case>.cpp`` (a folder whose task is not in this
checkout's suite is skipped). The first line says what must happen:

    // expect: accepted
    // expect: <stage> <reason-code>
    // expect: <stage> <reason-code> | <stage> <reason-code>     (either outcome is right)

The alternative form is for bugs whose symptom depends on thread timing (a missing reduction may
give a wrong sum, or a right one that only ThreadSanitizer flags). A line ``// mark: slow`` marks a
case as slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasks import TaskFileError, resolve_task
from verifiers.candidate import Candidate
from verifiers.cascade import evaluate
from verifiers.context import VerifyConfig

CANDIDATES = Path(__file__).parent / "candidates"
CONFIG = VerifyConfig(run_s=3)
"""Default settings, but a short per-run limit so that the hanging candidates fail fast."""

_EXPECT = re.compile(r"^//\s*expect:\s*(?P<what>.+?)\s*$", re.MULTILINE)
_MARK = re.compile(r"^//\s*mark:\s*(?P<marks>.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Expectation:
    """What a candidate's header says must happen."""

    accepted: bool
    outcomes: frozenset[tuple[str, str]]
    """Acceptable (stage, reason) pairs of the failing stage."""


def expectation(source: str, path: Path) -> Expectation:
    """The ``// expect:`` header of ``source``."""
    match = _EXPECT.search(source)
    if match is None:
        raise ValueError(f"{path}: no '// expect: ...' header")
    what = match["what"]
    if what == "accepted":
        return Expectation(True, frozenset())
    outcomes = set()
    for alternative in what.split("|"):
        stage, _, reason = alternative.strip().partition(" ")
        if not reason:
            raise ValueError(f"{path}: expected '// expect: <stage> <reason>', got {what!r}")
        outcomes.add((stage, reason.strip()))
    return Expectation(False, frozenset(outcomes))


def _cases() -> list:
    cases = []
    for path in sorted(CANDIDATES.glob("*/*.cpp")):
        marks = _MARK.search(path.read_text())
        extra = [getattr(pytest.mark, m.strip()) for m in marks["marks"].split(",")] if marks else []
        cases.append(pytest.param(path, id=f"{path.parent.name}/{path.stem}", marks=extra))
    return cases


@pytest.mark.parametrize("path", _cases())
def test_candidate(path: Path, local_sandbox, clang, tmp_path: Path) -> None:
    source = path.read_text()
    expected = expectation(source, path)
    try:
        task = resolve_task(path.parent.name)
    except TaskFileError:
        pytest.skip(f"task {path.parent.name} is not in this checkout's suite")
    candidate = Candidate(source=source, origin=str(path))
    verdict = evaluate(task, candidate, local_sandbox, config=CONFIG, logs_dir=tmp_path)
    if expected.accepted:
        assert verdict.accepted, f"{path.name} was rejected:\n{verdict.feedback()}"
        return
    failure = verdict.failure
    assert failure is not None, f"{path.name} was accepted; expected {sorted(expected.outcomes)}"
    got = (failure.stage.value, failure.reason)
    assert got in expected.outcomes, f"{path.name}: got {got}, expected {sorted(expected.outcomes)}\n{failure.feedback}"
    assert failure.feedback.strip(), "a rejection must come with feedback"


def test_the_set_covers_good_and_bad_cases() -> None:
    headers = [expectation(p.read_text(), p) for p in CANDIDATES.glob("*/*.cpp")]
    assert sum(h.accepted for h in headers) >= 5
    stages = {stage for h in headers for stage, _ in h.outcomes}
    assert {"parse", "compile", "correctness", "race", "memory"} <= stages
