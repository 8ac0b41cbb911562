"""Which integer expressions of a kernel carry a size, and of which type.

A size is a run-time count that grows with the problem: an integer parameter (``int64_t n``), an
element of an integer array (``row_ptr[i + 1]``), a loop variable running up to a size, a local
initialised from one, and arithmetic on them (``i * n + j``, ``(lo + hi) / 2``, ``std::max(a, n)``).
Constants (``256``, ``const int64_t block = 4096``) and values of unknown origin (``omp_get_num_threads()``,
``v.size()``) are not sizes. The type of a size is the C++ type it has (``n * 2`` is ``int64_t``).
"""

from __future__ import annotations

from tree_sitter import Node

from tasks.codeanalysis.declarations import Declared, Kind, Scopes
from tasks.codeanalysis.integer_types import IntType, int_type, literal_type
from tasks.codeanalysis.syntax import text, walk

_COMPARISONS = frozenset({"<", "<=", ">", ">=", "!="})
_EITHER = frozenset({"+", "-", "*", "|", "^"})
"""Operators whose result is as large as either operand."""
_BOTH = frozenset({"%", "&"})
"""Operators whose result is no larger than the smaller operand."""
_SHIFTS = frozenset({"<<", ">>"})
_MAX_DEPTH = 100
"""Expressions nested deeper are not judged: no loop bound is, and Python's recursion is limited."""


def loop_bounds(loop: Node, name: str) -> list[Node]:
    """What ``name`` is compared with in the condition of the ``for`` statement ``loop``."""
    condition = loop.child_by_field_name("condition")
    if condition is None:
        return []
    bounds = []
    for node in walk(condition):
        operator = node.child_by_field_name("operator")
        if node.type != "binary_expression" or operator is None or text(operator) not in _COMPARISONS:
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            continue
        sides = {_mentions(left, name), _mentions(right, name)}
        if sides == {True, False}:
            bounds.append(right if _mentions(left, name) else left)
    return bounds


