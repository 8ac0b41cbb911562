"""Stage 2, compile: build the candidate with the task's driver (release flags) inside the sandbox."""

from __future__ import annotations

from verifiers.context import StageContext
from verifiers.diagnostics import explain_build_failure, parse_diagnostics
from verifiers.toolchain import Flavour
from verifiers.verdict import Stage, StageResult, StageStatus


class CompileStage:
    """clang++ -O3 -march=native -fopenmp; the build stays in ``ctx.builds`` for later stages."""

    stage = Stage.compile

    def __call__(self, ctx: StageContext) -> StageResult:
        build = ctx.build(Flavour.release)
        log = ctx.log_path("compile.log")
        log.write_text(f"status: {build.result.status.value} exit: {build.result.exit_code}\n{build.log}\n")
        if build.ok:
            warnings = sum(d.severity == "warning" for d in parse_diagnostics(build.log))
            return StageResult(
                stage=self.stage, status=StageStatus.passed, logs=str(log), details={"warnings": warnings}
            )
        return explain_build_failure(build, ctx.task.signature).result(self.stage, "compile", str(log))
