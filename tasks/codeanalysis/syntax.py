"""Parsing C++ with tree-sitter and small helpers over its syntax trees."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_cpp
from tree_sitter import Language, Node, Parser, Tree


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_cpp.language()))


def parse_cpp(source: str) -> Tree:
    """The syntax tree of ``source`` (tree-sitter recovers from errors; check ``has_error``)."""
    return _parser().parse(source.encode())


def text(node: Node) -> str:
    """The source text of ``node``."""
    return node.text.decode() if node.text is not None else ""


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every named descendant, in source order."""
    yield node
    for child in node.named_children:
        yield from walk(child)


def find_function(tree: Tree, name: str) -> Node | None:
    """The definition of the function called ``name``, if the source has one."""
    for node in walk(tree.root_node):
        if node.type == "function_definition":
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.type != "function_declarator":
                declarator = declarator.child_by_field_name("declarator")
            if declarator is not None:
                ident = declarator.child_by_field_name("declarator")
                if ident is not None and text(ident) == name:
                    return node
    return None


def identifiers(node: Node) -> set[str]:
    """Names of every identifier under ``node`` (including ``node`` itself)."""
    return {text(n) for n in walk(node) if n.type == "identifier"}
