"""Shared fixtures: a real index on disk over the seed reports plus test pages."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from searchlib.config import CORPUS_DIR, PROJECT_ROOT
from searchlib.index.indexing import build_index
from searchlib.ingest.report import parse_file
from searchlib.query.search import Library

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
    # Without the text-reuse pass: the reuse views are tested on reuse_index_dir,
    # and this index shows what a researcher sees before the pass has run.
    build_index([corpus_dir], target, rebuild=True, reuse=False)
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
    return _page_getter(client)


# --- the research tools' corpus (tests/corpus_reuse/, counts in its EXPECTED.md) ------------------

REUSE_CORPUS = TESTS_DIR / "corpus_reuse"


@pytest.fixture(scope="session")
def reuse_index_dir(tmp_path_factory) -> Path:
    """An index over tests/corpus_reuse/ with its text reuse pass, as `searchlib reuse --build` makes it."""
    from searchlib.research import reuse
    from searchlib.index.indexing import resolve_index_dir

    target = tmp_path_factory.mktemp("reuse-index")
    build_index([REUSE_CORPUS], target, rebuild=True)
    reuse.build_for_generation(resolve_index_dir(target))
    return target


@pytest.fixture(scope="session")
def reuse_library(reuse_index_dir):
    lib = Library(reuse_index_dir)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def reuse_app(reuse_index_dir):
    from webui import create_app

    return create_app({"INDEX_DIR": str(reuse_index_dir), "TESTING": True})


@pytest.fixture
def reuse_client(reuse_app):
    return reuse_app.test_client()


@pytest.fixture
def reuse_page(reuse_client):
    """``page`` over the reuse corpus's app."""
    return _page_getter(reuse_client)


def _page_getter(client):
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    def get(url: str, status: int = 200):
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response, HTMLParser(response.get_data(as_text=True))

    return get


# --- the research tools of issue 22 (tests/corpus_tools/, counts in its EXPECTED.md) -------------

TOOLS_CORPUS = TESTS_DIR / "corpus_tools"


@pytest.fixture(scope="session")
def tools_index_dir(tmp_path_factory) -> Path:
    """An index over tests/corpus_tools/ with its text reuse pass (a fresh build runs it)."""
    target = tmp_path_factory.mktemp("tools-index")
    build_index([TOOLS_CORPUS], target, rebuild=True)
    return target


@pytest.fixture(scope="session")
def tools_library(tools_index_dir):
    lib = Library(tools_index_dir)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def tools_app(tools_index_dir):
    from webui import create_app

    # The public address the tools' CSV links are built on (the test client's own host, as the tests read them).
    return create_app({"INDEX_DIR": str(tools_index_dir), "TESTING": True, "BASE_URL": "http://localhost/"})


@pytest.fixture
def tools_client(tools_app):
    return tools_app.test_client()
