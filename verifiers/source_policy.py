"""What a candidate's source may not contain: process creation, sockets, file I/O, inline assembly,
environment access, raw system calls, dynamic loading, and includes beyond the standard library.

The check reads the syntax tree, so names inside comments and strings do not count. Macro bodies
are raw text to tree-sitter, so their tokens are checked too; token pasting (``##``) and line
splices inside a token are refused because they could assemble a forbidden name the scan cannot see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node, Tree

from tasks.codeanalysis.syntax import text, walk
from verifiers.signature_check import line_of


class Category(StrEnum):
    """Kinds of forbidden construct; the parse stage's reason is ``parse.forbidden_<category>``."""

    process = "process"
    network = "network"
    file_io = "file_io"
    asm = "asm"
    environment = "environment"
    syscall = "syscall"
    dynamic_loading = "dynamic_loading"
    include = "include"
    preprocessor = "preprocessor"


_WHY: dict[Category, str] = {
    Category.process: "kernels may not start processes",
    Category.network: "kernels may not use the network",
    Category.file_io: "kernels may not touch files (inputs and outputs come through the parameters)",
    Category.asm: "use intrinsics from <immintrin.h> instead",
    Category.environment: "kernels may not read or change environment variables",
    Category.syscall: "raw system calls are not allowed",
    Category.dynamic_loading: "kernels may not load libraries at run time",
    Category.include: "only standard C/C++ headers, <omp.h> and the x86 intrinsics headers may be included",
    Category.preprocessor: "this preprocessor trick is not allowed",
}


def _names(category: Category, names: str) -> dict[str, Category]:
    return dict.fromkeys(names.split(), category)


FORBIDDEN_NAMES: dict[str, Category] = {
    **_names(
        Category.process,
        "fork vfork execl execlp execle execv execvp execvpe execve fexecve system popen pclose "
        "posix_spawn posix_spawnp waitpid",
    ),
    **_names(
        Category.network,
        "socket socketpair getaddrinfo gethostbyname inet_pton inet_addr sendto recvfrom sendmsg recvmsg accept4",
    ),
    **_names(
        Category.file_io,
        "fopen fopen64 freopen fdopen tmpfile tmpnam mkstemp open64 openat creat ofstream ifstream fstream "
        "basic_ofstream basic_ifstream basic_fstream filebuf basic_filebuf filesystem opendir readdir "
        "unlink unlinkat rmdir truncate",
    ),
    **_names(Category.environment, "getenv secure_getenv setenv putenv unsetenv clearenv environ"),
    **_names(Category.syscall, "syscall ptrace prctl"),
    **_names(Category.dynamic_loading, "dlopen dlmopen dlsym dlvsym"),
    **_names(Category.asm, "asm __asm __asm__"),
}
"""Names refused wherever they appear as an identifier, type or namespace."""

CALL_ONLY_NAMES: dict[str, Category] = {
    **_names(Category.process, "clone kill"),
    **_names(Category.network, "connect bind listen accept send recv"),
    **_names(Category.file_io, "open remove rename"),
}
"""Common words refused only when called unqualified or through ``::`` (``std::bind`` stays allowed)."""

STANDARD_HEADERS = frozenset(
    """
    algorithm any array atomic barrier bit bitset cassert cctype cerrno cfenv cfloat charconv chrono
    cinttypes climits clocale cmath compare complex concepts condition_variable cstdarg cstdbool cstddef
    cstdint cstdio cstdlib cstring ctime cwchar cwctype deque exception execution functional
    initializer_list iomanip ios iosfwd iostream istream iterator latch limits list map memory
    memory_resource mutex new numbers numeric optional ostream queue random ranges ratio scoped_allocator
    semaphore set shared_mutex span sstream stack stdexcept stop_token string string_view thread tuple
    type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector version
    assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h limits.h math.h stdalign.h stdarg.h
    stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h time.h wchar.h
    omp.h pthread.h bits/stdc++.h
    """.split()
)
"""Headers a candidate may include, besides the x86 intrinsics headers (``*intrin.h``)."""
_INTRINSICS_HEADER = re.compile(r"^[a-z0-9]*intrin\.h$")
ALLOWED_QUOTED = frozenset({"signature.h"})
"""The generated header declaring the kernel; including it again is harmless."""

