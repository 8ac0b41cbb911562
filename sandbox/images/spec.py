"""What the CPU toolchain image is: its tag, its packages and its runtime configuration.

The same definition feeds both ways of building it: the Dockerfile (which installs ``packages.txt``
and runs ``setup.sh``) and the bootstrap build (``debootstrap --include`` of the same list, the same
``setup.sh`` in a chroot, then ``docker import`` with :func:`import_changes`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from sandbox.constants import DEFAULT_IMAGE as DEFAULT_IMAGE  # one tag for the backends and the image tooling

IMAGES_DIR = Path(__file__).resolve().parent
"""The build context: Dockerfile, packages.txt, setup.sh."""
PACKAGES_FILE = IMAGES_DIR / "packages.txt"
SETUP_SCRIPT = IMAGES_DIR / "setup.sh"
DOCKERFILE = IMAGES_DIR / "Dockerfile"

SUITE = "bookworm"
"""The Debian release the image is built from."""
DEFAULT_MIRROR = "http://deb.debian.org/debian"

ARCHER_LIBRARY = "/usr/lib/llvm-14/lib/libarcher.so"
"""LLVM Archer, the OMPT tool that makes ThreadSanitizer understand OpenMP synchronisation."""
TSAN_ENV = {"OMP_TOOL_LIBRARIES": ARCHER_LIBRARY, "TSAN_OPTIONS": "ignore_noninstrumented_modules=1"}
"""Environment of a race-check run of a ``-fsanitize=thread -fopenmp`` build."""

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
"""Environment baked into the image (an imported root filesystem has none of its own)."""
WORKDIR = "/work"
USER = "sandbox"
"""The non-root user (uid 1000) that ``setup.sh`` creates; jobs run as it unless a backend says otherwise."""
CMD = ["bash"]
TOOLCHAIN_LABEL = "io.paraforge.toolchain"
"""Label every toolchain image carries (its value: the flavour, ``cpu``)."""
LABELS = {
    "org.opencontainers.image.title": "paraforge-toolchain",
    "org.opencontainers.image.description": "ParaForge CPU toolchain: clang, libomp with Archer, sanitizers, gcc, "
    "valgrind, python3 with numpy",
    TOOLCHAIN_LABEL: "cpu",
}
"""Static labels, written in the Dockerfile as well (a test keeps the two equal)."""
PACKAGES_LABEL = "io.paraforge.packages"
"""Label holding the package list an image was built from, to spot stale images."""
BUILD_LABEL = "io.paraforge.build"
"""Label saying how an image was built: ``docker`` or ``bootstrap``."""


@cache
def packages() -> tuple[str, ...]:
    """The image's Debian packages, read from ``packages.txt`` (comments and blank lines skipped)."""
    names = []
    for line in PACKAGES_FILE.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def build_labels(method: str) -> dict[str, str]:
    """All labels of an image built by ``method`` (``docker`` or ``bootstrap``)."""
    return {**LABELS, PACKAGES_LABEL: " ".join(packages()), BUILD_LABEL: method}


def import_changes(method: str = "bootstrap") -> list[str]:
    """Dockerfile instructions giving an imported root filesystem the same configuration as a built image."""
    changes = [f"ENV {key}={value}" for key, value in ENV.items()]
    changes += [f"WORKDIR {WORKDIR}", f"USER {USER}", f"CMD {json.dumps(CMD)}"]
    changes += [f"LABEL {key}={json.dumps(value)}" for key, value in build_labels(method).items()]
    return changes
