"""A :class:`~evals.report.document.Document` as one self-contained HTML file.

Styles are inline, figures are embedded as base64 PNG data, and a Content-Security-Policy forbids the page
from loading anything at all, so the file reads the same offline. Every piece of text is escaped: task names,
reasons and errors come from untrusted files.
"""

from __future__ import annotations

import base64
import re
from html import escape

from evals.report.document import Block, Cards, Cell, Columns, Document, Figure, Note, Section, Table

_CSS = """
:root { --ink: #1f2328; --muted: #636c76; --line: #d8dee4; --zebra: #f6f8fa; --head: #eaeef2; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: var(--ink); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 28px 40px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.subtitle { color: var(--muted); margin: 0 0 12px; }
nav { font-size: 13px; color: var(--muted); }
nav a { color: #0969da; text-decoration: none; margin-right: 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; margin: 4px 0 8px; }
caption { text-align: left; font-weight: 600; padding: 14px 0 6px; white-space: nowrap; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); text-align: left; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
td { max-width: 460px; overflow-wrap: break-word; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.tone { display: inline-block; white-space: nowrap; padding: 1px 8px; border-radius: 10px;
  font-size: 12.5px; font-weight: 600; }
.tone-good { background: #dafbe1; color: #116329; }
.tone-warn { background: #fff1c2; color: #7a4f01; }
.tone-bad { background: #ffebe9; color: #a40e26; }
.tone-muted { background: #eaeef2; color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 18px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 170px; }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .value { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; }
.columns { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 6px 0 12px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
.note { color: var(--muted); font-style: italic; border-left: 3px solid var(--line); padding: 4px 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""

_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Nothing is fetched: images are data URIs and the one stylesheet is inline."""


def render_html(document: Document) -> str:
    """The whole page.

    Args:
        document: What the page shows.

    Returns:
        HTML text that needs no other file and no network.
    """
    ids = _section_ids(document.sections)
    nav = " ".join(f'<a href="#{i}">{escape(s.heading)}</a>' for s, i in zip(document.sections, ids, strict=True))
    body = "\n".join(_section(s, i) for s, i in zip(document.sections, ids, strict=True))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(document.title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(document.title)}</h1>
<p class="subtitle">{escape(document.subtitle)}</p>
<nav>{nav}</nav>
</header>
{body}
<footer>Written by ParaForge. This file is self-contained: it loads nothing from anywhere.</footer>
</main>
</body>
</html>
"""


def _section_ids(sections: list[Section]) -> list[str]:
    """A distinct anchor per section, from its heading."""
    ids: list[str] = []
    for section in sections:
        base = re.sub(r"[^a-z0-9]+", "-", section.heading.lower()).strip("-") or "section"
        anchor, n = base, 2
        while anchor in ids:
            anchor, n = f"{base}-{n}", n + 1
        ids.append(anchor)
    return ids


def _section(section: Section, anchor: str) -> str:
    blocks = "\n".join(_block(block) for block in section.blocks)
    return f'<section id="{anchor}">\n<h2>{escape(section.heading)}</h2>\n{blocks}\n</section>'


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return f'<div class="scroll">{_table(block)}</div>'
    if isinstance(block, Columns):
        return '<div class="columns">' + "".join(_table(t) for t in block.tables) + "</div>"
    if isinstance(block, Cards):
        cards = "".join(
            f'<div class="card"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div></div>'
            for label, value in block.items
        )
        return f'<div class="cards">{cards}</div>'
    if isinstance(block, Figure):
        if block.png is None:
            return _note(block.missing)
        data = base64.b64encode(block.png).decode("ascii")
        return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block.alt)}"></figure>'
    if isinstance(block, Note):
        return _note(block.text)
    raise TypeError(f"not a report block: {block!r}")


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def _table(table: Table) -> str:
    def cls(column: int) -> str:
        return ' class="num"' if column in table.numeric else ""

    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(table.headers))
    rows = "\n".join(
        "<tr>" + "".join(f"<td{cls(i)}>{_cell(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"


def _cell(cell: str | Cell) -> str:
    if isinstance(cell, str):
        return escape(cell)
    if cell.tone is None:
        return escape(cell.text)
    return f'<span class="tone tone-{cell.tone}">{escape(cell.text)}</span>'
