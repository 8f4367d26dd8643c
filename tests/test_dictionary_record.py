"""An index records the segmenter vocabulary it was cut with, and says so when data/dict/domain.txt has changed since:
a word added to the vocabulary is one token in a query and several in that index, so it is found only as characters
until the index is rebuilt."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from searchlib.analysis import dictionary_digest
from searchlib.cli import main as cli_main
from searchlib.index.indexing import build_index, resolve_index_dir
from searchlib.index.storage import DICTIONARY_CHANGED, DICTIONARY_FILE
from searchlib.query.search import Library

CORPUS = Path(__file__).resolve().parent / "corpus_extra"
ONE_REPORT = CORPUS / "wujiang_2021.txt"
OTHER_REPORT = CORPUS / "zhuji_2022.txt"


@pytest.fixture
def index_dir(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ONE_REPORT, corpus)
    build_index([corpus], tmp_path / "index", rebuild=True, reuse=False, procs=1)
    return tmp_path / "index"


def _built_with_another_vocabulary(index_dir: Path) -> None:
    """What an index built before the latest change to domain.txt holds: another digest."""
    (resolve_index_dir(index_dir) / DICTIONARY_FILE).write_text("0000000000000000\n")


def test_a_fresh_index_records_the_vocabulary_it_was_cut_with(index_dir):
    record = resolve_index_dir(index_dir) / DICTIONARY_FILE
    assert record.read_text().strip() == dictionary_digest()
    with Library(index_dir) as library:
        assert not library.dictionary_changed()


def test_an_index_cut_with_another_vocabulary_says_so_in_the_library_cli_and_page(index_dir, capsys):
    _built_with_another_vocabulary(index_dir)
    with Library(index_dir) as library:
        assert library.dictionary_changed()
    assert cli_main(["search", "--index", str(index_dir), "法治"]) == 0
    assert DICTIONARY_CHANGED in capsys.readouterr().err
    from webui import create_app
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})
    page = app.test_client().get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    assert "data-stale-dictionary" in page and "searchlib index --rebuild" in page


def test_an_update_says_the_vocabulary_changed_and_a_rebuild_records_the_new_one(index_dir, tmp_path):
    _built_with_another_vocabulary(index_dir)
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(OTHER_REPORT, more)
    summary = build_index([more], index_dir, reuse=False, procs=1)
    assert DICTIONARY_CHANGED in summary.notes
    with Library(index_dir) as library:
        assert library.dictionary_changed()   # the older reports are still cut the old way
    build_index([more], index_dir, rebuild=True, reuse=False, procs=1)
    with Library(index_dir) as library:
        assert not library.dictionary_changed()


def test_an_index_built_before_the_record_existed_is_not_called_stale(index_dir):
    (resolve_index_dir(index_dir) / DICTIONARY_FILE).unlink()
    with Library(index_dir) as library:
        assert not library.dictionary_changed()
