"""Benchmarks of the verifiers: they print their figures and assert nothing."""
