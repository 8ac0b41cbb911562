"""Loop counters and indices too narrow for the sizes they run up to.

An ``int`` counter over an ``int64_t`` size (``for (int i = 0; i < n; ++i)``), or an ``int`` index
computed from one (``int idx = i * n + j; c[idx]``), overflows only past 2^31 elements, far above
any test size: a bug no run finds. Two rules, over every function of the source:

- a ``for`` loop variable whose type is narrower than a size it is compared with or starts from;
- a local variable used as an index (in a subscript, a ``for`` header or pointer arithmetic) whose
  type is narrower than the size its initializer computes.

Which expressions are sizes, and their types, is :mod:`tasks.codeanalysis.sizes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node

from tasks.codeanalysis.declarations import Kind, declared_names
from tasks.codeanalysis.integer_types import IntType
from tasks.codeanalysis.sizes import Sizes, loop_bounds
from tasks.codeanalysis.syntax import text, walk

_MAX_SIZE_TEXT = 80
"""Longer size expressions are shortened in findings."""


class Role(StrEnum):
    """What the size is to the narrow variable."""

    bound = "bound"
    """A ``for`` loop runs the variable up to it."""
    start = "start"
    """A ``for`` loop starts the variable at it."""
    value = "value"
    """The variable is initialised with it."""


@dataclass(frozen=True)
class NarrowIndex:
    """A counter or index whose type cannot hold every value of the size it runs over."""

    line: int
    variable: str
    type: str
    """The variable's type as written (``int``)."""
    size: str
    """The size expression (``n``, ``row_ptr[i + 1]``, ``i * n + j``)."""
    size_type: str
    """The size's type as written (``int64_t``)."""
    role: Role


def narrow_indices(root: Node) -> list[NarrowIndex]:
    """Every narrow loop counter or index under ``root``, in source order."""
    sizes = Sizes()
    index_uses = _index_uses(root, sizes)
    found = []
    for node in walk(root):
        if node.has_error:
            continue
        if node.type == "for_statement":
            found += _narrow_loop_variables(node, sizes)
        elif node.type == "declaration" and (node.parent is None or node.parent.type != "for_statement"):
            found += _narrow_locals(node, sizes, index_uses)
    return found


def _narrow_loop_variables(loop: Node, sizes: Sizes) -> list[NarrowIndex]:
    found = []
    for name, type_, start in _loop_variables(loop, sizes):
        candidates = [(bound, Role.bound) for bound in loop_bounds(loop, name)]
        candidates += [(start, Role.start)] if start is not None else []
        for expr, role in candidates:
            size = sizes.size_type(expr, through_casts=True)
            if size is not None and type_.narrower_than(size):
                found.append(_finding(loop, name, type_, expr, size, role))
                break
    return found


def _loop_variables(loop: Node, sizes: Sizes) -> list[tuple[str, IntType, Node | None]]:
    """(name, type, initial value) of each integer variable a ``for`` loop's initializer sets."""
    init = loop.child_by_field_name("initializer")
    if init is None:
        return []
    if init.type == "declaration":
        declared = [(d.name, sizes.declared_type(d), d.value) for d in declared_names(init, Kind.loop, loop)]
    else:
        assignments = [n for n in walk(init) if n.type == "assignment_expression" and _is_plain(n)]
        declared = []
        for assignment in assignments:
            left = assignment.child_by_field_name("left")
            known = sizes.scopes.lookup(text(left), loop) if left is not None and left.type == "identifier" else None
            if known is not None:
                declared.append((known.name, sizes.declared_type(known), assignment.child_by_field_name("right")))
    return [(name, type_, value) for name, type_, value in declared if type_ is not None]


def _narrow_locals(declaration: Node, sizes: Sizes, index_uses: dict[str, list[int]]) -> list[NarrowIndex]:
    found = []
    scope = declaration.parent
    for declared in declared_names(declaration, Kind.local):
        type_ = sizes.declared_type(declared)
        if type_ is None or declared.value is None or text(declared.type) == "auto" or scope is None:
            continue
        size = sizes.size_type(declared.value, through_casts=False)
        used = any(declaration.end_byte <= at < scope.end_byte for at in index_uses.get(declared.name, []))
        if size is not None and type_.narrower_than(size) and used:
            found.append(_finding(declaration, declared.name, type_, declared.value, size, Role.value))
    return found


def _index_uses(root: Node, sizes: Sizes) -> dict[str, list[int]]:
    """Where each name is used as an index (in a subscript, a ``for`` header or pointer arithmetic), by start byte."""
    uses: dict[str, list[int]] = {}
    stack = [(root, False)]
    while stack:
        node, inside = stack.pop()
        if inside and node.type == "identifier":
            uses.setdefault(text(node), []).append(node.start_byte)
        header = (node.child_by_field_name("initializer"), node.child_by_field_name("condition"))
        for child in node.named_children:
            indexes = (
                node.type == "subscript_argument_list"
                or (node.type == "for_statement" and child in header)
                or (node.type == "binary_expression" and _offsets_pointer(node, child, sizes))
            )
            stack.append((child, inside or indexes))
    return uses


def _offsets_pointer(expr: Node, operand: Node, sizes: Sizes) -> bool:
    """Whether ``expr`` is ``pointer + operand`` or ``pointer - operand``."""
    operator = expr.child_by_field_name("operator")
    if operator is None or text(operator) not in ("+", "-"):
        return False
    sides = (expr.child_by_field_name("left"), expr.child_by_field_name("right"))
    other = next((side for side in sides if side != operand), None)
    if other is None or other.type != "identifier":
        return False
    declared = sizes.scopes.lookup(text(other), other)
    return declared is not None and declared.pointers > 0


def _is_plain(assignment: Node) -> bool:
    operator = assignment.child_by_field_name("operator")
    return operator is not None and text(operator) == "="


def _finding(at: Node, name: str, type_: IntType, expr: Node, size: IntType, role: Role) -> NarrowIndex:
    spelled = " ".join(text(expr).split())
    return NarrowIndex(
        line=at.start_point[0] + 1,
        variable=name,
        type=type_.spelling,
        size=spelled if len(spelled) <= _MAX_SIZE_TEXT else spelled[: _MAX_SIZE_TEXT - 3] + "...",
        size_type=size.spelling,
        role=role,
    )
