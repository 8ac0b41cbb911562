"""The probe plans: which never-seen instances the candidate is called on, in which buffers, in which order.

The check plan runs in a fresh process, so its first call is the process's first::

    tag             instance  slot  what a wrong result means
    first           A         0     wrong on never-seen inputs (a table, a cache on disk)
    near-duplicate  A2        0     A with a few interior elements changed, right after A in A's buffers:
                                    memoized by pointer, size or first/last elements
    new-slot-1      B         1     wrong on fresh buffers after a call: behaviour depends on the call count
    reused-slot     C         0     fresh contents in used buffers: memoized by pointer
    new-slot-2      D         2     as new-slot-1
    seen-content    A         1     A again, in B's old buffers: memoized by pointer

The output plan (after the check plan, in the ``env`` run only) calls the candidate on A1 (A with one
element of each freely drawn array changed) in fresh buffers (slot 3), into output-only buffers
holding in turn::

    tag                 outputs before the call           what a wrong result means
    new-slot-3          poison, as in every other call    as new-slot-1
    over-near-answer    the reference's results for A     the outputs are read before they are written:
    over-other-answer   the reference's results for B       accumulated into, or taken as already computed
    over-own-answer     the candidate's own results for A   when they look like the answer (spot checks, tags)

The reference's results get there by a ``prefill`` step (the reference called in the slot); ``inout``
parameters are set from A1 as usual, since a kernel may read those. A1 differs from A in one element
per array, so that a kernel spot-checking a few outputs almost surely finds them as it expects.

The repeat plan (after the check plan, in the same process) times calls on unchanged contents
against calls on contents never seen before, all copied in the same way before each call:
``R`` (return to R), ``R`` again (a repeat), ``P_j`` (fresh); repeated ``cycles`` times. Each
``P_j`` is a near-duplicate of ``R`` (where the task's inputs allow one), so that repeats and
fresh calls do the same amount of work whatever the kernel's cost depends on.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from tasks.instance import Instance, make_instance
from tasks.model import KernelTask
from tasks.perturb import near_duplicate

FIRST = "first"
FRESH_SLOTS = frozenset({"new-slot-1", "new-slot-2", "new-slot-3"})


@dataclass(frozen=True)
class Call:
    """One ``call`` step of a probe plan."""

    instance: str
    slot: int
    save: bool
    tag: str
    keep: bool = False
    """Leave the output-only buffers as the slot's last step left them, instead of poisoning them."""


@dataclass(frozen=True)
class Prefill:
    """A ``prefill`` step of a probe plan: the reference called on ``instance`` in buffer set ``slot``."""

    instance: str
    slot: int


Step = Call | Prefill

CHECK_PLAN = [
    Call("A", 0, True, FIRST),
    Call("A2", 0, True, "near-duplicate"),
    Call("B", 1, True, "new-slot-1"),
    Call("C", 0, True, "reused-slot"),
    Call("D", 2, True, "new-slot-2"),
    Call("A", 1, True, "seen-content"),
]

PRIOR_OUTPUTS = {
    "over-near-answer": "the right results for nearly the same inputs",
    "over-other-answer": "the right results for other inputs",
    "over-own-answer": "the kernel's own results for nearly the same inputs",
}
"""Per call of the output plan into kept outputs, what those held before the call."""

OUTPUT_PLAN: list[Step] = [
    Call("A1", 3, True, "new-slot-3"),
    Prefill("A", 3),
    Call("A1", 3, True, "over-near-answer", keep=True),
    Prefill("B", 3),
    Call("A1", 3, True, "over-other-answer", keep=True),
    Call("A", 3, False, "own-answer"),
    Call("A1", 3, True, "over-own-answer", keep=True),
]


def repeat_plan(cycles: int) -> list[Call]:
    """Calls on unchanged contents (``r<j>-repeat``) and on fresh ones (``p<j>-fresh``), in slot 3."""
    calls = []
    for j in range(cycles):
        calls.append(Call("R", 3, j == 0, f"r{j}-return"))
        calls.append(Call("R", 3, False, f"r{j}-repeat"))
        calls.append(Call(f"P{j}", 3, j < 2, f"p{j}-fresh"))
    return calls


def plan_text(steps: list[Step], *, delay_ms: int = 0) -> str:
    """The plan file for the probe driver; with ``delay_ms``, a pause before every call."""
    lines = []
    for step in steps:
        if isinstance(step, Prefill):
            lines.append(f"prefill {step.instance} {step.slot}")
            continue
        if delay_ms:
            lines.append(f"sleep {delay_ms}")
        keep = " keep" if step.keep else ""
        lines.append(f"call {step.instance} {step.slot} {int(step.save)} {step.tag}{keep}")
    return "\n".join(lines) + "\n"


def probe_size(task: KernelTask, override: dict[str, int] | None) -> dict[str, int]:
    """The probe instances' size: the override, else the task's last (by convention largest) test size."""
    return override or task.sizes.test[-1]


def probe_instances(task: KernelTask, size: dict[str, int], cycles: int) -> dict[str, Instance]:
    """Never-seen instances for the check, output and repeat plans (fresh random seeds every time)."""
    instances = {name: make_instance(task, size, secrets.randbits(62)) for name in ["A", "B", "C", "D", "R"]}
    rng = np.random.default_rng(secrets.randbits(62))
    instances["A2"] = near_duplicate(instances["A"], rng)
    instances["A1"] = near_duplicate(instances["A"], rng, fraction=0)
    instances.update({f"P{j}": near_duplicate(instances["R"], rng) for j in range(cycles)})
    return instances
