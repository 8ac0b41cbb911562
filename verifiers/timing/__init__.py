"""Timing: kernels built into one program, timed interleaved, with bootstrap intervals and roofline figures."""
