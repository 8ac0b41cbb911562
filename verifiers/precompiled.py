"""Precompiled standard headers: the ``#include <...>`` block a source opens with, parsed once per build flags.

Parsing the standard headers is most of a kernel compile: clang spends about 250 ms of a 300 ms -O3
compile of a small kernel in ``<cmath>`` alone. The candidates of one task mostly open with the
same few includes, so the standard includes a source starts with (before any other code) are
compiled once into a precompiled header (PCH) per set of build flags, and the build passes it with
``-include-pch``. The source itself is compiled unchanged: its own includes of those headers are
then skipped by their include guards, so exactly the headers it includes first are in scope, as
without the PCH.

A PCH must be built with exactly the flags of the compiles that use it (clang refuses it, or
crashes, on a mismatch such as ``-fPIC``), so the flags are part of its key. Built PCHs are cached
in memory per process (by sandbox backend, flags and headers); a set of headers that does not build
is remembered as such, and its sources are compiled without a PCH.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from functools import partial

from sandbox import Job, Limits, Sandbox
from tasks.codeanalysis.syntax import parse_cpp, text
from verifiers.build_cache import BuildCache
from verifiers.source_policy import standard_header

PCH_HEADER = "std_headers.h"
"""The generated header a PCH is built from, inside its build job."""
_CACHE_SIZE = 32
"""PCHs kept per process (each is a few MB; one per flavour per distinct include block)."""


@dataclass(frozen=True)
class Precompiled:
    """A built PCH, ready to be carried into a build job."""

    path: str
    """Its file name inside build jobs."""
    content: bytes

    def flags(self) -> list[str]:
        """The compiler flags that use it (before any ``-include``)."""
        return ["-include-pch", self.path]


def leading_headers(source: str) -> tuple[str, ...]:
    """The standard headers ``source`` includes with ``<...>`` before any other code, in order.

    Comments may come between them; the block ends at the first other construct (a macro
    definition, a conditional, a quoted include, a declaration), since what follows may change how
    a later header is read.
    """
    headers: list[str] = []
    for node in parse_cpp(source).root_node.children:
        if node.type == "comment":
            continue
        path = node.child_by_field_name("path") if node.type == "preproc_include" else None
        if path is None or path.type != "system_lib_string":
            break
        header = text(path).strip("<>").strip()
        if not standard_header(header):
            break
        headers.append(header)
    return tuple(dict.fromkeys(headers))


_CACHE: BuildCache[Precompiled] = BuildCache(_CACHE_SIZE)


def precompiled_headers(source: str, flags: list[str], sandbox: Sandbox, limits: Limits) -> Precompiled | None:
    """The PCH of ``source``'s leading standard includes, built with compiler command ``flags``.

    Args:
        source: The C++ source about to be compiled.
        flags: The compiler and every flag of the compiles that will use the PCH (no inputs, no
            ``-include``, no ``-c`` or ``-o``).
        sandbox: Where to build it.
        limits: Limits of the build job.

    Returns:
        The PCH, or None when the source opens with no standard include or the PCH does not build.
    """
    headers = leading_headers(source)
    if not headers:
        return None
    key = hashlib.sha256("\x1f".join([sandbox.name, *flags, "\x1e", *headers]).encode()).hexdigest()
    build = partial(_build, headers, flags, sandbox, limits, f"std-{key[:16]}.pch")
    return _CACHE.get_or_build(key, build, remember_failures=True)


def _build(
    headers: tuple[str, ...], flags: list[str], sandbox: Sandbox, limits: Limits, path: str
) -> Precompiled | None:
    content = "".join(f"#include <{header}>\n" for header in headers)
    # Read from stdin: a PCH built from a file refers to it by path, and later jobs run elsewhere.
    compile_ = shlex.join([*flags, "-x", "c++-header", "-", "-o", path])
    job = Job(
        command=["sh", "-c", f"{compile_} < {PCH_HEADER}"],
        files={PCH_HEADER: content.encode()},
        limits=limits,
        collect=[path],
    )
    result = sandbox.run(job)
    if not result.succeeded or path not in result.files:
        return None
    return Precompiled(path, result.files[path])
