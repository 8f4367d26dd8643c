"""Shared fixtures: a real index on disk over the seed reports plus test pages."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from searchlib.config import CORPUS_DIR, PROJECT_ROOT
from searchlib.indexing import build_index
from searchlib.report import parse_file
from searchlib.search import Library

TESTS_DIR = Path(__file__).resolve().parent
EXTRA_CORPUS = TESTS_DIR / "corpus_extra"
ARTIFACTS = TESTS_DIR / "artifacts"
SHARED_DIR = PROJECT_ROOT.parent / "shared"
PAGES = TESTS_DIR / "pages"
SEEDS = CORPUS_DIR
DEVSET = SHARED_DIR / "devset" / "reports.jsonl"
REPO_ROOT = PROJECT_ROOT

# Property tests explore the same examples on every run: CI stays deterministic.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=150)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The bundled seed reports plus the test pages in tests/corpus_extra/."""
    target = tmp_path_factory.mktemp("corpus")
    for source in (CORPUS_DIR, EXTRA_CORPUS):
        for path in sorted(source.iterdir()):
            if path.is_file():
                shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def reports(corpus_dir):
    """Every report of the test corpus, parsed."""
    return [parse_file(p) for p in sorted(corpus_dir.iterdir())]


@pytest.fixture(scope="session")
def index_dir(corpus_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("index")
    build_index([corpus_dir], target, rebuild=True)
    return target


@pytest.fixture(scope="session")
def library(index_dir):
    lib = Library(index_dir)
    yield lib
    lib.close()


@pytest.fixture
def pages() -> Path:
    """Hand-written pages that cover one ingestion pattern each."""
    return PAGES


@pytest.fixture
def seed_path():
    def find(prefix: str) -> Path:
        return next(SEEDS.glob(f"{prefix}_*.txt"))
    return find


# --- the web UI (webui/): the Flask tutorial's app and client, over the same index ---------------

@pytest.fixture(scope="session")
def app(index_dir):
    """The real app on the session's index; it only reads, so tests can share one."""
    from webui import create_app

    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def page(client):
    """GET a URL and parse it: ``page("/search?q=…")`` -> (response, DOM), checking the status."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    def get(url: str, status: int = 200):
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response, HTMLParser(response.get_data(as_text=True))

    return get
