"""Code analysis of C++ kernels with tree-sitter: loops, their dependences, and OpenMP rewrites."""
