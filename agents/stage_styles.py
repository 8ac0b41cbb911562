"""How the CLI colours a verification stage's status."""

from verifiers.verdict import StageStatus

STAGE_STYLES = {
    StageStatus.passed: "green",
    StageStatus.failed: "red",
    StageStatus.error: "yellow",
    StageStatus.skipped: "dim",
}
