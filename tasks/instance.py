"""Concrete problem instances: a task's inputs generated for one size and one seed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tasks.generators import ARRAY_GENERATORS, Value
from tasks.model import KernelTask, Param, Role
from tasks.shapes import ShapeError

POISON_BYTE = 0xA5
"""Output buffers start filled with this byte, so that an element never written is noticed."""


class InstanceError(ValueError):
    """Generated inputs that do not match the task's signature."""


@dataclass(frozen=True)
class Instance:
    """Every argument of one call of a task's kernel, plus the size symbols it was built from."""

    task: KernelTask
    size: dict[str, int]
    seed: int
    symbols: dict[str, int]
    """Size symbols, the free ones and those defined by generators."""
    args: dict[str, Value]
    """Inputs and inouts as generated, size parameters as computed. Outputs are absent."""
    output_lengths: dict[str, int] = field(default_factory=dict)
    """Number of elements of every output and inout parameter."""

    def initial(self, param: Param) -> np.ndarray:
        """The buffer a call starts with for ``param``: generated data, or poison for outputs."""
        if param.role is Role.output:
            return poisoned(param.dtype.numpy, self.output_lengths[param.name])
        value = self.args[param.name]
        return np.asarray(value, dtype=param.dtype.numpy).reshape(-1 if param.is_array else ())

    def oracle_args(self) -> dict[str, Any]:
        """Arguments for the task's NumPy oracle: read-only copies of inputs, sizes as ints."""
        args: dict[str, Any] = {}
        for name, value in self.args.items():
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.flags.writeable = False
            args[name] = value
        return args


def poisoned(dtype: np.dtype, count: int) -> np.ndarray:
    """An array of ``count`` elements whose every byte is :data:`POISON_BYTE`."""
    raw = np.full(count * dtype.itemsize, POISON_BYTE, dtype=np.uint8)
    return raw.view(dtype)


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (not Python's salted ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def make_instance(task: KernelTask, size: dict[str, int], seed: int) -> Instance:
    """Generate the inputs of ``task`` for ``size`` with ``seed``, and check them against the signature."""
    symbols = dict(size)
    dtypes = {p.name: p.dtype for p in task.signature.params}
    params = {p.name: p for p in task.signature.params}
    args: dict[str, Value] = {}
    for index, gen in enumerate(task.inputs):
        rng = np.random.default_rng(derive_seed(task.name, task.version, seed, index, sorted(size.items())))
        try:
            if isinstance(gen, ARRAY_GENERATORS):
                param = params[gen.param]
                count = param.shape.evaluate(symbols) if param.shape is not None else None
                if count is not None and count < 0:
                    raise InstanceError(f"'{param.name}' has shape {param.shape} = {count} < 0")
                args[gen.param] = gen.draw(rng, param.dtype, count)
            else:
                produced = gen.generate(rng, symbols, dtypes)
                args.update(produced.values)
                symbols.update(produced.symbols)
        except ValueError as exc:  # ShapeError and InstanceError included
            raise InstanceError(f"inputs[{index}] ({gen.kind}) failed at size {size}: {exc}") from exc
    output_lengths: dict[str, int] = {}
    for param in task.signature.params:
        try:
            value = param.size_expr.evaluate(symbols) if param.role is Role.size else None
            expected = param.shape.evaluate(symbols) if param.is_array else None
        except ShapeError as exc:
            raise InstanceError(f"'{param.name}': {exc}") from exc
        if param.role is Role.size:
            limits = np.iinfo(param.dtype.numpy)
            if not limits.min <= value <= limits.max:
                raise InstanceError(f"size '{param.name}' = {value} does not fit {param.dtype} at size {size}")
            args[param.name] = value
        elif expected is not None:
            if expected < 0:
                raise InstanceError(f"'{param.name}' has shape {param.shape} = {expected} < 0 at size {size}")
            if param.role is not Role.output and len(args[param.name]) != expected:
                raise InstanceError(
                    f"generator gave '{param.name}' {len(args[param.name])} elements, "
                    f"but its shape {param.shape} is {expected} at size {size}"
                )
            if param.role in (Role.output, Role.inout):
                output_lengths[param.name] = expected
    return Instance(task, dict(size), seed, symbols, args, output_lengths)
