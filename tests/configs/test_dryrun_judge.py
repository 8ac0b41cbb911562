"""Judging a dry run's losses: they must fall and match a single-process run of the same model (no torch needed)."""

from __future__ import annotations

from verifiers.configs.dryrun.runner import judge_losses


def test_losses_that_do_not_fall_or_differ_from_one_process_fail() -> None:
    assert judge_losses([3.0, 2.0], [3.0, 2.0]) == ("", "")
    assert judge_losses([3.0, 3.0], [3.0, 3.0])[0] == "dry_run.loss_not_decreasing"
    assert judge_losses([], [])[0] == "dry_run.loss_not_decreasing"
    assert judge_losses([3.0, 2.0], [3.0, 2.5])[0] == "dry_run.loss_mismatch"
    assert judge_losses([3.0, 2.0], [])[0] == "dry_run.loss_mismatch"
