"""Prompt templates, one folder per target (and ``configs``), filled with ``string.Template`` ($name placeholders)."""

from __future__ import annotations

from pathlib import Path
from string import Template

from tasks.model import Target

PROMPTS_DIR = Path(__file__).parent


def render(target: Target | str, template: str, **fields: object) -> str:
    """Template ``template`` (``system``, ``plan``, ``propose``, ``repair``) of ``target`` with ``fields`` filled in."""
    path = PROMPTS_DIR / str(target) / f"{template}.md"
    return Template(path.read_text()).substitute({key: str(value) for key, value in fields.items()}).strip() + "\n"
