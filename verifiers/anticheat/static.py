"""Static anti-cheat signals: what the candidate's source says, and what its object file links against.

A kernel computes its outputs from its inputs; it never needs a clock, the environment, the
program's arguments, files, other programs, run-time symbol lookup, or the benchmark's sizes.
The source scan points at the candidate's lines (comments are ignored; string literals are
searched separately, for paths such as ``/proc/self/cmdline`` and inline assembly). The symbol
scan reads the candidate's compiled object and catches the same calls however the source spells
them (macros, token pasting), plus runtime functions the candidate defines itself, which would
replace the harness's own (a private ``clock_gettime`` could fake every timing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from verifiers.anticheat.findings import Cheat, Finding
from verifiers.timing.bundle import SymbolReport

_LITERALS = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|(?<![0-9A-Fa-f])'(?:\\.|[^'\\\n])*'", re.S)
"""Comments, string literals and character literals (a quote after a digit is a digit separator: 20'000'000)."""

_CODE_RULES: list[tuple[Cheat, str, str]] = [
    (Cheat.calls_reference, r"\bpf_kernel_\w*", "names a kernel of the timing program"),
    (Cheat.calls_reference, r"\b(?:dlsym|dlvsym|dlopen|dladdr|dlinfo|dl_iterate_phdr)\b", "looks up code at run time"),
    (Cheat.calls_reference, r"\bweak(?:ref)?\b", "declares a weak symbol (code used only if something else links it)"),
    (Cheat.harness_detection, r"\b(?:getenv|secure_getenv|environ|__environ|setenv|putenv)\b", "reads the environment"),
    (
        Cheat.harness_detection,
        r"\b(?:argv|__argv|program_invocation_name|program_invocation_short_name|getauxval)\b",
        "reads the program's arguments",
    ),
    (Cheat.harness_detection, r"\b(?:syscall|prctl|ptrace|getpid|getppid)\b", "queries the process"),
    (
        Cheat.harness_detection,
        r"\b(?:system|popen|fork|vfork|exec[lv]\w*|posix_spawn\w*)\s*\(",
        "runs other programs",
    ),
    (
        Cheat.time_dependent,
        r"\b(?:__rdtscp?|_rdtsc|__builtin_readcyclecounter|__builtin_ia32_rdtscp?)\b",
        "reads the cycle counter",
    ),
    (
        Cheat.time_dependent,
        r"\b(?:omp_get_wtime|omp_get_wtick|clock_gettime|gettimeofday|timespec_get|ftime)\b",
        "reads a clock",
    ),
    (Cheat.time_dependent, r"\bchrono\s*::", "reads a clock (std::chrono)"),
    (Cheat.time_dependent, r"(?<![\w.>])(?:std\s*::\s*)?(?:time|clock)\s*\(", "reads a clock"),
    (
        Cheat.precomputed,
        r"\b(?:fopen|fopen64|freopen|fread|fwrite|fscanf|open|openat|creat|mmap|[io]?fstream|filebuf)\b",
        "reads or writes files (outputs may come from a cache)",
    ),
    (Cheat.out_of_bounds_write, r"\b(?:mprotect|pkey_mprotect)\b", "changes memory protection"),
]
_STRING_RULES: list[tuple[Cheat, str, str]] = [
    (Cheat.harness_detection, r"/proc/|/dev/|/sys/", "names a system pseudo-file"),
    (Cheat.time_dependent, r"\brdtscp?\b", "reads the cycle counter (inline assembly)"),
    (Cheat.harness_detection, r"\b(?:syscall|cpuid)\b", "inspects the machine or the process (inline assembly)"),
    (Cheat.precomputed, r"\.incbin\b", "embeds a file (inline assembly)"),
]
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_INCLUDE = re.compile(r"^[ \t]*#[ \t]*(?:include|import|embed)[ \t]*(?:\"|<[ \t]*/)", re.M)
_NUMBER = re.compile(r"(?<![\w.])(\d[\d']*(?:\.\d*)?(?:[eE][+-]?\d+)?)(?:[uUlLfF]*)\b")
_BRACES = re.compile(r"\{[^{}]*\}")
_DEFINITION = re.compile(r"\b([A-Za-z_]\w*)\s*\([^;{}()]*\)\s*(?:const\s*)?(?:noexcept\s*)?\{")
_NOT_FUNCTIONS = frozenset({"if", "for", "while", "switch", "catch", "return", "sizeof", "alignof", "decltype"})
TABLE_LITERALS = 256
"""An initializer with this many numbers is a table of precomputed values."""
SIZE_LITERAL_MIN = 1000
"""Benchmark size values at least this big are suspicious as literals (small ones are ordinary constants)."""

_SYMBOLS: dict[Cheat, frozenset[str]] = {
    Cheat.time_dependent: frozenset(
        "time clock clock_gettime gettimeofday ftime timespec_get omp_get_wtime omp_get_wtick times".split()
    ),
    Cheat.harness_detection: frozenset(
        """getenv secure_getenv environ __environ setenv putenv getauxval syscall prctl ptrace getpid getppid
        readlink readlinkat system popen fork vfork execve execv execvp execvpe execl execlp execle posix_spawn
        posix_spawnp""".split()
    ),
    Cheat.calls_reference: frozenset("dlsym dlvsym dlopen dladdr dlinfo dl_iterate_phdr".split()),
    Cheat.precomputed: frozenset(
        "fopen fopen64 freopen open open64 openat creat read pread pread64 mmap mmap64 fread fwrite fscanf".split()
    ),
    Cheat.out_of_bounds_write: frozenset("mprotect pkey_mprotect".split()),
}
_SYMBOL_PARTS: list[tuple[Cheat, tuple[str, ...], str]] = [
    (Cheat.time_dependent, ("chrono", "now()"), "reads a clock (std::chrono)"),
    (Cheat.precomputed, ("basic_ifstream",), "reads files"),
    (Cheat.precomputed, ("basic_ofstream",), "writes files"),
    (Cheat.precomputed, ("basic_fstream",), "reads or writes files"),
    (Cheat.precomputed, ("basic_filebuf",), "reads or writes files"),
]
_SYMBOL_WHAT = {
    Cheat.time_dependent: "reads a clock",
    Cheat.harness_detection: "inspects the process or its environment",
    Cheat.calls_reference: "looks up code at run time",
    Cheat.precomputed: "reads or writes files (outputs may come from a cache)",
    Cheat.out_of_bounds_write: "changes memory protection",
}
_RUNTIME_PREFIXES = ("omp_", "__kmpc_", "__kmp", "kmp_", "pthread_", "__cxa_", "__libc_")
_RUNTIME_NAMES = frozenset("malloc calloc realloc free memcpy memmove memset memcmp nanosleep usleep sleep".split())
_ALLOWED_LIBRARIES = (
    "libstdc++.",
    "libc++.",
    "libc++abi.",
    "libm.",
    "libmvec.",
    "libomp.",
    "libgomp.",
    "libgcc_s.",
    "libc.",
    "ld-linux",
    "libdl.",
    "libpthread.",
    "librt.",
    "libunwind.",
)


def split_literals(source: str) -> tuple[str, str]:
    """``(code, strings)``: the source without comments and literals, and the literals' text alone.

    Both keep the source's line structure, so that offsets map to the same line numbers.
    """
    code, strings = [], []
    last = 0
    for match in _LITERALS.finditer(source):
        text = match.group()
        code.append(source[last : match.start()])
        strings.append(_blank(source[last : match.start()]))
        is_literal = text[0] in "\"'"
        code.append(_blank(text))
        strings.append(text if is_literal else _blank(text))
        last = match.end()
    code.append(source[last:])
    strings.append(_blank(source[last:]))
    return "".join(code), "".join(strings)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _lines(text: str, matches: Iterable[re.Match[str]]) -> str:
    found = sorted({_line(text, m.start()) for m in matches})
    shown = ", ".join(map(str, found[:5])) + (", ..." if len(found) > 5 else "")
    return f"line{'s' if len(found) > 1 else ''} {shown}"


def source_findings(source: str, *, reference: str, function: str, sizes: Iterable[int]) -> list[Finding]:
    """Findings from the candidate's source text.

    Args:
        source: The candidate's source.
        reference: The reference's source (calls to its helpers that the candidate does not define count).
        function: The task's function name (defined by both, never a finding).
        sizes: Benchmark size values (special-casing them in literals counts as a precomputed result).
    """
    code, strings = split_literals(source)
    findings = []
    for cheat, pattern, what in _CODE_RULES:
        if matches := list(re.finditer(pattern, code)):
            findings.append(Finding(cheat, f"{_lines(code, matches)}: {what} ({matches[0].group().strip()})", "source"))
    for cheat, pattern, what in _STRING_RULES:
        if matches := list(re.finditer(pattern, strings)):
            findings.append(Finding(cheat, f"{_lines(strings, matches)}: {what}", "source"))
    directives = _COMMENTS.sub(lambda m: _blank(m.group()), source)
    if matches := list(_INCLUDE.finditer(directives)):
        message = f"{_lines(directives, matches)}: includes a file other than a system header"
        findings.append(Finding(Cheat.precomputed, message, "source"))
    findings += _literal_findings(code, sizes)
    findings += _reference_helper_findings(code, reference, function)
    return findings


def _number(text: str) -> float | None:
    try:
        return float(text.replace("'", ""))
    except ValueError:
        return None


def _literal_findings(code: str, sizes: Iterable[int]) -> list[Finding]:
    findings = []
    special = {size for size in sizes if size >= SIZE_LITERAL_MIN}
    hits = [m for m in _NUMBER.finditer(code) if _number(m.group(1)) in special]
    if hits:
        message = f"{_lines(code, hits)}: special-cases the benchmark size {hits[0].group(1)}"
        findings.append(Finding(Cheat.precomputed, message, "source"))
    tables = [m for m in _BRACES.finditer(code) if len(_NUMBER.findall(m.group())) >= TABLE_LITERALS]
    if tables:
        message = f"{_lines(code, tables)}: a table of {len(_NUMBER.findall(tables[0].group()))} literal numbers"
        findings.append(Finding(Cheat.precomputed, message, "source"))
    return findings


def _defined_functions(code: str) -> set[str]:
    return {name for name in _DEFINITION.findall(code) if name not in _NOT_FUNCTIONS}


def _reference_helper_findings(code: str, reference: str, function: str) -> list[Finding]:
    helpers = _defined_functions(split_literals(reference)[0]) - _defined_functions(code) - {function}
    findings = []
    for name in sorted(helpers):
        if matches := list(re.finditer(rf"\b{re.escape(name)}\s*\(", code)):
            message = f"{_lines(code, matches)}: calls the reference's helper {name}() without defining it"
            findings.append(Finding(Cheat.calls_reference, message, "source"))
    return findings


def symbol_findings(symbols: SymbolReport) -> list[Finding]:
    """Findings from the candidate's object file: what it uses, what it defines, what its library needs."""
    findings = []
    undefined = {name.split("@", 1)[0] for name in symbols.undefined}
    for cheat, names in _SYMBOLS.items():
        if used := sorted(undefined & names):
            findings.append(Finding(cheat, f"{_SYMBOL_WHAT[cheat]}: uses {', '.join(used)}", "symbols"))
    for cheat, parts, what in _SYMBOL_PARTS:
        if used := sorted(name for name in undefined if all(part in name for part in parts)):
            findings.append(Finding(cheat, f"{what}: uses {used[0]}", "symbols"))
    special = set().union(*_SYMBOLS.values()) | _RUNTIME_NAMES
    defined = {name.split("@", 1)[0] for name in symbols.defined}
    if interposed := sorted(n for n in defined if n in special or n.startswith(_RUNTIME_PREFIXES)):
        message = f"defines {', '.join(interposed)}, which would replace the runtime's own for the whole program"
        findings.append(Finding(Cheat.harness_detection, message, "symbols"))
    if foreign := [lib for lib in symbols.needed if not lib.startswith(_ALLOWED_LIBRARIES)]:
        findings.append(Finding(Cheat.calls_reference, f"links against {', '.join(foreign)}", "symbols"))
    return findings
