"""Reading ThreadSanitizer, AddressSanitizer and UBSan reports into facts about the candidate's lines.

Stack frames in ``kernel.cpp`` are the candidate's own lines. Frames in the generated driver tell
which parameter a heap block is: the driver allocates each array on its own line of ``main``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.harness import DRIVER_SOURCE
from verifiers.feedback import kernel_line

_TSAN_WARNING = re.compile(r"WARNING: ThreadSanitizer: (?P<title>.+?)(?: \(pid=\d+\))?\s*$")
_TSAN_ACCESS = re.compile(
    r"^\s+(?P<previous>Previous )?(?P<atomic>atomic )?(?P<op>read|write) of size \d+ at \S+ by (?P<who>.+?)"
    r"(?: \(mutexes: .*\))?:\s*$",
    re.IGNORECASE,
)
_FRAME = re.compile(r"^\s+#\d+ (?:0x[0-9a-f]+ in )?(?P<rest>.*)$")
_LOCATION = re.compile(r"^\s+Location is (?P<what>.+?)(?: at 0x[0-9a-f]+.*| of size \d+ at .*)?\.?:?\s*$")
_ASAN_ERROR = re.compile(r"ERROR: AddressSanitizer: (?P<kind>[\w-]+)")
_ASAN_ACCESS = re.compile(r"^(?P<op>READ|WRITE) of size (?P<size>\d+) at \S+ thread (?P<thread>\S+)")
_ASAN_REGION = re.compile(r"is located (?P<where>.+? region) \[")
_UBSAN = re.compile(r"(?P<file>\S+):(?P<line>\d+):(?P<col>\d+): runtime error: (?P<message>.*)")
_DRIVER_MAIN = re.compile(rf"^main .*?{re.escape(DRIVER_SOURCE)}:(?P<line>\d+)")
_DRIVER_LOAD = re.compile(r'= load<[^>]+>\(pf_in, "(?P<name>\w+)"')

_UB_KINDS: tuple[tuple[str, str], ...] = (
    ("signed integer overflow", "signed_overflow"),
    ("shift", "invalid_shift"),
    ("misaligned", "misaligned"),
    ("null pointer", "null_pointer"),
    ("division by zero", "division_by_zero"),
    ("out of bounds", "out_of_bounds"),
    ("is outside the range of representable values", "float_cast_overflow"),
    ("not a valid value", "invalid_value"),
    ("unreachable", "unreachable"),
    ("pointer overflow", "pointer_overflow"),
)


def slug(text: str) -> str:
    """``heap-buffer-overflow`` -> ``heap_buffer_overflow``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def buffer_lines(driver: str) -> dict[int, str]:
    """Line of the driver's ``main`` -> name of the parameter whose buffer that line allocates."""
    return {
        number: match["name"]
        for number, line in enumerate(driver.splitlines(), start=1)
        if (match := _DRIVER_LOAD.search(line))
    }


def _buffer(frames: list[str], buffers: dict[int, str]) -> str | None:
    """The parameter allocated by the driver's ``main`` in ``frames`` (an allocation stack)."""
    for frame in frames:
        match = _DRIVER_MAIN.search(frame)
        if match and int(match["line"]) in buffers:
            return buffers[int(match["line"])]
    return None


def _first_kernel_line(frames: list[str]) -> int | None:
    """The line of the first frame in the candidate's code."""
    return next((line for frame in frames if (line := kernel_line(frame)) is not None), None)


@dataclass(frozen=True)
class Access:
    """One side of a data race."""

    op: str
    """``read``, ``write``, ``atomic write``..."""
    thread: str
    line: int | None
    previous: bool


@dataclass(frozen=True)
class RaceReport:
    """One ThreadSanitizer warning."""

    title: str
    """``data race``, ``lock-order-inversion (potential deadlock)``..."""
    accesses: tuple[Access, ...]
    location: str
    """What the memory is: ``global 'total'``, ``stack of main thread``, ``heap block of size 8``..."""
    buffer: str | None
    """The task parameter the heap block is, when the driver allocated it."""

    @property
    def reason(self) -> str:
        return "race." + slug(self.title.split(" (")[0])

    @property
    def lines(self) -> tuple[int | None, ...]:
        return tuple(a.line for a in self.accesses)


