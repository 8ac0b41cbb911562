"""Finding the task's function in a candidate's syntax tree and comparing its signature with the task's.

The comparison follows what the linker will do with the definition: it must be the same function
as the ``extern "C"`` declaration in ``signature.h`` (same parameter types, pointee constness and
count; top-level ``const`` and ``__restrict`` do not matter), defined at global scope. Parameter
names must match the task's so that the code reads as the task describes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from tasks.codeanalysis.syntax import text, walk
from tasks.model import Param, Role, Signature

_SCOPES = {"namespace_definition": "a namespace", "class_specifier": "a class", "struct_specifier": "a struct"}
_TRANSPARENT = {"translation_unit", "linkage_specification", "declaration_list"}

_TYPEDEFS = {
    **{f"{sign}int{bits}_t": f"{sign}int{bits}_t" for sign in ("", "u") for bits in (8, 16, 32, 64)},
    "size_t": "uint64_t",
    "uintptr_t": "uint64_t",
    "ssize_t": "int64_t",
    "ptrdiff_t": "int64_t",
    "intptr_t": "int64_t",
}
"""Type names with their LP64 meaning, in the fixed-width spelling the task uses."""
_POINTER_LIKE = {"pointer_declarator", "abstract_pointer_declarator", "array_declarator", "abstract_array_declarator"}
"""Declarators that make a parameter a pointer (an array parameter is one)."""
_BUILTINS = {"void", "bool", "float", "double", "char", "wchar_t", "char16_t", "char32_t"}


@dataclass(frozen=True)
class DeclaredParam:
    """One parameter as the candidate declared it."""

    name: str | None
    type_name: str
    """The base type as written, e.g. ``double`` or ``std::int64_t``."""
    pointers: int
    """Pointer levels (an array parameter counts as one)."""
    pointee_const: bool
    volatile: bool
    reference: bool
    line: int

    def spelled(self) -> str:
        const = "const " if self.pointee_const and self.pointers else ""
        stars = "*" * self.pointers + ("&" if self.reference else "")
        return f"{const}{self.type_name}{stars} {self.name or ''}".strip()


@dataclass(frozen=True)
class Definition:
    """A definition of a function with the task's name."""

    line: int
    scope: str | None
    """What encloses it when not at global scope (``a namespace``, ``a template``...)."""
    return_type: str
    params: list[DeclaredParam]
    variadic: bool


def line_of(node: Node) -> int:
    """1-based line of ``node``'s start."""
    return node.start_point[0] + 1


def function_name(definition: Node) -> str | None:
    """The declared name of a ``function_definition`` node (qualified names keep their last part)."""
    declarator = definition.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return None
    name = declarator.child_by_field_name("declarator")
    if name is None:
        return None
    if name.type == "qualified_identifier":
        inner = name.child_by_field_name("name")
        return text(inner) if inner is not None else None
    return text(name)


def definitions(root: Node, name: str) -> list[Definition]:
    """Every definition of a function called ``name`` under ``root``."""
    found = []
    for node in walk(root):
        if node.type == "function_definition" and function_name(node) == name:
            found.append(_definition(node))
    return found


def _definition(node: Node) -> Definition:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    assert declarator is not None  # function_name found one
    param_list = declarator.child_by_field_name("parameters")
    params, variadic = [], False
    for child in param_list.named_children if param_list is not None else []:
        if child.type == "variadic_parameter":
            variadic = True
        elif child.type in ("parameter_declaration", "optional_parameter_declaration"):
            params.append(_param(child))
    return_type = node.child_by_field_name("type")
    return Definition(
        line=line_of(node),
        scope=_enclosing_scope(node),
        return_type=text(return_type) if return_type is not None else "",
        params=params,
        variadic=variadic,
    )


def _enclosing_scope(node: Node) -> str | None:
    parent = node.parent
    while parent is not None:
        if parent.type == "template_declaration":
            return "a template"
        if parent.type in _SCOPES:
            return _SCOPES[parent.type]
        if parent.type not in _TRANSPARENT and not parent.type.startswith("preproc_"):
            return f"a {parent.type.replace('_', ' ')}"
        parent = parent.parent
    return None


