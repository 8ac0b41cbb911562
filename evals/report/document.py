"""The blocks a report is made of, independent of the format it is written in.

A page is built once as a :class:`Document` and then rendered by ``html.py`` (everything) and
``markdown.py`` (everything but the figures), so the two files never disagree on a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tone = Literal["good", "warn", "bad", "muted"]


@dataclass(frozen=True)
class Cell:
    """A table cell with a tone that the HTML page colours (solved, unsolved, error, ...)."""

    text: str
    tone: Tone | None = None


@dataclass(frozen=True)
class Table:
    """A table; the columns named in ``numeric`` hold formatted numbers and are right-aligned."""

    headers: list[str]
    rows: list[list[str | Cell]]
    numeric: frozenset[int] = frozenset()
    caption: str | None = None


@dataclass(frozen=True)
class Cards:
    """A strip of a few headline figures, label and value."""

    items: list[tuple[str, str]]


@dataclass(frozen=True)
class Note:
    """A short line of text, e.g. why a plot is missing."""

    text: str


@dataclass(frozen=True)
class Figure:
    """A PNG plot with its alternative text, or, when there was nothing to plot, a note saying so."""

    alt: str
    png: bytes | None
    missing: str = ""
    """Shown in the plot's place when ``png`` is None."""


@dataclass(frozen=True)
class Columns:
    """Tables shown side by side where the format allows it."""

    tables: list[Table]


Block = Table | Cards | Note | Figure | Columns


@dataclass
class Section:
    """A heading and the blocks under it."""

    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """A whole page: a title, a subtitle line and its sections."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
