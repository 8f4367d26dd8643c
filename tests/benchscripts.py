"""The bench/ scripts some tests run (they are scripts, not a package): loaded by file name."""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from searchlib.config import PROJECT_ROOT


def load(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module (registered under its name, so its dataclasses work)."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
