"""Repairs go to candidates whose code failed, never to those the verifier could not judge."""

from __future__ import annotations

from types import SimpleNamespace

from agents.graph.requests import repair_requests
from verifiers.candidate import Candidate
from verifiers.verdict import Stage, StageResult, StageStatus, Verdict


def _record(source: str, status: StageStatus, reason: str) -> dict:
    candidate = Candidate(source=source, origin="model")
    compile_stage = StageResult(stage=Stage.compile, status=status, reason=reason, feedback="it failed")
    verdict = Verdict(task="reduce-sum", task_version=1, candidate=candidate.digest, stages=[compile_stage])
    return {
        "round": 1,
        "repair_round": 0,
        "candidate": candidate.model_dump(),
        "digest": candidate.digest,
        "verdict": verdict.model_dump(mode="json"),
    }


def test_only_the_candidate_whose_code_failed_is_sent_back():
    runtime = SimpleNamespace(repairs=True, config=SimpleNamespace(repair_rounds=2))
    broken = _record("int broken(", StageStatus.failed, "compile.error")
    unjudged = _record("int fine() { return 0; }", StageStatus.error, "compile.toolchain")
    requests = repair_requests(runtime, {"round": 1, "results": [broken, unjudged]})
    assert [request["parent"] for request in requests] == [broken["digest"]]
