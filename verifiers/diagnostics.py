"""Turning compiler and linker output into feedback about the candidate's own lines.

The candidate is compiled as ``kernel.cpp`` together with the generated ``driver.cpp`` and
``signature.h``; a model only knows its own code, so messages about ``kernel.cpp`` become
"line N of your code", the declaration in ``signature.h`` is quoted, and link errors about the
kernel's symbol are explained in terms of the exact prototype.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox import JobStatus
from tasks.harness import DRIVER_SOURCE, SIGNATURE_HEADER
from tasks.model import Signature
from verifiers.build import Build
from verifiers.capacity_fault import CAPACITY_REASON, capacity_feedback, shortfall
from verifiers.toolchain import KERNEL_SOURCE
from verifiers.verdict import Stage, StageResult, StageStatus

MAX_ERRORS = 3
"""Errors shown (each with its notes); the raw log has every one."""

_HEADER = re.compile(
    r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<severity>fatal error|error|warning|note): (?P<message>.*)$"
)
_UNDEFINED = (  # GNU ld's wording, then lld's
    re.compile(r"undefined reference to [`'](?P<symbol>[^'`]+)'"),
    re.compile(r"error: undefined symbol: (?P<symbol>.+)$", re.M),
)
_MULTIPLE = (
    re.compile(r"multiple definition of [`'](?P<symbol>[^'`]+)'"),
    re.compile(r"error: duplicate symbol: (?P<symbol>.+)$", re.M),
)
_NOISE = re.compile(r"^(In file included from |\d+ (errors?|warnings?)( and \d+ warnings?)? generated\.)")


@dataclass
class Diagnostic:
    """One compiler message with the source excerpt clang prints under it."""

    file: str
    line: int
    severity: str
    message: str
    excerpt: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BuildFailure:
    """Why a build failed, for a stage result."""

    reason: str
    """Suffix of the stage's reason code: ``error``, ``missing_symbol``, ``link_error``, ``timeout``..."""
    feedback: str
    line: int | None = None
    """The first line of the candidate's code blamed, if any."""
    verifier_fault: bool = False
    """The sandbox or toolchain failed, not the candidate."""

    def result(self, stage: Stage, reason_prefix: str, logs: str) -> StageResult:
        """The stage result reporting this failure (reason ``<reason_prefix>.<reason>``)."""
        return StageResult(
            stage=stage,
            status=StageStatus.error if self.verifier_fault else StageStatus.failed,
            reason=f"{reason_prefix}.{self.reason}",
            feedback=self.feedback,
            logs=logs,
            details={"line": self.line} if self.line else {},
        )


def parse_diagnostics(log: str) -> list[Diagnostic]:
    """The compiler messages in ``log``, in order."""
    found: list[Diagnostic] = []
    for raw in log.splitlines():
        match = _HEADER.match(raw)
        if match:
            found.append(
                Diagnostic(
                    file=match["file"].removeprefix("./"),
                    line=int(match["line"]),
                    severity=match["severity"],
                    message=match["message"],
                )
            )
        elif found and raw.strip() and not _NOISE.match(raw) and not raw.startswith(("/usr/bin/ld", "clang")):
            found[-1].excerpt.append(raw)
    return found


def explain_build_failure(build: Build, signature: Signature) -> BuildFailure:
    """What went wrong in ``build``, phrased for the candidate's author."""
    result = build.result
    if result.status is JobStatus.timeout:
        return BuildFailure("timeout", f"Compilation did not finish in time ({result.message}). Simplify the code.")
    if result.status is JobStatus.oom:
        return BuildFailure("resources", "The compiler ran out of memory on your code. Simplify it.")
    if fault := shortfall(result):
        return BuildFailure(CAPACITY_REASON, capacity_feedback("build", fault), verifier_fault=True)
    if result.status is JobStatus.sandbox_error:
        return BuildFailure("sandbox", f"The build could not run: {result.message}", verifier_fault=True)
    log = build.log
    if missing := toolchain_trouble(result.exit_code, log):
        return BuildFailure("toolchain", f"The sandbox's toolchain is broken ({missing}); not the code's fault.",
                            verifier_fault=True)  # fmt: skip
    diagnostics = parse_diagnostics(log)
    errors = [d for d in diagnostics if d.severity in ("error", "fatal error")]
    if errors:
        return BuildFailure("error", _render_errors(diagnostics, signature), line=_first_kernel_line(errors))
    return _link_failure(log, signature)


