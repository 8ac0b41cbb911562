"""Small C++ text helpers for reading ParEval's drivers: comments, function bodies, statements, arguments.

ParEval's drivers are short, regular C++ files; these helpers read them as text (balanced brackets,
top-level separators) rather than through a full parser, and every caller treats a shape they do not
recognise as a reason to skip the problem, never as a guess.
"""

from __future__ import annotations

import re

_OPENERS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {")", "}", "]"}
_KEYWORD_START = re.compile(r"^(?:for|if|while|switch|else|do)\b")


def strip_comments(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments (string and character literals are kept intact)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            end = _literal_end(text, i)
            out.append(text[i:end])
            i = end
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _literal_end(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text))


def matching(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start`` (``len(text)`` when unbalanced)."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = _literal_end(text, i)
            continue
        if c in _OPENERS:
            depth += 1
        elif c in _CLOSERS:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def function_body(text: str, name: str) -> str | None:
    """The body (between the outer braces) of the first definition of function ``name`` in ``text``."""
    for match in re.finditer(rf"\b{re.escape(name)}\s*\(", text):
        close = matching(text, match.end() - 1)
        rest = text[close:]
        head = re.match(r"\s*(?:const\s*)?\{", rest)
        if head:
            brace = close + head.end() - 1
            return text[brace + 1 : matching(text, brace) - 1]
    return None


def struct_body(text: str, name: str) -> str | None:
    """The member declarations of ``struct name { ... };`` in ``text``."""
    match = re.search(rf"\bstruct\s+{re.escape(name)}\s*\{{", text)
    if match is None:
        return None
    brace = match.end() - 1
    return text[brace + 1 : matching(text, brace) - 1]


def statements(body: str) -> list[str]:
    """The top-level statements of a function body, each stripped; compound statements stay whole.

    ``for (...) { ... }``, ``if (...) { ... } else { ... }`` and ``do { ... } while (...);`` are one
    statement each.
    """
    found: list[str] = []
    i, start, n = 0, 0, len(body)
    while i < n:
        c = body[i]
        if c in "\"'":
            i = _literal_end(body, i)
        elif c in "([":
            i = matching(body, i)
        elif c == "{":
            i = matching(body, i)
            rest = body[i:].lstrip()
            head = body[start:i].lstrip()
            if re.match(r"else\b", rest) or (re.match(r"do\b", head) and re.match(r"while\b", rest)):
                continue  # the statement goes on: `if {} else {}`, `do {} while (...);`
            if head.startswith("{") or _KEYWORD_START.match(head):
                found.append(body[start:i].strip())
                start = i
            # otherwise a brace initialiser: the statement goes on to its ';'
        elif c == ";":
            i += 1
            found.append(body[start:i].strip())
            start = i
        else:
            i += 1
    tail = body[start:].strip()
    if tail:
        found.append(tail)
    return [s for s in found if s and s != ";"]


def split_top_level(text: str, separator: str = ",", *, templates: bool = False) -> list[str]:
    """``text`` split at ``separator`` outside brackets (and template angle brackets when ``templates``: for
    declarations, where ``<`` is never a comparison), each part stripped."""
    parts: list[str] = []
    depth = 0
    angle = 0
    current: list[str] = []
    for c in text:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "<" and templates:
            angle += 1
        elif c == ">" and angle:
            angle -= 1
        if c == separator and depth == 0 and angle == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    last = "".join(current).strip()
    if last or parts:
        parts.append(last)
    return parts


def call_arguments(statement: str, name: str) -> list[str] | None:
    """The arguments of the first call to ``name`` in ``statement`` (None when there is no such call)."""
    match = re.search(rf"(?<![\w.>]){re.escape(name)}\s*\(", statement)
    if match is None:
        return None
    open_paren = match.end() - 1
    inner = statement[open_paren + 1 : matching(statement, open_paren) - 1]
    return [arg for arg in split_top_level(inner) if arg] if inner.strip() else []


def angle_includes(text: str) -> list[str]:
    """Header names of the ``#include <...>`` lines in ``text``, in order."""
    return re.findall(r"^\s*#\s*include\s*<([^>]+)>", text, flags=re.MULTILINE)