def parse_tsan(text: str, buffers: dict[int, str]) -> list[RaceReport]:
    """Every ThreadSanitizer warning in ``text``, duplicates (same kind, same lines) dropped."""
    reports: list[RaceReport] = []
    for block in _blocks(text, _TSAN_WARNING):
        title = _TSAN_WARNING.search(block[0])["title"]  # type: ignore[index]
        accesses, location, buffer = [], "", None
        section: list[str] | None = None
        location_frames: list[str] = []
        for raw in block[1:]:
            access = _TSAN_ACCESS.match(raw)
            if access:
                section = []
                op = ("atomic " if access["atomic"] else "") + access["op"].lower()
                accesses.append((op, access["who"], bool(access["previous"]), section))
                continue
            where = _LOCATION.match(raw)
            if where and not location:
                location = where["what"]
                section = []
                location_frames = section
                continue
            frame = _FRAME.match(raw)
            if frame and section is not None:
                section.append(frame["rest"])
            elif not raw.strip():
                section = None
        if location.startswith("heap block"):
            buffer = _buffer(location_frames, buffers)
        report = RaceReport(
            title=title,
            accesses=tuple(
                Access(op, who, _first_kernel_line(frames), previous) for op, who, previous, frames in accesses
            ),
            location=location,
            buffer=buffer,
        )
        if all((r.title, r.lines) != (report.title, report.lines) for r in reports):
            reports.append(report)
    return reports


@dataclass(frozen=True)
class MemoryReport:
    """One AddressSanitizer or UBSan error."""

    kind: str
    """ASan's bug type (``heap-buffer-overflow``) or a UBSan category (``signed_overflow``)."""
    message: str
    """The access (``READ of size 8``) or UBSan's own sentence."""
    line: int | None
    region: str = ""
    """Where the address lies relative to a block (``0 bytes to the right of 8072-byte region``)."""
    buffer: str | None = None
    ubsan: bool = False

    @property
    def reason(self) -> str:
        return "memory." + slug(self.kind)


def parse_memory(text: str, buffers: dict[int, str]) -> MemoryReport | None:
    """The first ASan or UBSan error in ``text``."""
    ubsan = _UBSAN.search(text)
    asan = _ASAN_ERROR.search(text)
    if ubsan and (not asan or ubsan.start() < asan.start()):
        message = ubsan["message"].strip()
        kind = next((k for needle, k in _UB_KINDS if needle in message), "undefined_behaviour")
        line = int(ubsan["line"]) if ubsan["file"].endswith("kernel.cpp") else kernel_line(text[ubsan.start() :])
        return MemoryReport(kind=kind, message=message, line=line, ubsan=True)
    if not asan:
        return None
    lines = text[asan.start() :].splitlines()
    access = next((m for raw in lines if (m := _ASAN_ACCESS.match(raw))), None)
    frames = _frames_after(lines, 1)
    region = next((m["where"] for raw in lines if (m := _ASAN_REGION.search(raw))), "")
    alloc_at = next((i for i, raw in enumerate(lines) if re.search(r"allocated by thread|freed by thread", raw)), None)
    buffer = _buffer(_frames_after(lines, alloc_at + 1), buffers) if alloc_at is not None else None
    return MemoryReport(
        kind=asan["kind"],
        message=f"{access['op']} of size {access['size']}" if access else "",
        line=_first_kernel_line(frames),
        region=region,
        buffer=buffer,
    )


def _frames_after(lines: list[str], start: int) -> list[str]:
    """The stack frames from ``lines[start]`` on, up to the first line that is not a frame (after some)."""
    frames: list[str] = []
    for raw in lines[start:]:
        frame = _FRAME.match(raw)
        if frame:
            frames.append(frame["rest"])
        elif frames:
            break
    return frames


def _blocks(text: str, start: re.Pattern[str]) -> list[list[str]]:
    """Runs of lines, each beginning at a line matching ``start`` and ending at the next one or a SUMMARY."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for raw in text.splitlines():
        if start.search(raw):
            current = [raw]
            blocks.append(current)
        elif current is not None:
            if raw.startswith("SUMMARY:"):
                current = None
            else:
                current.append(raw)
    return blocks
