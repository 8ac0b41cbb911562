"""Building several kernels of one task, and the multi-kernel drivers, in one sandbox job.

Each kernel source (the reference, the candidate, the current best) becomes its own shared library:

1. compile it alone, exactly as the single-kernel build does (``-include signature.h``, so that a
   definition with other parameter types than the declared ones does not define the symbol);
2. rename its one C-linkage symbol with ``objcopy --redefine-sym FUNCTION=pf_kernel_<i>``;
3. link it with ``-shared -Wl,-z,defs`` and a version script exporting ``pf_kernel_<i>`` alone.

Why not ``-DFUNCTION=pf_kernel_<i>``: the macro renames every token of that name, including in the
standard headers (a task function called ``sort`` or ``transform`` would break ``<algorithm>``),
and a source may ``#undef`` it. ``objcopy`` renames exactly the linker symbol and nothing else.
Why one library per kernel rather than one executable: the reference and a candidate often define
helpers of the same name, which would clash when linked together; localising them inside one
object with ``objcopy`` breaks C++ COMDAT groups. In a library linked with a version script every
other symbol is local, so nothing clashes. ``-z defs`` refuses undefined symbols beyond the C/C++
and OpenMP runtimes, and the drivers load each library with ``RTLD_LOCAL``: no kernel can reach
another kernel's code, in particular a candidate cannot call the reference.

Built parts are cached in memory by content (source, flags, sandbox backend), so the drivers and the
reference are built once per process rather than once per candidate. The candidate's library
normally comes from the compile stage (:func:`build_candidate`), whose one object is also linked into
the program correctness runs, so the bundle rarely compiles it itself. Kernels are compiled with the
precompiled header of their leading standard includes (:mod:`verifiers.precompiled`); a kernel that
then fails to build is built again without it, whose outcome counts.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass, field

from sandbox import Job, JobResult, JobStatus, Limits, Sandbox
from tasks.dlopen_driver import kernel_shared_object, kernel_symbol
from tasks.harness import SIGNATURE_HEADER, signature_header
from tasks.model import KernelTask
from tasks.probe_harness import PROBE_SOURCE, probe_source
from tasks.timing_harness import TIMING_SOURCE, timing_source
from verifiers.build import Build, build_kernel, driver_object
from verifiers.build_cache import BuildCache
from verifiers.precompiled import precompiled_headers
from verifiers.toolchain import (
    BINARY,
    CXX,
    DRIVER_OBJECT,
    KERNEL_SOURCE,
    LINK_FLAGS,
    SIGNATURE_INCLUDE,
    Flavour,
    compiler_flags,
)

REFERENCE, CANDIDATE, BEST = 0, 1, 2
"""Kernel indices in the bundle and the timing driver."""
TIMING_BINARY = "timing"
PROBE_BINARY = "probe"
_DRIVER_FLAGS = ["-std=c++17", "-O2"]
_CACHE_SIZE = 64


@dataclass(frozen=True)
class SymbolReport:
    """The linker's view of one kernel: what its object defines and uses, and the libraries it needs."""

    defined: list[str]
    """Global symbols the kernel's object defines (demangled)."""
    undefined: list[str]
    """Symbols the kernel's object uses without defining (demangled)."""
    needed: list[str]
    """Shared libraries its library depends on."""


@dataclass(frozen=True)
class Bundle:
    """Kernel libraries and drivers, ready to be carried into run jobs."""

    files: dict[str, bytes]
    """Built files by job path: ``libpf_kernel_<i>.so``, ``timing``, ``probe``."""
    failures: dict[str, str] = field(default_factory=dict)
    """Parts that did not build (``lib<i>``, ``timing``, ``probe``), with the tool's output."""
    symbols: SymbolReport | None = None
    """The inspected kernel's symbols, when one was asked for and it built."""
    result: JobResult | None = None
    """The build job, when one had to run."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def libraries(self, count: int) -> list[str]:
        """Job paths of the first ``count`` kernel libraries."""
        return [f"./{kernel_shared_object(i)}" for i in range(count)]


_cache: BuildCache[bytes] = BuildCache(_CACHE_SIZE)
_inspected: BuildCache[tuple[bytes, SymbolReport]] = BuildCache(_CACHE_SIZE)
"""Inspected kernels' libraries with their symbol reports."""


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_KERNEL_FLAGS = compiler_flags(Flavour.release, pic=True)


def _library_key(sandbox: Sandbox, header: str, index: int, source: str) -> str:
    return _key(sandbox.name, *_KERNEL_FLAGS, header, str(index), source)


