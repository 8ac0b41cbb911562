"""A problem found in a layout, naming the field at fault."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LayoutProblem(BaseModel):
    """One reason a layout is invalid: the field at fault and what is wrong, with the numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
