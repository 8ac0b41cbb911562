"""C/C++ integer types by spelling, with their width and signedness on LP64 Linux (x86-64, glibc)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAMED: dict[str, tuple[int, bool]] = {
    **{f"{sign}int{bits}_t": (bits, not sign) for sign in ("", "u") for bits in (8, 16, 32, 64)},
    **{f"{sign}int_least{bits}_t": (bits, not sign) for sign in ("", "u") for bits in (8, 16, 32, 64)},
    **{f"{sign}int_fast{bits}_t": (8 if bits == 8 else 64, not sign) for sign in ("", "u") for bits in (8, 16, 32, 64)},
    "size_t": (64, False),
    "ssize_t": (64, True),
    "ptrdiff_t": (64, True),
    "intptr_t": (64, True),
    "uintptr_t": (64, False),
    "intmax_t": (64, True),
    "uintmax_t": (64, False),
}
"""Typedef names (with or without ``std::``) and their (bits, signed)."""
_SPECIFIERS = frozenset({"signed", "unsigned", "short", "long", "int", "char"})
_INTEGER_LITERAL = re.compile(r"(?i)^(0x[0-9a-f']+|0b[01']+|[0-9']+)([ul]*)$")


@dataclass(frozen=True)
class IntType:
    """An integer type as written, with its meaning on this platform."""

    spelling: str
    bits: int
    signed: bool

    @property
    def value_bits(self) -> int:
        """Bits that hold a non-negative value: 31 for ``int``, 32 for ``unsigned``, 63 for ``int64_t``."""
        return self.bits - 1 if self.signed else self.bits

    def narrower_than(self, other: IntType) -> bool:
        """Whether some size of type ``other`` does not fit in this type.

        Sizes are taken to stay below 2^63, so a signed 64-bit index is never narrower than ``size_t``.
        """
        return self.value_bits < min(other.value_bits, 63)


def int_type(spelling: str) -> IntType | None:
    """The integer type spelled ``spelling`` (``int``, ``unsigned long``, ``std::int64_t``...), or None if it is
    not one (``bool``, floating point, a template parameter, an unknown typedef)."""
    words = re.sub(r"(\bstd)?::", " ", spelling).split()
    if len(words) == 1 and words[0] in _NAMED:
        bits, signed = _NAMED[words[0]]
        return IntType(spelling, bits, signed)
    if not words or not set(words) <= _SPECIFIERS:
        return None
    bits = 8 if "char" in words else 16 if "short" in words else 64 if "long" in words else 32
    return IntType(spelling, bits, "unsigned" not in words)


def literal_type(literal: str) -> IntType | None:
    """The type of an integer literal (``0`` is ``int``, ``0u`` ``unsigned``, ``0L`` ``long``), or None for a
    floating-point literal."""
    match = _INTEGER_LITERAL.match(literal)
    if match is None:
        return None
    suffix = match[2].lower()
    digits = match[1].replace("'", "").lower()
    base = 16 if digits.startswith("0x") else 2 if digits.startswith("0b") else 8 if digits[0] == "0" else 10
    try:
        value = int(digits[2:] if base in (2, 16) else digits, base)
    except ValueError:  # e.g. 09: not an octal literal
        return None
    unsigned = "u" in suffix
    if "l" in suffix or value > (0xFFFFFFFF if unsigned else 0x7FFFFFFF):
        return IntType("unsigned long" if unsigned else "long", 64, not unsigned)
    return IntType("unsigned" if unsigned else "int", 32, not unsigned)
