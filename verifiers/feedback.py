"""Small helpers shared by the stages' feedback: quoting the candidate's lines, naming sizes and runs."""

from __future__ import annotations

import re

from verifiers.toolchain import KERNEL_SOURCE

_KERNEL_LOCATION = re.compile(rf"(?:[^\s:()]*/)?{re.escape(KERNEL_SOURCE)}:(\d+)(?::(\d+))?")
"""``kernel.cpp:LINE[:COL]``, possibly behind a directory, as compilers and sanitizers print it."""


def quote(source: str, line: int) -> str:
    """Line ``line`` (1-based) of ``source`` as ``   12 | code``, or '' when out of range."""
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    return f"{line:>5} | {lines[line - 1].rstrip()}"


def kernel_line(text: str) -> int | None:
    """The first ``kernel.cpp`` line number mentioned in ``text``."""
    match = _KERNEL_LOCATION.search(text)
    return int(match.group(1)) if match else None


def size_label(size: dict[str, int]) -> str:
    """``n=1009`` or ``rows=17, cols=5``."""
    return ", ".join(f"{name}={value}" for name, value in size.items())


def plural(count: int, noun: str) -> str:
    """``1 thread``, ``4 threads``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
