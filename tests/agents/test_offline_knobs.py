"""The offline proposer tries the values of a task's declared knobs."""

from __future__ import annotations

from agents.proposers import ProposalRequest
from agents.proposers.offline import OfflineProposer, knob_settings
from tasks import resolve_task


def test_every_knob_value_is_tried_with_the_plainest_style_first() -> None:
    gemm = resolve_task("gemm")
    values = gemm.knobs["KB"]
    proposals = OfflineProposer().propose(ProposalRequest(task=gemm, count=len(values)))
    sources = [proposal.candidate.source for proposal in proposals]
    assert [source.splitlines()[0] for source in sources] == [f"#define KB {value}" for value in values]
    assert all("#pragma omp parallel for schedule(static)" in source for source in sources)
    assert [p.candidate.origin for p in proposals] == [f"offline: schedule(static) KB={v}" for v in values]


def test_a_task_without_knobs_has_one_empty_setting_and_no_defines() -> None:
    task = resolve_task("reduce-sum")
    assert knob_settings(task) == [{}]
    [proposal] = OfflineProposer().propose(ProposalRequest(task=task, count=1))
    assert "#define" not in proposal.candidate.source
