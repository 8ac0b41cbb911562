"""The declaration a name refers to at a point of a C++ syntax tree, found by lexical scope.

Scopes are searched from the innermost outwards, each for the nearest declaration before the point:
statements of blocks (and of ``#if`` groups), a ``for`` loop's initializer, the parameters of the
enclosing function or lambda, then the file. Good enough for kernels; no overloads, members or ``using``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node

from tasks.codeanalysis.syntax import text

_CONTAINERS = frozenset({"vector", "array", "span", "valarray"})
"""Templates whose subscript yields their first template argument."""
_DECLARATOR_WRAPPERS = frozenset({"init_declarator", "reference_declarator", "parenthesized_declarator"})
_POINTERS = frozenset({"pointer_declarator", "array_declarator"})


class Kind(StrEnum):
    """Where a name was declared."""

    parameter = "parameter"
    loop = "loop"
    """In the initializer of a ``for`` loop."""
    local = "local"
    """Anywhere else: a block or the file."""


@dataclass(frozen=True)
class Declared:
    """One declared name."""

    name: str
    type: Node
    """The type as written (``auto``, ``int64_t``, ``std::vector<int>``...), without qualifiers."""
    pointers: int
    """Pointer and array levels of the declarator."""
    value: Node | None
    """The initializer expression, if it has one (not a brace or constructor list)."""
    kind: Kind
    owner: Node
    """The ``for`` statement of a loop variable; the declaration or parameter otherwise."""

    @property
    def element_type(self) -> str | None:
        """The spelling of the type an element access (``a[i]``) yields, when the name is a pointer,
        an array or a standard container of one level."""
        if self.pointers == 1:
            return text(self.type)
        template = self.type.child_by_field_name("name") if self.type.type == "qualified_identifier" else self.type
        if self.pointers or template is None or template.type != "template_type":
            return None
        name, arguments = template.child_by_field_name("name"), template.child_by_field_name("arguments")
        if name is None or text(name) not in _CONTAINERS or arguments is None or not arguments.named_children:
            return None
        return text(arguments.named_children[0])


def declared_names(declaration: Node, kind: Kind, owner: Node | None = None) -> list[Declared]:
    """The names a ``declaration`` or ``parameter_declaration`` node declares."""
    type_node = declaration.child_by_field_name("type")
    if type_node is None:
        return []
    found = []
    for declarator in declaration.children_by_field_name("declarator"):
        value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" else None
        if value is not None and value.type in ("argument_list", "initializer_list"):
            value = None
        pointers, node = 0, declarator
        while node is not None and node.type != "identifier":
            pointers += node.type in _POINTERS
            inner = node.child_by_field_name("declarator")
            if inner is None and node.type in _DECLARATOR_WRAPPERS:
                inner = next((c for c in node.named_children if c.type.endswith(("declarator", "identifier"))), None)
            node = inner
        if node is not None:
            found.append(Declared(text(node), type_node, pointers, value, kind, owner or declaration))
    return found


class Scopes:
    """Name lookups in one syntax tree; each scope's declarations are indexed once."""

    def __init__(self) -> None:
        self._index: dict[int, dict[str, list[tuple[int, Declared]]]] = {}

    def lookup(self, name: str, at: Node) -> Declared | None:
        """The declaration of ``name`` that is in scope at ``at``, or None if the source does not declare it."""
        node = at
        while node.parent is not None:
            scope = node.parent
            before = [d for end, d in self._declared_in(scope).get(name, []) if end <= node.start_byte]
            if before:
                return before[-1]
            node = scope
        return None

    def _declared_in(self, scope: Node) -> dict[str, list[tuple[int, Declared]]]:
        """Names declared by the direct children of ``scope``, each with where its declaration ends."""
        if scope.id not in self._index:
            names: dict[str, list[tuple[int, Declared]]] = {}
            for child in scope.named_children:
                for declared in _declarations_in(scope, child):
                    names.setdefault(declared.name, []).append((child.end_byte, declared))
            self._index[scope.id] = names
        return self._index[scope.id]


def _declarations_in(scope: Node, child: Node) -> list[Declared]:
    if child.type == "declaration":
        kind = Kind.loop if scope.type == "for_statement" else Kind.local
        return declared_names(child, kind, scope if kind is Kind.loop else None)
    if child.type in ("function_declarator", "abstract_function_declarator") or (
        scope.type == "function_definition" and child == scope.child_by_field_name("declarator")
    ):
        return _parameters(child)
    return []


def _parameters(declarator: Node) -> list[Declared]:
    while declarator.type not in ("function_declarator", "abstract_function_declarator"):
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            return []
        declarator = inner
    parameters = declarator.child_by_field_name("parameters")
    if parameters is None:
        return []
    return [
        declared
        for parameter in parameters.named_children
        if parameter.type in ("parameter_declaration", "optional_parameter_declaration")
        for declared in declared_names(parameter, Kind.parameter)
    ]
