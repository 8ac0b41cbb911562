"""The hardware fingerprint."""

from __future__ import annotations

from verifiers.hardware import Hardware, _cpuinfo_fields, hardware_fingerprint

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9654 96-Core Processor
flags\t\t: fpu sse2 avx2 avx512f fma

processor\t: 1
model name\t: something else
"""


def test_the_first_processor_block_is_read() -> None:
    fields = _cpuinfo_fields(CPUINFO)
    assert fields["model name"] == "AMD EPYC 9654 96-Core Processor"
    assert fields["flags"].split() == ["fpu", "sse2", "avx2", "avx512f", "fma"]


def test_the_fingerprint_of_this_machine_is_stable() -> None:
    first = hardware_fingerprint()
    assert first.cores >= 1
    assert first.cpu_model
    assert first.digest == Hardware.model_validate_json(first.model_dump_json()).digest
    other = first.model_copy(update={"flags": (*first.flags, "made_up_isa")})
    assert other.digest != first.digest
