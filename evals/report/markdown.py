"""A :class:`~evals.report.document.Document` as GitHub Markdown: its tables and notes, without the figures.

Text cells are escaped so that a task name or a reason from an untrusted file can neither break a table nor
become HTML or a link. Numeric columns hold numbers the report formatted itself and are written as they are.
"""

from __future__ import annotations

import re

from evals.report.document import Block, Cards, Cell, Columns, Document, Figure, Note, Table

_SPECIAL = re.compile(r"([\\`*\[\]<>|&])")


def render_markdown(document: Document, html_name: str) -> str:
    """The page in Markdown, with a line that links the HTML page holding the figures.

    Args:
        document: What the page shows.
        html_name: The HTML file's name, next to the Markdown file.

    Returns:
        Markdown text.
    """
    parts = [
        f"# {_escape(document.title)}",
        f"_{_escape(document.subtitle)}_" if document.subtitle else "",
        f"Plots and the full report: [{_escape(html_name)}]({html_name})",
    ]
    for section in document.sections:
        blocks = [text for block in section.blocks if (text := _block(block))]
        if blocks:
            parts.append(f"## {_escape(section.heading)}")
            parts.extend(blocks)
    return "\n\n".join(part for part in parts if part) + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Columns):
        return "\n\n".join(_table(t) for t in block.tables)
    if isinstance(block, Note):
        return f"_{_escape(block.text)}_"
    if isinstance(block, Cards | Figure):
        return ""  # the cards repeat the tables' figures; the figures live in the HTML page
    raise TypeError(f"not a report block: {block!r}")


def _table(table: Table) -> str:
    def cell(column: int, value: str | Cell) -> str:
        text = value.text if isinstance(value, Cell) else value
        text = " ".join(text.split())
        return text.replace("|", "\\|") if column in table.numeric else _escape(text)

    lines = [
        "| " + " | ".join(_escape(h) for h in table.headers) + " |",
        "|" + "|".join("---:" if i in table.numeric else "---" for i in range(len(table.headers))) + "|",
        *("| " + " | ".join(cell(i, value) for i, value in enumerate(row)) + " |" for row in table.rows),
    ]
    caption = f"**{_escape(table.caption)}**\n\n" if table.caption else ""
    return caption + "\n".join(lines)


def _escape(text: str) -> str:
    """Inline text that Markdown shows as written: no HTML, links, code or table breaks."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))
