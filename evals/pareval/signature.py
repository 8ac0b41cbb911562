"""Reading a ParEval prompt: its preamble, docstring and function head, and the C++ types of the head.

A prompt is C++ text that ends with the head of the function to write, e.g.::

    #include <omp.h>

    /* Compute z = alpha*x+y where x and y are vectors. ... */
    void axpy(double alpha, std::vector<double> const& x, std::vector<double> const& y, std::vector<double> &z) {

:func:`parse_prompt` splits it; :func:`parse_head` reads the head into typed parameters, raising
:class:`~evals.pareval.skips.Unconvertible` for a type the C ABI cannot carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from evals.pareval.cpp import matching, split_top_level
from evals.pareval.skips import SkipReason, Unconvertible
from tasks.dtypes import DType

_SCALARS: dict[str, DType] = {
    "bool": DType.bool,
    "char": DType.int8,
    "signed char": DType.int8,
    "unsigned char": DType.uint8,
    "short": DType.int16,
    "unsigned short": DType.uint16,
    "int": DType.int32,
    "signed": DType.int32,
    "unsigned": DType.uint32,
    "unsigned int": DType.uint32,
    "long": DType.int64,
    "unsigned long": DType.uint64,
    "long long": DType.int64,
    "unsigned long long": DType.uint64,
    "size_t": DType.uint64,
    "ptrdiff_t": DType.int64,
    "float": DType.float32,
    "double": DType.float64,
    **{f"{sign}int{bits}_t": DType(f"{sign}int{bits}") for sign in ("", "u") for bits in (8, 16, 32, 64)},
}
"""C++ scalar spellings (``std::`` removed, spaces collapsed) with their dtype on LP64 Linux."""


class Container(StrEnum):
    """How a parameter holds its values."""

    scalar = "scalar"
    vector = "vector"
    """``std::vector<T>``."""
    array = "array"
    """``std::array<T, K>``."""


@dataclass(frozen=True)
class CppType:
    """A parameter or return type of a ParEval function head that the importer can adapt."""

    container: Container
    dtype: DType
    element: str
    """The element type as written, e.g. ``double`` or ``size_t``."""
    const: bool = False
    reference: bool = False
    extent: int | None = None
    """The ``K`` of ``std::array<T, K>``."""

    @property
    def cpp(self) -> str:
        """The value type in C++, e.g. ``std::vector<double>``."""
        if self.container is Container.vector:
            return f"std::vector<{self.element}>"
        if self.container is Container.array:
            return f"std::array<{self.element}, {self.extent}>"
        return self.element


@dataclass(frozen=True)
class CppParam:
    """One parameter of the head."""

    name: str
    type: CppType
    spelled: str
    """The declaration as written in the prompt."""


@dataclass(frozen=True)
class CppFunction:
    """The function a prompt asks for."""

    name: str
    returns: CppType | None
    """None for ``void``."""
    params: list[CppParam]
    head: str
    """The head as written, without the opening brace."""


@dataclass(frozen=True)
class PromptParts:
    """A prompt split into what comes before the docstring, the docstring and the function head."""

    preamble: str
    """Includes and helpers (``struct Point``, ``isPowerOfTwo``) that precede the docstring."""
    docstring: str
    """The problem statement, comment markers removed and lines dedented."""
    head: str
    """The function head without its opening brace."""


def parse_prompt(prompt: str) -> PromptParts:
    """Split ``prompt`` into preamble, docstring and head.

    Raises:
        Unconvertible: the prompt does not end with a function head and its opening brace.
    """
    text = prompt.rstrip()
    if not text.endswith("{"):
        raise Unconvertible(SkipReason.driver_unreadable, "the prompt does not end with a function head and '{'")
    body = text[:-1]
    close = body.rfind("*/")
    if close < 0:
        lines = body.splitlines()
        return PromptParts("\n".join(lines[:-1]), "", " ".join(lines[-1].split()) if lines else "")
    start = body.rfind("/*", 0, close)
    head = " ".join(body[close + 2 :].split())
    if start < 0 or not head:
        raise Unconvertible(SkipReason.driver_unreadable, "the prompt has no docstring before its function head")
    return PromptParts(body[:start].rstrip(), _dedent_comment(body[start + 2 : close]), head)


def _dedent_comment(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents, default=0)
    first = lines[0].strip() if lines else ""
    rest = [line[cut:] if len(line) >= cut else line.strip() for line in lines[1:]]
    return "\n".join([first, *rest]).strip()


def parse_head(head: str) -> CppFunction:
    """Read a function head such as ``double average(std::vector<double> const& x)``.

    Raises:
        Unconvertible: the head cannot be read, or a parameter or the return type cannot cross a C ABI.
    """
    open_paren = head.find("(")
    if open_paren < 0:
        raise Unconvertible(SkipReason.driver_unreadable, f"cannot read the function head `{head}`")
    before = head[:open_paren].split()
    if len(before) < 2 or not re.fullmatch(r"[A-Za-z_]\w*", before[-1]):
        raise Unconvertible(SkipReason.driver_unreadable, f"cannot read the function head `{head}`")
    name = before[-1]
    returns_text = " ".join(word for word in before[:-1] if word not in ("inline", "static", "NO_INLINE"))
    close = matching(head, open_paren)
    inner = head[open_paren + 1 : close - 1]
    params = [_param(text) for text in split_top_level(inner, templates=True) if text and text != "void"]
    returns = None if returns_text == "void" else cpp_type(returns_text, what="the return type")
    if returns is not None and returns.container is not Container.scalar:
        raise Unconvertible(SkipReason.unsupported_type, f"the function returns a container ({returns_text})")
    return CppFunction(name=name, returns=returns, params=params, head=" ".join(head.split()))


def _param(text: str) -> CppParam:
    match = re.search(r"([A-Za-z_]\w*)\s*(\[\s*\])?$", text)
    if match is None or match.start() == 0:
        raise Unconvertible(SkipReason.driver_unreadable, f"cannot read the parameter `{text}`")
    name = match.group(1)
    type_text = text[: match.start()].strip()
    if match.group(2):
        raise Unconvertible(SkipReason.raw_pointer, f"parameter `{text}` is a C array")
    return CppParam(name=name, type=cpp_type(type_text, what=f"parameter '{name}'"), spelled=" ".join(text.split()))


def cpp_type(text: str, what: str = "a type") -> CppType:
    """The adaptable type spelled ``text`` (e.g. ``std::vector<double> const&``).

    Raises:
        Unconvertible: ``text`` is a type the C ABI cannot carry; the reason says which kind.
    """
    spelled = " ".join(text.split())
    if "Kokkos::" in spelled:
        raise Unconvertible(SkipReason.kokkos_view, f"{what} is a Kokkos view ({spelled})")
    reference = "&" in spelled
    const = bool(re.search(r"\bconst\b", spelled))
    base = re.sub(r"\bconst\b|&|\b(?:volatile|__restrict__|__restrict)\b", " ", spelled)
    base = " ".join(base.split())
    if "*" in base:
        raise Unconvertible(SkipReason.raw_pointer, f"{what} is a raw pointer ({spelled})")
    template = re.fullmatch(r"(?:std::)?(vector|array)\s*<(.*)>", base)
    if template is None:
        dtype = _scalar(base, what, spelled)
        if reference and not const:
            raise Unconvertible(SkipReason.unsupported_type, f"{what} is a scalar passed by reference ({spelled})")
        return CppType(Container.scalar, dtype, base, const=const, reference=reference)
    kind, inner = template.groups()
    if kind == "vector":
        element = " ".join(inner.split())
        if re.match(r"(?:std::)?vector\b", element):
            raise Unconvertible(SkipReason.nested_vector, f"{what} is a vector of vectors ({spelled})")
        return CppType(Container.vector, _scalar(element, what, spelled), element, const=const, reference=reference)
    parts = split_top_level(inner, templates=True)
    if len(parts) != 2 or not re.fullmatch(r"\d+", parts[1]):
        raise Unconvertible(SkipReason.unsupported_type, f"{what} is an array of unknown extent ({spelled})")
    element = " ".join(parts[0].split())
    return CppType(
        Container.array, _scalar(element, what, spelled), element, const=const, reference=reference,
        extent=int(parts[1]),
    )  # fmt: skip


def _scalar(spelling: str, what: str, whole: str) -> DType:
    key = re.sub(r"\bstd::", "", spelling)
    if key in _SCALARS:
        return _SCALARS[key]
    if re.match(r"(?:std::)?complex\b", spelling):
        raise Unconvertible(SkipReason.complex_type, f"{what} holds complex numbers ({whole})")
    if re.match(r"(?:std::)?string\b", spelling):
        raise Unconvertible(SkipReason.string_type, f"{what} holds strings ({whole})")
    if re.fullmatch(r"[A-Za-z_]\w*", spelling):
        raise Unconvertible(SkipReason.struct_type, f"{what} holds structs of type {spelling} ({whole})")
    raise Unconvertible(SkipReason.unsupported_type, f"{what} has type {whole}, which the C ABI cannot carry")
