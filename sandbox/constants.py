"""Names shared by the sandbox backends and the image tooling."""

DEFAULT_IMAGE = "paraforge-toolchain:bookworm"
"""The toolchain image jobs run in when they name none (clang, libomp + Archer, gcc, valgrind, python3)."""
