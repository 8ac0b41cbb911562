"""The library of evolved kernels."""
