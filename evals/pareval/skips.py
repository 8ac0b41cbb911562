"""Why a ParEval problem does not become a ParaForge task: one reason code per kind of obstacle."""

from __future__ import annotations

from enum import StrEnum


class SkipReason(StrEnum):
    """The obstacle that keeps a problem out, as a stable machine-readable code."""

    kokkos_view = "kokkos_view"
    """A ``Kokkos::View`` parameter: no shim adapts a C pointer to a view."""
    raw_pointer = "raw_pointer"
    """A raw pointer parameter (GPU prompts): its length is not stated anywhere the importer can read."""
    struct_type = "struct_type"
    """Elements that are structs (``Point``, ``COOElement``, ``Book``...): the signature has scalar dtypes only."""
    complex_type = "complex_type"
    """``std::complex`` elements: the signature has no complex dtype."""
    string_type = "string_type"
    """``std::string`` elements."""
    nested_vector = "nested_vector"
    """``std::vector<std::vector<T>>``: a 2-D ragged container."""
    unsupported_type = "unsupported_type"
    """Any other parameter or return type the C ABI cannot carry (a scalar by reference, ``long double``...)."""
    variable_output = "variable_output"
    """An output whose length the driver does not fix before the call (the function resizes it)."""
    input_generator = "input_generator"
    """The driver builds an input in a way no ParaForge generator reproduces (symmetric graphs, a linear
    system built from its solution, values patched after drawing, scalars drawn relative to the size)."""
    problem_size = "problem_size"
    """A length that the shape language cannot express (a sparsity fraction, a float factor)."""
    driver_missing = "driver_missing"
    """No ``cpu.cc`` driver or ``baseline.hpp`` for the problem in the checkout."""
    driver_unreadable = "driver_unreadable"
    """The prompt or driver does not have the shape the importer reads (no call of the function, no head)."""
    invalid_task = "invalid_task"
    """The generated task failed ParaForge's own validation (a bug in the importer: the detail says what)."""


class Unconvertible(Exception):
    """A problem that cannot become a task, with the reason code and a specific explanation."""

    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
