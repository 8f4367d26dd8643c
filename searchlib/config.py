"""Where things live: the project's data and the default index location."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
DATA_DIR = PROJECT_ROOT / "data"
CORPUS_DIR = DATA_DIR / "corpus"


def default_index_dir() -> Path:
    """``$SEARCHLIB_INDEX`` if set, else ``index/`` under the project root."""
    env = os.environ.get("SEARCHLIB_INDEX")
    return Path(env) if env else PROJECT_ROOT / "index"
