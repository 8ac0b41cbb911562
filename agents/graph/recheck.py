"""Nodes ``recheck`` and ``final_recheck``: after a verify step, the candidates the environment kept from being
judged are verified once more, or the run stops until the environment is fixed.

A verdict with an error stage (the sandbox could not be reached, the toolchain broke) says nothing about the
candidate. When a step has such verdicts, this node checks the environment afresh (the toolchain preflight
again, through the sandbox) and verifies those candidates once more, their new records taking the old ones'
place. The run stops when the check fails (:class:`~verifiers.ToolchainMissing`,
:class:`~sandbox.SandboxUnavailable`) or when every candidate of the step is still an error
(:class:`EnvironmentFailure`). A node that raises leaves nothing in the checkpoint, so ``agent solve --resume``
runs this node again, from its check, with every verdict the step got kept. A candidate still in error while
the rest of its step was judged keeps its error verdict: it is neither accepted nor sent for repair.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agents.graph.finals import final_payloads
from agents.graph.records import verdict_of, verifier_failed
from agents.graph.runtime import SolveRuntime
from agents.graph.state import SolveState
from agents.graph.verify import Verify, verify_payloads


class EnvironmentFailure(RuntimeError):
    """Every candidate of a verify step was an environment error, and again when verified once more."""


class Recheck:
    """Verifies once more the candidates of the last verify step (``final``: of the final) that got an error."""

    def __init__(self, runtime: SolveRuntime, *, final: bool = False) -> None:
        self.runtime = runtime
        self.final = final
        self.key = "finals" if final else "results"
        self.verify = Verify(runtime, final=final)

    def __call__(self, state: SolveState) -> dict[str, Any]:
        step = self._step(state)
        spoiled = {record["digest"] for record in step if verifier_failed(record)}
        if not spoiled:
            return {}
        self.runtime.check_environment()
        payloads = final_payloads(state) if self.final else verify_payloads(state)
        again = [payload for payload in payloads if payload["record"]["digest"] in spoiled]
        with ThreadPoolExecutor(max_workers=self.runtime.config.workers) as pool:
            records = [record for update in pool.map(self.verify, again) for record in update[self.key]]
        if len(step) == len(records) and all(verifier_failed(record) for record in records):
            raise EnvironmentFailure(_cause(records[0], len(step)))
        return {self.key: records}

    def _step(self, state: SolveState) -> list[dict[str, Any]]:
        """The records of the last verify step."""
        if self.final:
            return list(state.get("finals", []))
        return [r for r in state.get("results", []) if r["round"] == state["round"] and r.get("verdict")]


def _cause(record: dict[str, Any], count: int) -> str:
    verdict = verdict_of(record)
    assert verdict is not None and verdict.failure is not None
    failure = verdict.failure
    return (
        f"the verifiers could not judge any of the {count} candidates of this step, even verified again: "
        f"{failure.reason}: {failure.feedback}"
    )
