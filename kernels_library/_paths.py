"""Where the library lives: ``$PARAFORGE_HOME``, by default ``~/.paraforge``."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "PARAFORGE_HOME"


def library_root() -> Path:
    """The library root directory (not created here)."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".paraforge") / "library"
