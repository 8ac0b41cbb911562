"""Calling a library kernel from Python: build it once into a shared library, bind it with ctypes.

The callable takes NumPy arrays (and PyTorch CPU tensors when torch is installed) for the
kernel's array parameters, positionally in signature order or by name, checks dtype, length and
contiguity against the signature, works the size arguments out from the array lengths, allocates
outputs that were not passed, and returns the outputs (one array, or a dict when there are several).
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from tasks.harness import SIGNATURE_HEADER, signature_header
from tasks.model import KernelTask, Param, Role
from tasks.shapes import ShapeExpr

_CTYPES = {
    "bool": ctypes.c_bool,
    "int8": ctypes.c_int8,
    "int16": ctypes.c_int16,
    "int32": ctypes.c_int32,
    "int64": ctypes.c_int64,
    "uint8": ctypes.c_uint8,
    "uint16": ctypes.c_uint16,
    "uint32": ctypes.c_uint32,
    "uint64": ctypes.c_uint64,
    "float32": ctypes.c_float,
    "float64": ctypes.c_double,
}
_SEARCH_LIMIT = 64
"""Values tried when a size symbol appears non-linearly in a shape (e.g. ``2**logn``)."""


class KernelCallError(TypeError):
    """Arguments that do not fit the kernel's signature."""


def build_shared_library(task: KernelTask, source: str, build_dir: Path) -> Path:
    """Compile ``source`` into a shared library under ``build_dir``, once per source and task signature."""
    key = hashlib.sha256((source + task.signature.model_dump_json()).encode()).hexdigest()[:24]
    target = build_dir / f"{task.signature.function}-{key}.so"
    if target.exists():
        return target
    compiler = shutil.which("clang++") or shutil.which("g++")
    if compiler is None:
        raise RuntimeError("loading a kernel needs a C++ compiler: install clang (apt-get install clang libomp-dev)")
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        work = build_dir / f"tmp-{key}"
        work.mkdir(exist_ok=True)
        (work / SIGNATURE_HEADER).write_text(signature_header(task.signature))
        (work / "kernel.cpp").write_text(source)
        command = [compiler, "-std=c++17", "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared"]
        command += ["-include", SIGNATURE_HEADER, "kernel.cpp", "-o", "kernel.so"]
        result = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building {task.name} failed:\n{result.stderr[-3000:]}")
        (work / "kernel.so").replace(target)
        shutil.rmtree(work, ignore_errors=True)
    return target


class KernelFunction:
    """A compiled library kernel, callable on arrays."""

    def __init__(self, task: KernelTask, library: Path) -> None:
        self.task = task
        self.signature = task.signature
        self._function = getattr(ctypes.CDLL(str(library)), self.signature.function)
        self._function.restype = None
        self._function.argtypes = [
            ctypes.c_void_p if p.is_array else _CTYPES[p.dtype.value] for p in self.signature.params
        ]
        self.__doc__ = f"{self.signature.prototype()}\n\n{task.description.strip()}"

    @property
    def arguments(self) -> list[Param]:
        """The parameters a caller passes (everything but sizes)."""
        return [p for p in self.signature.params if p.role is not Role.size]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = self._bind(args, kwargs)
        symbols = self._symbols(values, kwargs)
        arrays: dict[str, np.ndarray] = {}
        call: list[Any] = []
        for param in self.signature.params:
            if param.role is Role.size:
                call.append(param.size_expr.evaluate(symbols))
            elif not param.is_array:
                if param.name not in values:
                    raise KernelCallError(f"{self.signature.function}: missing scalar argument '{param.name}'")
                call.append(values[param.name])
            else:
                array = self._array(param, values.get(param.name), param.shape.evaluate(symbols))
                arrays[param.name] = array
                call.append(array.ctypes.data)
        self._function(*call)
        results = {p.name: arrays[p.name] for p in self.signature.results}
        return next(iter(results.values())) if len(results) == 1 else results

    def _bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = [p.name for p in self.arguments]
        if len(args) > len(names):
            raise KernelCallError(
                f"{self.signature.function} takes at most {len(names)} arguments ({', '.join(names)})"
            )
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name in values:
                raise KernelCallError(f"{self.signature.function}: '{name}' given twice")
            values[name] = value
        return {name: _as_numpy(value) for name, value in values.items()}

    def _symbols(self, values: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, int]:
        params = {p.name: p for p in self.arguments}
        symbols = {k: int(v) for k, v in kwargs.items() if k not in params}
        pending = [(params[n], v) for n, v in values.items() if n in params and params[n].is_array]
        progress = True
        while progress:
            progress = False
            for param, array in pending:
                unknown = param.shape.symbols - symbols.keys()
                if len(unknown) == 1:
                    symbol = unknown.pop()
                    solved = _solve(param.shape, symbol, symbols, int(np.asarray(array).size))
                    if solved is None:
                        raise KernelCallError(
                            f"'{param.name}' has {np.asarray(array).size} elements, which fits no value of "
                            f"'{symbol}' in its shape {param.shape}"
                        )
                    symbols[symbol] = solved
                    progress = True
        needed = set().union(*(p.shape.symbols for p in self.signature.params if p.is_array))
        needed |= set().union(*(p.size_expr.symbols for p in self.signature.params if p.role is Role.size))
        missing = needed - symbols.keys()
        if missing:
            raise KernelCallError(
                f"{self.signature.function}: cannot tell {sorted(missing)} from the arrays given; pass "
                + ", ".join(f"{m}=..." for m in sorted(missing))
            )
        return symbols

    def _array(self, param: Param, value: Any, length: int) -> np.ndarray:
        dtype = param.dtype.numpy
        if value is None:
            if param.role is not Role.output:
                raise KernelCallError(f"{self.signature.function}: missing argument '{param.name}'")
            return np.empty(length, dtype=dtype)
        if not isinstance(value, np.ndarray):
            raise KernelCallError(f"'{param.name}' must be a NumPy array or a CPU tensor, not {type(value).__name__}")
        if value.dtype != dtype:
            raise KernelCallError(f"'{param.name}' must have dtype {dtype}, not {value.dtype}")
        if value.size != length:
            raise KernelCallError(f"'{param.name}' must have {length} elements (shape {param.shape}), not {value.size}")
        if not value.flags.c_contiguous:
            raise KernelCallError(f"'{param.name}' must be C-contiguous (use np.ascontiguousarray)")
        if param.role in (Role.output, Role.inout) and not value.flags.writeable:
            raise KernelCallError(f"'{param.name}' is written by the kernel and must be writeable")
        return value


def _solve(shape: ShapeExpr, symbol: str, known: dict[str, int], length: int) -> int | None:
    def at(value: int) -> int:
        return shape.evaluate({**known, symbol: value})

    base, slope = at(0), at(1) - at(0)
    if slope > 0 and (length - base) % slope == 0 and (length - base) >= 0:
        guess = (length - base) // slope
        if at(guess) == length:
            return guess
    return next((v for v in range(_SEARCH_LIMIT) if at(v) == length), None)


def _as_numpy(value: Any) -> Any:
    """NumPy view of a PyTorch CPU tensor (sharing memory); anything else unchanged."""
    module = type(value).__module__
    if module.startswith("torch"):
        if value.device.type != "cpu":
            raise KernelCallError(f"tensor on {value.device}: library kernels take CPU tensors")
        if not value.is_contiguous():
            raise KernelCallError("tensor is not contiguous (call .contiguous())")
        return value.detach().numpy()
    return value
