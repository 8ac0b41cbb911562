"""Verifiers: build, run and judge kernels inside a sandbox."""