def _object_steps(source: str, obj: str, inspect: bool, precompiled: list[str]) -> list[str]:
    """Shell commands compiling a kernel source into a position-independent object (and listing its symbols)."""
    steps = [shlex.join([*_KERNEL_FLAGS, *precompiled, *SIGNATURE_INCLUDE, "-c", source, "-o", obj])]
    if inspect:
        steps += ["mkdir -p sym", f"nm -C -u {obj} > sym/undefined.txt"]
        steps += [f"nm -C -g --defined-only {obj} > sym/defined.txt"]
    return steps


def _library_steps(task: KernelTask, index: int, obj: str, inspect: bool) -> list[str]:
    """Shell commands turning a kernel's object into library ``index`` (renaming its symbol in the object)."""
    library = kernel_shared_object(index)
    rename = ["objcopy", "--redefine-sym", f"{task.signature.function}={kernel_symbol(index)}", obj]
    link = [CXX, *LINK_FLAGS, "-shared", "-fopenmp", obj, f"-Wl,--version-script=exports_{index}.map", "-Wl,-z,defs"]
    steps = [shlex.join(rename), shlex.join([*link, "-o", library])]
    if inspect:
        steps.append(f"readelf -d {library} > sym/dynamic.txt")
    return steps


def _exports(index: int) -> bytes:
    """The version script of library ``index``: its kernel symbol exported, everything else local."""
    return f"{{ global: {kernel_symbol(index)}; local: *; }};\n".encode()


def _driver_script(source: str, binary: str) -> str:
    return shlex.join([CXX, *_DRIVER_FLAGS, *LINK_FLAGS, source, "-o", binary, "-ldl"])


def build_bundle(
    task: KernelTask, sources: list[str], sandbox: Sandbox, *, inspect: int | None = None, precompile: bool = True
) -> Bundle:
    """Build ``sources`` into kernel libraries 0, 1, ... plus the timing and probe drivers of ``task``.

    Args:
        task: The task whose signature all sources implement.
        sources: Kernel sources, in kernel order (the reference first by convention).
        sandbox: Where the compilers run.
        inspect: Index of a kernel whose symbols to report (the candidate); never taken from the cache.
        precompile: Compile kernels with precompiled headers (kernels that fail so are built again without).
    """
    limits = Limits(wall_s=task.limits.compile_s, memory_mb=4096, pids=128)
    header = signature_header(task.signature)
    drivers = {
        TIMING_BINARY: (TIMING_SOURCE, timing_source(task)),
        PROBE_BINARY: (PROBE_SOURCE, probe_source(task.signature)),
    }
    files: dict[str, bytes] = {SIGNATURE_HEADER: header.encode()}
    todo: dict[str, tuple[str, str, str]] = {}
    """Parts to build: name -> (output path, cache key, shell command)."""
    precompiled: set[str] = set()
    """Parts compiled with a precompiled header."""
    found: dict[str, bytes] = {}
    symbols: SymbolReport | None = None
    for binary, (source_name, text) in drivers.items():
        key = _key(sandbox.name, CXX, *_DRIVER_FLAGS, text)
        if (built := _cache.get(key)) is not None:
            found[binary] = built
            continue
        files[source_name] = text.encode()
        todo[binary] = (binary, key, _driver_script(source_name, binary))
    for index, source in enumerate(sources):
        library = kernel_shared_object(index)
        key = _library_key(sandbox, header, index, source)
        if index == inspect and (known := _inspected.get(key)) is not None:
            found[library], symbols = known
            continue
        if index != inspect and (built := _cache.get(key)) is not None:
            found[library] = built
            continue
        files[f"kernel_{index}.cpp"] = source.encode()
        files[f"exports_{index}.map"] = _exports(index)
        pch = precompiled_headers(source, _KERNEL_FLAGS, sandbox, limits) if precompile else None
        if pch is not None:
            files[pch.path] = pch.content
            precompiled.add(f"lib{index}")
        obj, inspected = f"kernel_{index}.o", index == inspect
        steps = _object_steps(f"kernel_{index}.cpp", obj, inspected, pch.flags() if pch else [])
        todo[f"lib{index}"] = (library, key, " && ".join(steps + _library_steps(task, index, obj, inspected)))
    if not todo:
        return Bundle(files=found, symbols=symbols)
    script = ["mkdir -p log"]
    for name, (_, _, command) in todo.items():
        script.append(f"{{ ( {command} ) > log/{name}.log 2>&1; echo $? > log/{name}.rc; }} &")
    script.append("wait")
    job = Job(
        command=["sh", "-c", "\n".join(script)],
        files=files,
        limits=limits,
        collect=["log", "sym", *(path for path, _, _ in todo.values())],
    )
    result = sandbox.run(job)
    failures: dict[str, str] = {}
    for name, (path, key, _) in todo.items():
        log = result.files.get(f"log/{name}.log", b"").decode(errors="replace").strip()
        if result.files.get(f"log/{name}.rc", b"").strip() != b"0" or path not in result.files:
            failures[name] = log or f"{result.status.value}: {result.message}".strip()
            continue
        found[path] = result.files[path]
        _cache.put(key, result.files[path])
    if precompiled & failures.keys():
        return build_bundle(task, sources, sandbox, inspect=inspect, precompile=False)
    if inspect is not None and f"lib{inspect}" in todo and f"lib{inspect}" not in failures:
        symbols = _symbols(result)
        _inspected.put(todo[f"lib{inspect}"][1], (found[kernel_shared_object(inspect)], symbols))
    return Bundle(files=found, failures=failures, symbols=symbols, result=result)