_TOKEN = re.compile(r"[A-Za-z_]\w*")
_LITERAL = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_SPLICE_IN_TOKEN = re.compile(r"\w\\\r?\n\w")
_NAME_NODES = {"identifier", "type_identifier", "namespace_identifier"}
_REFUSED_DIRECTIVES = {"#include_next", "#import", "#embed"}


@dataclass(frozen=True)
class Violation:
    """One forbidden construct in the candidate's source."""

    category: Category
    line: int
    what: str

    @property
    def reason(self) -> str:
        return f"parse.forbidden_{self.category.value}"

    def __str__(self) -> str:
        return f"line {self.line}: {self.what} ({_WHY[self.category]})"


def find_violations(tree: Tree, source: str) -> list[Violation]:
    """Every forbidden construct in ``source`` (whose syntax tree is ``tree``), in source order."""
    found: list[Violation] = []
    for node in walk(tree.root_node):
        found += _node_violations(node)
    for match in _SPLICE_IN_TOKEN.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        found.append(Violation(Category.preprocessor, line, "a line splice (backslash-newline) inside a name"))
    return sorted(set(found), key=lambda v: (v.line, v.category.value, v.what))


def _node_violations(node: Node) -> list[Violation]:
    kind, line = node.type, line_of(node)
    if kind in _NAME_NODES:
        name = text(node)
        if name in FORBIDDEN_NAMES:
            return [Violation(FORBIDDEN_NAMES[name], line, f"use of '{name}'")]
        if name in CALL_ONLY_NAMES and _called_or_taken(node):
            return [Violation(CALL_ONLY_NAMES[name], line, f"call of '{name}'")]
    elif "asm" in kind and (node.parent is None or "asm" not in node.parent.type):
        return [Violation(Category.asm, line, "inline assembly")]
    elif kind == "preproc_include":
        return _include_violations(node)
    elif kind == "preproc_call":
        directive = node.child_by_field_name("directive")
        if directive is not None and text(directive).replace(" ", "") in _REFUSED_DIRECTIVES:
            return [Violation(Category.include, line, f"'{text(directive)}'")]
    elif kind in ("preproc_def", "preproc_function_def"):
        return _macro_violations(node)
    return []


def _called_or_taken(node: Node) -> bool:
    """Whether the name is called or has its address taken, unqualified or as ``::name``."""
    target, parent = node, node.parent
    if parent is not None and parent.type == "qualified_identifier":
        if parent.child_by_field_name("scope") is not None:
            return False
        target, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "call_expression":
        return parent.child_by_field_name("function") == target
    return parent.type == "pointer_expression"


def _include_violations(node: Node) -> list[Violation]:
    path = node.child_by_field_name("path")
    line = line_of(node)
    if path is None:
        return [Violation(Category.include, line, "an #include without a header name")]
    spelled = text(path)
    if path.type == "system_lib_string":
        header = spelled.strip("<>").strip()
        if standard_header(header):
            return []
        return [Violation(Category.include, line, f"#include {spelled}")]
    if path.type == "string_literal" and spelled.strip('"') in ALLOWED_QUOTED:
        return []
    return [Violation(Category.include, line, f"#include {spelled}")]


def standard_header(header: str) -> bool:
    """Whether ``header`` (as in ``#include <header>``) is one a candidate may include."""
    return header in STANDARD_HEADERS or _INTRINSICS_HEADER.match(header) is not None


def _macro_violations(node: Node) -> list[Violation]:
    value = node.child_by_field_name("value")
    if value is None:
        return []
    body, line = text(value), line_of(node)
    found = []
    if "##" in body:
        found.append(Violation(Category.preprocessor, line, "token pasting (##) in a macro"))
    for token in _TOKEN.findall(_LITERAL.sub(" ", body)):
        category = FORBIDDEN_NAMES.get(token) or CALL_ONLY_NAMES.get(token)
        if category is not None:
            found.append(Violation(category, line, f"'{token}' in a macro"))
    return found