def _param(node: Node) -> DeclaredParam:
    outer_qualifiers = {text(c) for c in node.named_children if c.type == "type_qualifier"}
    type_node = node.child_by_field_name("type")
    pointers, reference, name = 0, False, None
    declarator = node.child_by_field_name("declarator")
    while declarator is not None:
        if declarator.type in _POINTER_LIKE:
            pointers += 1
        elif declarator.type in ("reference_declarator", "abstract_reference_declarator"):
            reference = True
        elif declarator.type == "identifier":
            name = text(declarator)
            break
        inner = declarator.child_by_field_name("declarator")
        if inner is None:  # reference declarators hold their inner declarator as an unnamed child
            inner = next((c for c in declarator.named_children if c.type.endswith(("declarator", "identifier"))), None)
        declarator = inner
    return DeclaredParam(
        name=name,
        type_name=text(type_node) if type_node is not None else "",
        pointers=pointers,
        pointee_const="const" in outer_qualifiers,
        volatile="volatile" in outer_qualifiers,
        reference=reference,
        line=line_of(node),
    )


def canonical_type(spelling: str) -> str | None:
    """The type's meaning on LP64 Linux in fixed-width spelling (``long`` -> ``int64_t``), or None if unknown."""
    words = re.sub(r"(\bstd)?::", " ", spelling).split()
    if len(words) == 1 and words[0] in _TYPEDEFS:
        return _TYPEDEFS[words[0]]
    if len(words) == 1 and words[0] in _BUILTINS:
        return words[0]
    specifiers = {"signed", "unsigned", "short", "long", "int", "char", "double"}
    if not words or not set(words) <= specifiers:
        return None
    unsigned = "unsigned" in words
    prefix = "u" if unsigned else ""
    longs = words.count("long")
    if "double" in words:
        return "long double" if longs == 1 and len(words) == 2 else None
    if "char" in words:
        return "char" if len(words) == 1 else f"{prefix}int8_t"
    if "short" in words:
        return f"{prefix}int16_t"
    if longs == 1:
        return f"{prefix}int64_t"
    if longs == 2:
        return "unsigned long long" if unsigned else "long long"
    return f"{prefix}int32_t"


def signature_differences(definition: Definition, signature: Signature) -> list[str]:
    """How ``definition`` differs from the task's ``signature`` (empty when it matches)."""
    problems = []
    if definition.scope:
        problems.append(f"it is defined inside {definition.scope}; define it at global scope")
    if definition.return_type and definition.return_type not in ("void", "auto"):
        problems.append(f"it returns {definition.return_type}; it must return void (results go to the outputs)")
    expected, found = signature.params, definition.params
    if definition.variadic:
        problems.append("it takes variadic arguments (...)")
    if len(found) != len(expected):
        problems.append(f"it has {len(found)} parameter(s); the task's signature has {len(expected)}")
    for index, (want, got) in enumerate(zip(expected, found, strict=False), start=1):
        problems += [f"parameter {index} (line {got.line}): {p}" for p in _param_differences(want, got)]
    return problems


def _param_differences(want: Param, got: DeclaredParam) -> list[str]:
    problems = []
    wanted = want.c_declaration()
    if got.name is not None and got.name != want.name:
        problems.append(f"is named '{got.name}', expected '{want.name}' (`{wanted}`)")
    if got.reference:
        problems.append(f"`{got.spelled()}` is a reference; expected `{wanted}`")
    want_pointers = 1 if want.is_array else 0
    if got.pointers != want_pointers:
        kind = "a pointer" if want.is_array else "a scalar passed by value"
        problems.append(f"`{got.spelled()}` should be {kind}: `{wanted}`")
    elif want.is_array:
        want_const = want.role is Role.input
        if got.pointee_const != want_const:
            why = "it is an input the kernel only reads" if want_const else f"it is an {want.role.value}"
            problems.append(f"`{got.spelled()}` must be `{wanted}` ({why})")
        if got.volatile:
            problems.append(f"`{got.spelled()}` points to volatile data; expected `{wanted}`")
    canonical = canonical_type(got.type_name)
    if canonical is not None and canonical != want.dtype.c_type:
        note = f" ({got.type_name} is {canonical} here)" if canonical != got.type_name else ""
        if canonical.endswith("long long"):
            note = " (int64_t is `long` on this platform, a different type from `long long`)"
        problems.append(f"has type {got.type_name}{note}; expected {want.dtype.c_type} (`{wanted}`)")
    return problems
