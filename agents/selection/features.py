"""Descriptive features of a candidate, the axes of the MAP-Elites archive."""

from __future__ import annotations

from tasks.codeanalysis.syntax import parse_cpp, text, walk

SIZE_BUCKETS = (150, 400)
"""Token counts separating small, medium and large candidates."""


def pragmas(source: str) -> list[str]:
    """The text of every ``#pragma omp`` directive, e.g. ``parallel for reduction(+:s)``."""
    found = []
    for node in walk(parse_cpp(source).root_node):
        if node.type == "preproc_call" and text(node.child_by_field_name("directive")) == "#pragma":
            argument = node.child_by_field_name("argument")
            words = text(argument).strip() if argument is not None else ""
            if words.startswith("omp"):
                found.append(words.removeprefix("omp").strip())
    return found


def parallel_strategy(directives: list[str]) -> str:
    """How the work is split: ``tasks``, ``parallel-for``, ``parallel-region``, ``simd`` or ``sequential``."""
    joined = " ".join(directives)
    if "task" in joined.split() or "taskloop" in joined:
        return "tasks"
    if "for" in joined.split():
        return "parallel-for"
    if "parallel" in joined.split():
        return "parallel-region"
    return "simd" if "simd" in joined.split() else "sequential"


def synchronization(source: str, directives: list[str]) -> str:
    """The strongest synchronization used: ``locks``, ``critical``, ``atomic``, ``reduction`` or ``none``."""
    joined = " ".join(directives)
    if "omp_set_lock" in source or "std::mutex" in source:
        return "locks"
    for primitive in ("critical", "atomic", "reduction"):
        if primitive in joined or (primitive == "atomic" and "std::atomic" in source):
            return primitive
    return "none"


def size_bucket(tokens: int) -> str:
    """``small``, ``medium`` or ``large``."""
    if tokens < SIZE_BUCKETS[0]:
        return "small"
    return "medium" if tokens < SIZE_BUCKETS[1] else "large"


def features(source: str, tokens: int) -> tuple[str, str, str]:
    """The archive cell of a candidate: (parallel strategy, synchronization, size bucket)."""
    directives = pragmas(source)
    return parallel_strategy(directives), synchronization(source, directives), size_bucket(tokens)
