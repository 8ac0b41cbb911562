"""Islands: separate populations that evolve apart and exchange their best every few generations."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agents.selection.scored import Scored
from agents.selection.tournament import better, champion


class Islands(BaseModel):
    """A ring of populations; migration copies each island's champion to the next island."""

    model_config = ConfigDict(extra="forbid")

    populations: list[list[Scored]] = Field(default_factory=list)
    capacity: int = 8
    """Entries kept per island (the best by repeated matches; elitism keeps the champion)."""

    @classmethod
    def create(cls, count: int, capacity: int = 8) -> Islands:
        return cls(populations=[[] for _ in range(count)], capacity=capacity)

    def add(self, island: int, entry: Scored) -> None:
        """Add ``entry`` to ``island`` and trim the island back to capacity."""
        population = self.populations[island % len(self.populations)]
        if any(existing.digest == entry.digest for existing in population):
            return
        population.append(entry)
        while len(population) > self.capacity:
            population.remove(_weakest(population))

    def migrate(self) -> None:
        """Copy each island's champion to the next island of the ring."""
        champions = [champion(population) for population in self.populations]
        for index, best in enumerate(champions):
            if best is not None:
                self.add(index + 1, best)

    def best(self) -> Scored | None:
        """The champion over all islands."""
        return champion([entry for population in self.populations for entry in population])


def _weakest(population: list[Scored]) -> Scored:
    """The entry that loses to every other one in turn (the reverse of a champion)."""
    loser = population[0]
    for entry in population[1:]:
        if better(loser, entry) is loser:
            loser = entry
    return loser
