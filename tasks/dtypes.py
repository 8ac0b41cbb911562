"""The scalar types a kernel signature may use, with their NumPy and C spellings."""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class DType(StrEnum):
    """A C-ABI scalar type."""

    bool = "bool"
    int8 = "int8"
    int16 = "int16"
    int32 = "int32"
    int64 = "int64"
    uint8 = "uint8"
    uint16 = "uint16"
    uint32 = "uint32"
    uint64 = "uint64"
    float32 = "float32"
    float64 = "float64"

    @property
    def numpy(self) -> np.dtype:
        """The NumPy dtype with the same size and meaning."""
        return np.dtype(np.bool_ if self is DType.bool else self.value)

    @property
    def c_type(self) -> str:
        """The C/C++ spelling (fixed-width types from <cstdint>)."""
        return _C_TYPES[self]

    @property
    def is_float(self) -> bool:
        return self in (DType.float32, DType.float64)

    @property
    def is_integer(self) -> bool:
        return not self.is_float and self is not DType.bool

    @property
    def itemsize(self) -> int:
        return self.numpy.itemsize


_C_TYPES: dict[DType, str] = {
    DType.bool: "bool",
    DType.int8: "int8_t",
    DType.int16: "int16_t",
    DType.int32: "int32_t",
    DType.int64: "int64_t",
    DType.uint8: "uint8_t",
    DType.uint16: "uint16_t",
    DType.uint32: "uint32_t",
    DType.uint64: "uint64_t",
    DType.float32: "float",
    DType.float64: "double",
}
