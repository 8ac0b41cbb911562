"""Stage 1, parse: the source is small enough, defines the task's function with the exact signature,
has no ``main``, no forbidden construct and no loop counter or index narrower than the size it runs
over. Runs on the host with tree-sitter: no sandbox job."""

from __future__ import annotations

from dataclasses import asdict

from tree_sitter import Node, Tree

from tasks.codeanalysis.index_width import NarrowIndex, Role, narrow_indices
from tasks.codeanalysis.syntax import parse_cpp, walk
from verifiers.context import StageContext
from verifiers.signature_check import Definition, definitions, function_name, line_of, signature_differences
from verifiers.source_policy import find_violations
from verifiers.verdict import Stage, StageResult, StageStatus

MAX_LISTED = 8
"""Findings listed in the feedback; the log has all of them."""


class ParseStage:
    """Static checks of the candidate's source."""

    stage = Stage.parse

    def __call__(self, ctx: StageContext) -> StageResult:
        source = ctx.candidate.source
        log = ctx.log_path("parse.log")
        result = self._judge(ctx, source)
        log.write_text(f"{result.status.value} {result.reason}\n{result.feedback}\n")
        result.logs = str(log)
        return result

    def _judge(self, ctx: StageContext, source: str) -> StageResult:
        signature = ctx.task.signature
        size = len(source.encode())
        if size > ctx.config.max_source_bytes:
            return _fail(
                "parse.too_large",
                f"Your source is {size} bytes; the limit is {ctx.config.max_source_bytes}. Keep only the kernel.",
                bytes=size,
            )
        tree = parse_cpp(source)
        violations = find_violations(tree, source)
        if violations:
            listed = "\n".join(f"- {v}" for v in violations[:MAX_LISTED])
            more = f"\n(and {len(violations) - MAX_LISTED} more)" if len(violations) > MAX_LISTED else ""
            return _fail(
                violations[0].reason,
                f"Your code uses constructs that are not allowed:\n{listed}{more}",
                violations=[{"line": v.line, "category": v.category.value, "what": v.what} for v in violations],
            )
        mains = [d for d in definitions(tree.root_node, "main") if d.scope is None]
        if mains:
            return _fail(
                "parse.has_main",
                f"Line {mains[0].line} defines main(). Submit only the kernel: the test driver has its own main.",
                line=mains[0].line,
            )
        found = definitions(tree.root_node, signature.function)
        if not found:
            if tree.root_node.has_error:
                return StageResult(
                    stage=Stage.parse,
                    status=StageStatus.passed,
                    details={
                        "note": f"syntax not understood near line {_first_error_line(tree.root_node)}; "
                        "the signature is left to the compiler"
                    },
                )
            defined = sorted({name for node in walk(tree.root_node) if (name := _defined_name(node))})
            seen = f" Functions defined: {', '.join(defined)}." if defined else ""
            return _fail(
                "parse.missing_function",
                f"Your code does not define `{signature.function}`.{seen} Define exactly:\n    {signature.prototype()}",
            )
        if any(not signature_differences(d, signature) for d in found):
            return _index_widths(tree)
        closest: Definition = min(found, key=lambda d: len(signature_differences(d, signature)))
        problems = signature_differences(closest, signature)
        listed = "\n".join(f"- {p}" for p in problems)
        return _fail(
            "parse.signature_mismatch",
            f"`{signature.function}` (line {closest.line}) does not have the task's signature:\n{listed}\n"
            f'Define exactly (it is declared extern "C" for you):\n    {signature.prototype()}',
            line=closest.line,
            problems=problems,
        )


def _index_widths(tree: Tree) -> StageResult:
    """Fails on a loop counter or index narrower than its size: it overflows past sizes no test reaches."""
    findings = narrow_indices(tree.root_node)
    if not findings:
        return StageResult(stage=Stage.parse, status=StageStatus.passed)
    listed = "\n".join(f"- {_describe(f)}" for f in findings[:MAX_LISTED])
    more = f"\n(and {len(findings) - MAX_LISTED} more)" if len(findings) > MAX_LISTED else ""
    return _fail(
        "parse.narrow_index",
        "Loop counters or indices are narrower than the sizes they run over: they overflow once a size passes "
        f"their range (2^31 for `int`), far above every test size.\n{listed}{more}",
        findings=[asdict(f) for f in findings],
    )


def _describe(finding: NarrowIndex) -> str:
    what = {
        Role.bound: f"loop counter `{finding.variable}` is `{finding.type}` but runs up to",
        Role.start: f"loop counter `{finding.variable}` is `{finding.type}` but starts at",
        Role.value: f"index `{finding.variable}` is `{finding.type}` but is set to",
    }[finding.role]
    same = finding.size_type.removeprefix("std::") == "int64_t"
    fix = (
        f"`{finding.size_type}`, like the size"
        if same
        else f"`std::int64_t` (or `{finding.size_type}`, the size's type)"
    )
    return f"line {finding.line}: {what} `{finding.size}` (`{finding.size_type}`); declare it as {fix}"


def _fail(reason: str, feedback: str, **details: object) -> StageResult:
    return StageResult(stage=Stage.parse, status=StageStatus.failed, reason=reason, feedback=feedback, details=details)


def _defined_name(node: Node) -> str | None:
    return function_name(node) if node.type == "function_definition" else None


def _first_error_line(root: Node) -> int:
    return next((line_of(n) for n in walk(root) if n.type == "ERROR" or n.is_missing), 1)
