"""A MAP-Elites archive: the best candidate of each feature cell, so that diverse ideas survive."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agents.selection.features import features
from agents.selection.scored import Scored
from agents.selection.tournament import better


class Archive(BaseModel):
    """Cells keyed by ``strategy/synchronization/size``, each holding its champion."""

    model_config = ConfigDict(extra="forbid")

    cells: dict[str, Scored] = {}

    def add(self, entry: Scored) -> bool:
        """Place ``entry`` in its cell; True when it became the cell's champion."""
        key = "/".join(features(entry.candidate.source, entry.size))
        holder = self.cells.get(key)
        if holder is None or (holder.digest != entry.digest and better(entry, holder) is entry):
            self.cells[key] = entry
            return True
        return False

    def elites(self) -> list[Scored]:
        """Every cell's champion."""
        return list(self.cells.values())