class Sizes:
    """Size analysis of one syntax tree: what each name holds is worked out once."""

    def __init__(self) -> None:
        self.scopes = Scopes()
        """Name lookups in the tree."""
        self._holds_size: dict[tuple[int, str], bool] = {}
        """Whether a declared name holds a size; False while it is being worked out (a name whose value
        depends on itself is not a size)."""
        self._depth = 0

    def size_type(self, expr: Node, *, through_casts: bool) -> IntType | None:
        """The type of ``expr`` if it carries a size, else None.

        With ``through_casts``, a cast to a narrower integer type (``(int)n``) keeps the type of the size
        it truncates: a loop bound spelled so still runs up to that size.
        """
        return self._of(expr, through_casts)

    def declared_type(self, declared: Declared) -> IntType | None:
        """The integer type of a scalar declared name (``auto`` takes its initializer's), or None."""
        if declared.pointers:
            return None
        if text(declared.type) != "auto":
            return int_type(text(declared.type))
        value = declared.value
        if value is None:
            return None
        if value.type == "number_literal":
            return literal_type(text(value))
        cast = _cast_target(value)
        if cast is not None:
            return int_type(cast)
        return self._of(value, False)

    def _of(self, expr: Node, casts: bool) -> IntType | None:
        if self._depth >= _MAX_DEPTH:
            return None
        self._depth += 1
        try:
            return self._dispatch(expr, casts)
        finally:
            self._depth -= 1

    def _dispatch(self, expr: Node, casts: bool) -> IntType | None:
        kind = expr.type
        if kind in ("parenthesized_expression", "comma_expression"):
            last = expr.named_children[-1] if expr.named_children else None
            return self._of(last, casts) if last is not None else None
        if kind == "identifier":
            return self._name(expr, casts)
        if kind == "subscript_expression":
            return self._element(expr)
        if kind in ("unary_expression", "update_expression"):
            operator, argument = expr.child_by_field_name("operator"), expr.child_by_field_name("argument")
            if argument is None or (operator is not None and text(operator) not in ("-", "+", "++", "--")):
                return None
            return self._of(argument, casts)
        if kind == "binary_expression":
            return self._binary(expr, casts)
        if kind == "conditional_expression":
            return _widest(self._field(expr, "consequence", casts), self._field(expr, "alternative", casts))
        if kind == "call_expression":
            return self._call(expr, casts)
        if kind == "cast_expression":
            target, value = expr.child_by_field_name("type"), expr.child_by_field_name("value")
            return self._cast(text(target), value, casts) if target is not None and value is not None else None
        return None

    def _field(self, node: Node, name: str, casts: bool) -> IntType | None:
        child = node.child_by_field_name(name)
        return self._of(child, casts) if child is not None else None

    def _name(self, identifier: Node, casts: bool) -> IntType | None:
        declared = self.scopes.lookup(text(identifier), identifier)
        if declared is None:
            return None
        type_ = self.declared_type(declared)
        if type_ is None or declared.kind is Kind.parameter:
            return type_
        return type_ if self._holds(declared, casts) else None

    def _holds(self, declared: Declared, casts: bool) -> bool:
        key = (declared.owner.id, declared.name)
        if key not in self._holds_size:
            self._holds_size[key] = False
            sources = [declared.value] if declared.value is not None else []
            if declared.kind is Kind.loop:
                sources += loop_bounds(declared.owner, declared.name)
            self._holds_size[key] = any(self._of(source, casts) is not None for source in sources)
        return self._holds_size[key]

    def _element(self, subscript: Node) -> IntType | None:
        array = subscript.child_by_field_name("argument")
        if array is None or array.type != "identifier":
            return None
        declared = self.scopes.lookup(text(array), array)
        element = declared.element_type if declared is not None else None
        return int_type(element) if element is not None else None

    def _binary(self, expr: Node, casts: bool) -> IntType | None:
        operator = expr.child_by_field_name("operator")
        op = text(operator) if operator is not None else ""
        left, right = self._field(expr, "left", casts), self._field(expr, "right", casts)
        if op in _EITHER:
            return _widest(left, right)
        if op in _BOTH:
            return _widest(left, right) if left is not None and right is not None else None
        if op in _SHIFTS:
            return left
        if op == "/":
            return left if right is None else None  # a size over a size is a ratio, not a size
        return None

    def _call(self, call: Node, casts: bool) -> IntType | None:
        function, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is None or arguments is None:
            return None
        args = [a for a in arguments.named_children if a.type != "comment"]
        target = _cast_target(call)
        if target is not None:
            return self._cast(target, args[0], casts) if len(args) == 1 else None
        name = _callee_name(function)
        sizes = [self._of(a, casts) for a in args]
        if name == "max" and sizes:
            return _widest(*sizes)
        if name == "min" and sizes and all(s is not None for s in sizes):
            return _widest(*sizes)
        return None

    def _cast(self, target_spelling: str, value: Node, casts: bool) -> IntType | None:
        target = int_type(target_spelling)
        inner = self._of(value, casts)
        if target is None or inner is None:
            return None
        return inner if casts and target.narrower_than(inner) else target


def _cast_target(expr: Node) -> str | None:
    """The target type's spelling of a cast (``(T)x``, ``T(x)``, ``static_cast<T>(x)``) to an integer type."""
    if expr.type == "cast_expression":
        target = expr.child_by_field_name("type")
        return text(target) if target is not None and int_type(text(target)) is not None else None
    if expr.type != "call_expression" or (function := expr.child_by_field_name("function")) is None:
        return None
    if function.type == "template_function" and _callee_name(function) == "static_cast":
        arguments = function.child_by_field_name("arguments")
        types = arguments.named_children if arguments is not None else []
        return text(types[0]) if len(types) == 1 and int_type(text(types[0])) is not None else None
    return text(function) if int_type(text(function)) is not None else None


def _callee_name(function: Node) -> str:
    """``min`` for ``min``, ``std::min`` and ``std::min<int64_t>``."""
    while function.type in ("qualified_identifier", "template_function"):
        inner = function.child_by_field_name("name")
        if inner is None:
            break
        function = inner
    return text(function)


def _mentions(node: Node, name: str) -> bool:
    return any(n.type == "identifier" and text(n) == name for n in walk(node))


def _widest(*types: IntType | None) -> IntType | None:
    known = [t for t in types if t is not None]
    return max(known, key=lambda t: (t.value_bits, not t.signed)) if known else None
