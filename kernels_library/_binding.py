"""Calling a library kernel from Python: build it once into a shared library, bind it with ctypes.

The callable takes NumPy arrays (and PyTorch CPU tensors when torch is installed) for the
kernel's array parameters, positionally in signature order or by name, checks dtype, length and
contiguity against the signature, works the size arguments out from the array lengths (size
symbols that the arrays do not pin down are passed by name), allocates outputs that were not
passed, and returns the outputs (one array, or a dict when there are several).
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import operator
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from kernels_library._store import LibraryError
from tasks.harness import SIGNATURE_HEADER, signature_header
from tasks.model import KernelTask, Param, Role
from tasks.shapes import ShapeError, ShapeExpr
from verifiers import hardware_fingerprint

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
"""Values tried when a shape is not monotone in a size symbol."""
_LARGEST = 2**48
"""No size symbol is looked for beyond this."""


class KernelCallError(TypeError):
    """Arguments that do not fit the kernel's signature."""


class KernelBuildError(LibraryError):
    """A library source that does not build into a callable kernel."""


def build_shared_library(task: KernelTask, source: str, build_dir: Path) -> Path:
    """Compile ``source`` into a shared library under ``build_dir``, once per source, signature, compiler and CPU.

    The link fails unless the source defines the kernel with exactly the signature's C prototype
    and leaves no symbol undefined, so a mismatched source is a KernelBuildError, not a crash.
    """
    compiler = shutil.which("clang++") or shutil.which("g++")
    if compiler is None:
        raise KernelBuildError("loading a kernel needs a C++ compiler (apt-get install clang libomp-dev)")
    function = task.signature.function
    key_text = "\n".join((source, task.signature.model_dump_json(), compiler, hardware_fingerprint().digest))
    key = hashlib.sha256(key_text.encode()).hexdigest()[:24]
    target = build_dir / f"{function}-{key}.so"
    if target.exists():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        work = Path(tempfile.mkdtemp(prefix=f"tmp-{key}-", dir=build_dir))
        try:
            (work / SIGNATURE_HEADER).write_text(signature_header(task.signature))
            (work / "kernel.cpp").write_text(source)
            command = [compiler, "-std=c++17", "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared"]
            command += ["-Wl,-z,defs", f"-Wl,--require-defined={function}"]
            command += ["-include", SIGNATURE_HEADER, "kernel.cpp", "-o", "kernel.so"]
            result = subprocess.run(command, cwd=work, capture_output=True, text=True)
            if result.returncode != 0:
                raise KernelBuildError(
                    f"{task.name}: the source does not build into `{task.signature.prototype()}`:\n"
                    f"{result.stderr[-3000:]}"
                )
            (work / "kernel.so").replace(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def load_kernel(task: KernelTask, source: str, build_dir: Path) -> KernelFunction:
    """Build (or reuse) ``source``'s shared library and bind it; a damaged cached library is rebuilt once."""
    library = build_shared_library(task, source, build_dir)
    try:
        return KernelFunction(task, library)
    except OSError:
        library.unlink(missing_ok=True)
    library = build_shared_library(task, source, build_dir)
    try:
        return KernelFunction(task, library)
    except OSError as exc:
        raise KernelBuildError(f"{task.name}: built {library} but cannot load it: {exc}") from None


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

    @property
    def size_symbols(self) -> frozenset[str]:
        """The size symbols of the signature; each is worked out from the arrays or passed by name."""
        shapes = [p.shape for p in self.signature.params if p.shape is not None]
        shapes += [p.size_expr for p in self.signature.params if p.role is Role.size]
        return frozenset().union(*(shape.symbols for shape in shapes))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the kernel: arrays positionally or by name, size symbols by name when they cannot be inferred."""
        originals, symbols = self._bind(args, kwargs)
        for param in self.arguments:
            if param.role is not Role.output and param.name not in originals:
                raise KernelCallError(f"{self.signature.function}: missing argument '{param.name}'")
        values = {name: _as_numpy(name, value) for name, value in originals.items()}
        symbols = self._infer(values, symbols)
        arrays: dict[str, np.ndarray] = {}
        call: list[Any] = []
        for param in self.signature.params:
            if param.role is Role.size:
                call.append(self._size(param, symbols))
            elif not param.is_array:
                call.append(values[param.name])
            else:
                array = self._array(param, values.get(param.name), self._length(param, symbols))
                arrays[param.name] = array
                call.append(array.ctypes.data)
        self._function(*call)
        torch_in = any(type(value).__module__.startswith("torch") for value in originals.values())
        results = {
            p.name: originals[p.name] if p.name in originals else _from_numpy(arrays[p.name], torch_in)
            for p in self.signature.results
        }
        return next(iter(results.values())) if len(results) == 1 else results

    def _bind(self, args: tuple, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
        """Arguments by parameter name (None counts as not passed), and the size symbols passed by name."""
        names = [p.name for p in self.arguments]
        function = self.signature.function
        if len(args) > len(names):
            raise KernelCallError(
                f"{function} takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}"
            )
        values = dict(zip(names, args, strict=False))
        symbols: dict[str, int] = {}
        for name, value in kwargs.items():
            if name in values:
                raise KernelCallError(f"{function}: '{name}' given twice")
            if name in names:
                values[name] = value
            elif name in self.size_symbols:
                symbols[name] = _size_value(name, value)
            else:
                raise KernelCallError(
                    f"{function}: unexpected argument '{name}' (arguments: {', '.join(names)};"
                    f" size symbols: {', '.join(sorted(self.size_symbols))})"
                )
        return {name: value for name, value in values.items() if value is not None}, symbols

    def _infer(self, values: dict[str, Any], symbols: dict[str, int]) -> dict[str, int]:
        """``symbols`` completed from the lengths of the arrays given; names what cannot be inferred."""
        symbols = dict(symbols)
        pending = [(p, v) for p in self.arguments if p.shape is not None and (v := values.get(p.name)) is not None]
        progress = True
        while progress:
            progress = False
            for param, value in pending:
                assert param.shape is not None
                unknown = param.shape.symbols - symbols.keys()
                if len(unknown) != 1:
                    continue
                symbol = unknown.pop()
                length = int(np.asarray(value).size)
                fits = _fits(param.shape, symbol, symbols, length)
                if not fits:
                    raise KernelCallError(
                        f"'{param.name}' has {length} elements, which fits no value of '{symbol}' in its shape"
                        f" {param.shape}" + (f" (given {symbols})" if symbols else "")
                    )
                if len(fits) == 1:
                    symbols[symbol] = fits[0]
                    progress = True
        missing = self.size_symbols - symbols.keys()
        if missing:
            raise KernelCallError(
                f"{self.signature.function}: cannot tell {', '.join(sorted(missing))} from the arrays given; pass "
                + ", ".join(f"{m}=..." for m in sorted(missing))
            )
        return symbols

    def _size(self, param: Param, symbols: dict[str, int]) -> int:
        value = param.size_expr.evaluate(symbols)
        limits = np.iinfo(param.dtype.numpy)
        if not limits.min <= value <= limits.max:
            raise KernelCallError(f"size '{param.name}' = {value} does not fit {param.dtype}")
        return value

    def _length(self, param: Param, symbols: dict[str, int]) -> int:
        assert param.shape is not None
        try:
            length = param.shape.evaluate(symbols)
        except ShapeError as exc:
            raise KernelCallError(f"'{param.name}': {exc}") from None
        if length < 0:
            raise KernelCallError(f"'{param.name}' would have {length} elements (shape {param.shape} at {symbols})")
        return length

    def _array(self, param: Param, value: Any, length: int) -> np.ndarray:
        dtype = param.dtype.numpy
        if value is None:  # an output not passed
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


def _size_value(name: str, value: Any) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        raise KernelCallError(f"size symbol '{name}' must be an integer, not {type(value).__name__}") from None
    if number < 0:
        raise KernelCallError(f"size symbol '{name}' must be >= 0, not {number}")
    return number


def _fits(shape: ShapeExpr, symbol: str, known: dict[str, int], length: int) -> list[int]:
    """Values of ``symbol`` (at most two: enough to tell a unique one) giving ``shape`` ``length`` elements.

    Shapes are non-decreasing in their symbols in practice, so the first value reaching ``length``
    is found by bisection; a small linear scan covers any other shape.
    """

    def at(value: int) -> int | None:
        try:
            return shape.evaluate({**known, symbol: value})
        except ShapeError:  # e.g. an exponent past the limit: too large in any case
            return None

    def below(value: int) -> bool:
        result = at(value)
        return result is not None and result < length

    high = 1
    while below(high) and high < _LARGEST:
        high *= 2
    low = 0
    while low < high:
        middle = (low + high) // 2
        if below(middle):
            low = middle + 1
        else:
            high = middle
    fits = [value for value in (low, low + 1) if at(value) == length]
    return fits or [value for value in range(_SEARCH_LIMIT) if at(value) == length][:2]


def _as_numpy(name: str, value: Any) -> Any:
    """NumPy view of a PyTorch CPU tensor (sharing memory); anything else unchanged."""
    if type(value).__module__.startswith("torch"):
        if value.device.type != "cpu":
            raise KernelCallError(f"'{name}' is a tensor on {value.device}: library kernels take CPU tensors")
        if not value.is_contiguous():
            raise KernelCallError(f"'{name}' is a non-contiguous tensor (call .contiguous())")
        return value.detach().numpy()
    return value


def _from_numpy(array: np.ndarray, as_tensor: bool) -> Any:
    """An output the kernel allocated: a tensor sharing its memory when the caller passed tensors."""
    if not as_tensor:
        return array
    import torch

    return torch.from_numpy(array)
