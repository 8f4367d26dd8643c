"""Shared paths for the ingestion tests."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
SEEDS = REPO_ROOT / "data" / "corpus"
DEVSET = REPO_ROOT.parent / "shared" / "devset" / "reports.jsonl"


@pytest.fixture
def pages() -> Path:
    return PAGES


@pytest.fixture
def seed_path():
    def find(prefix: str) -> Path:
        return next(SEEDS.glob(f"{prefix}_*.txt"))
    return find
