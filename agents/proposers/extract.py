"""Getting kernel source out of a model's reply: a whole definition, or SEARCH/REPLACE edits."""

from __future__ import annotations

import re

from tasks.codeanalysis.syntax import find_function, parse_cpp

_FENCE = re.compile(r"```[ \t]*([A-Za-z+#]*)[^\n]*\n(.*?)```", re.S)
_EDIT = re.compile(r"<{5,9} ?SEARCH[^\n]*\n(.*?)\n?={5,9}[^\n]*\n(.*?)\n?>{5,9} ?REPLACE", re.S)


class ExtractionError(ValueError):
    """A reply from which no usable source could be taken; the message is feedback for the model."""


def extract_source(reply: str, function: str, parent: str | None = None) -> str:
    """The full kernel source the reply proposes.

    Accepts a fenced code block that defines ``function`` (the last such block wins), or
    SEARCH/REPLACE edit blocks applied to ``parent``.
    """
    edits = _EDIT.findall(reply)
    if edits and parent is not None:
        return apply_edits(parent, edits)
    defining = [body for _, body in _FENCE.findall(reply) if find_function(parse_cpp(body), function) is not None]
    if defining:
        return defining[-1].strip() + "\n"
    if edits:
        raise ExtractionError("the reply has SEARCH/REPLACE edits, but there is no earlier version to apply them to")
    if _FENCE.search(reply):
        raise ExtractionError(f"no code block in the reply defines the function `{function}`; give its full definition")
    raise ExtractionError(
        "the reply has no code block; answer with one ```cpp block holding the complete source "
        f"(includes and the definition of `{function}`)"
    )


def apply_edits(source: str, edits: list[tuple[str, str]]) -> str:
    """``source`` with each (search, replace) pair applied once, in order."""
    for number, (search, replace) in enumerate(edits, start=1):
        if search in source:
            source = source.replace(search, replace, 1)
            continue
        relaxed = _relaxed_pattern(search)
        match = relaxed.search(source)
        if match is None:
            first = search.strip().splitlines()[0] if search.strip() else "(empty)"
            raise ExtractionError(
                f"SEARCH block {number} does not match the current source (it starts with {first!r}); "
                "copy the lines to replace exactly"
            )
        source = source[: match.start()] + replace + source[match.end() :]
    return source


def _relaxed_pattern(search: str) -> re.Pattern[str]:
    """A pattern matching ``search`` with any amount of white space where it has some."""
    tokens = search.split()
    return re.compile(r"\s+".join(re.escape(token) for token in tokens))