_TOOLCHAIN_SIGNS = (
    (re.compile(r"invalid linker name"), "the linker is missing"),
    (re.compile(r"^ld(?:\.lld)?: error: .*libclang_rt\.", re.MULTILINE), "a sanitizer runtime is missing"),
    (re.compile(r"'omp\.h' file not found"), "the OpenMP headers are missing"),
    (re.compile(r"unable to find library -lomp"), "the OpenMP runtime is missing"),
)
"""Compiler messages that blame the toolchain, whatever the code: what each says is missing."""
COMMAND_NOT_FOUND = (126, 127)
"""Exit codes of a shell that could not find, or could not run, the compiler."""


def toolchain_trouble(exit_code: int | None, log: str) -> str | None:
    """What is wrong with the toolchain, when a failed build's exit code or log blames it rather than the code."""
    if exit_code in COMMAND_NOT_FOUND:
        return f"the compiler could not be run: {log.strip().splitlines()[-1] if log.strip() else exit_code}"
    return next((what for sign, what in _TOOLCHAIN_SIGNS if sign.search(log)), None)


def _render_errors(diagnostics: list[Diagnostic], signature: Signature) -> str:
    blocks: list[list[str]] = []
    for diagnostic in diagnostics:
        if diagnostic.severity in ("error", "fatal error"):
            if len(blocks) == MAX_ERRORS:
                break
            blocks.append([])
        elif diagnostic.severity == "warning" or not blocks:
            continue
        blocks[-1] += _render(diagnostic, signature)
    total = sum(d.severity in ("error", "fatal error") for d in diagnostics)
    text = "\n".join(line for block in blocks for line in block)
    more = f"\n({total - MAX_ERRORS} more errors not shown)" if total > MAX_ERRORS else ""
    return f"Your code does not compile:\n{text}{more}"


def _render(diagnostic: Diagnostic, signature: Signature) -> list[str]:
    where = _where(diagnostic)
    head = f"{where}: {diagnostic.severity}: {diagnostic.message}"
    if diagnostic.file == SIGNATURE_HEADER:
        return [head, f'    extern "C" {signature.prototype()};']
    return [head, *diagnostic.excerpt]


def _where(diagnostic: Diagnostic) -> str:
    if diagnostic.file == KERNEL_SOURCE:
        return f"line {diagnostic.line} of your code"
    if diagnostic.file == SIGNATURE_HEADER:
        return "the kernel's declaration (signature.h, included before your code)"
    if diagnostic.file == DRIVER_SOURCE:
        return f"the test driver (driver.cpp line {diagnostic.line})"
    return f"{diagnostic.file}:{diagnostic.line}"


def _first_kernel_line(errors: list[Diagnostic]) -> int | None:
    return next((d.line for d in errors if d.file == KERNEL_SOURCE), None)


def _link_failure(log: str, signature: Signature) -> BuildFailure:
    undefined = _symbols(_UNDEFINED, log)
    if signature.function in undefined:
        return BuildFailure(
            "missing_symbol",
            f"The test driver calls `{signature.function}`, but your code does not define that exact function.\n"
            f"signature.h (included before your code) declares it as\n"
            f'    extern "C" {signature.prototype()};\n'
            "A definition whose parameter types or constness differ is a different C++ overload, so the "
            'extern "C" symbol stays undefined. Define exactly that prototype at global scope '
            "(not static, not inline, not in a namespace).",
        )
    if undefined:
        return BuildFailure(
            "link_error",
            "Linking failed: your code uses functions that are declared but never defined: "
            + ", ".join(f"`{s}`" for s in undefined)
            + ". Define them, or use only the C++ standard library and OpenMP.",
        )
    multiple = _symbols(_MULTIPLE, log)
    if multiple:
        return BuildFailure(
            "link_error",
            "Linking failed: " + ", ".join(f"`{s}`" for s in multiple) + " is defined more than once "
            "(the test driver already defines main and the file-reading helpers).",
        )
    tail = "\n".join(log.splitlines()[-15:])
    return BuildFailure("error", f"The build failed:\n{tail}")


def _symbols(patterns: tuple[re.Pattern[str], ...], log: str) -> list[str]:
    """The symbols the linker's messages matching ``patterns`` name, sorted."""
    return sorted({match["symbol"].strip() for pattern in patterns for match in pattern.finditer(log)})