def _symbols(result: JobResult) -> SymbolReport:
    def lines(name: str) -> list[str]:
        return result.files.get(f"sym/{name}", b"").decode(errors="replace").splitlines()

    undefined = [line.strip().split(None, 1)[1] for line in lines("undefined.txt") if line.split()[:1] == ["U"]]
    defined = [parts[2] for line in lines("defined.txt") if len(parts := line.split(None, 2)) == 3]
    needed = [line.rsplit("[", 1)[1].rstrip("]") for line in lines("dynamic.txt") if "(NEEDED)" in line]
    return SymbolReport(defined=defined, undefined=undefined, needed=needed)


def build_candidate(task: KernelTask, source: str, sandbox: Sandbox, *, index: int = CANDIDATE) -> Build:
    """Compile ``source`` once, into the task's release program and into kernel ``index``'s library, in one job.

    The one position-independent object is linked with the task's driver into :data:`~verifiers.toolchain.BINARY`
    (the compile stage's build, which correctness runs) and, its symbol renamed, into the library the timing
    and probe drivers load: the object that is timed is the object that was tested. The library and its
    symbols go into this module's caches, so that :func:`build_bundle` inspecting kernel ``index`` finds them
    without a job; a library that does not build is left to :func:`build_bundle`, which builds it again and
    reports why. A build that fails with the precompiled header is made again without it, and that one counts.
    """
    limits = Limits(wall_s=task.limits.compile_s, memory_mb=4096, pids=128)
    driver = driver_object(task.signature, sandbox, Flavour.release, limits)
    if driver is None:  # a separate build of driver and kernel together says what is wrong
        return build_kernel(task, source, sandbox)
    return _build_candidate(task, source, sandbox, index, driver, limits, precompile=True)


def _build_candidate(
    task: KernelTask, source: str, sandbox: Sandbox, index: int, driver: bytes, limits: Limits, *, precompile: bool
) -> Build:
    header = signature_header(task.signature)
    pch = precompiled_headers(source, _KERNEL_FLAGS, sandbox, limits) if precompile else None
    obj, library = "kernel.o", kernel_shared_object(index)
    program = _object_steps(KERNEL_SOURCE, obj, True, pch.flags() if pch else [])
    program.append(shlex.join([CXX, "-fopenmp", *LINK_FLAGS, DRIVER_OBJECT, obj, "-o", BINARY]))
    script = [
        "mkdir -p log",
        f"( {' && '.join(program)} ) > log/program.log 2>&1",
        'code=$?; echo "$code" > log/program.rc; [ "$code" -eq 0 ] || exit 0',
        f"( {' && '.join(_library_steps(task, index, obj, True))} ) > log/library.log 2>&1 && echo 0 > log/library.rc",
    ]
    files = {
        SIGNATURE_HEADER: header.encode(),
        KERNEL_SOURCE: source.encode(),
        DRIVER_OBJECT: driver,
        f"exports_{index}.map": _exports(index),
        **({pch.path: pch.content} if pch else {}),
    }
    collect = ["log", "sym", BINARY, library]
    job = Job(command=["sh", "-c", "\n".join(script)], files=files, limits=limits, collect=collect)
    result = sandbox.run(job)
    raw_code = result.files.get("log/program.rc")
    if raw_code is None:  # the job ended before the build did (a timeout, out of memory, a sandbox error)
        return Build(result=result, binary=None)
    code = int(raw_code.strip() or -1)
    if code != 0 and pch is not None:
        return _build_candidate(task, source, sandbox, index, driver, limits, precompile=False)
    log = result.files.get("log/program.log", b"").decode(errors="replace")
    build = Build(result=JobResult(status=JobStatus.ok, exit_code=code, stderr=log), binary=result.files.get(BINARY))
    if build.ok and "log/library.rc" in result.files and library in result.files:
        key = _library_key(sandbox, header, index, source)
        _cache.put(key, result.files[library])
        _inspected.put(key, (result.files[library], _symbols(result)))
    return build
