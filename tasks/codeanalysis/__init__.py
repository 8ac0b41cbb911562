"""Code analysis of C++ kernels with tree-sitter: loops and their dependences, OpenMP rewrites, and the
integer widths of indices against the sizes they run over. Used by the proposers and the verifiers alike."""
