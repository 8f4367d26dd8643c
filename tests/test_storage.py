"""Compound segment files are read in place from the memory map, with BytesIO's semantics."""
from __future__ import annotations

import io
import tracemalloc

from hypothesis import given, strategies as st

from searchlib.index.indexing import open_index, resolve_index_dir
from searchlib.index.storage import MappedFile

_OPS = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 40)),
    st.tuples(st.just("readline"), st.integers(-1, 40)),
    st.tuples(st.just("seek"), st.integers(0, 120), st.sampled_from([io.SEEK_SET, io.SEEK_CUR])),
    st.tuples(st.just("tell")),
), max_size=30)


@given(data=st.binary(max_size=100).map(lambda b: b.replace(b"\x00", b"\n")), ops=_OPS)
def test_a_mapped_file_reads_as_bytesio_does(data, ops):
    mapped, expected = MappedFile(memoryview(data)), io.BytesIO(data)
    for name, *args in ops:
        assert getattr(mapped, name)(*args) == getattr(expected, name)(*args), (name, args)


@given(objects=st.lists(st.one_of(st.integers(), st.text(max_size=3000), st.tuples(st.integers(), st.floats(allow_nan=False))),
                        min_size=1, max_size=5))
def test_a_mapped_file_reads_pickles_one_after_another_and_where_they_end(objects):
    import pickle

    data = b"".join(pickle.dumps(o, protocol=2) for o in objects) + b"tail"
    mapped = MappedFile(memoryview(data))
    for expected in objects:
        assert mapped.read_pickle() == expected
    assert mapped.read(4) == b"tail"


def test_opening_an_index_does_not_copy_its_segments_onto_the_heap(index_dir):
    segment_bytes = sum(p.stat().st_size for p in resolve_index_dir(index_dir).glob("*.seg"))
    tracemalloc.start()
    try:
        index = open_index(index_dir)
        searcher = index.searcher()
        assert searcher.doc_count() > 80
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    searcher.close()
    assert segment_bytes > 1_000_000
    assert peak < segment_bytes / 2  # before: every segment's postings were copied into a BytesIO


# --- the format: an older index gets one line naming the rebuild, before Whoosh reads it --------------

import ast  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from searchlib.index import storage  # noqa: E402
from searchlib.index.indexing import IndexError_, IndexOutdated, build_index, delete_reports  # noqa: E402
from searchlib.analysis import normalize  # noqa: E402
from searchlib.query.search import Library  # noqa: E402

REBUILD = "`searchlib index --rebuild PATH...`"


def _copy_with_format(index_dir, tmp_path, version: str | None) -> Path:
    copy = tmp_path / "old"
    shutil.copytree(index_dir, copy, symlinks=True)
    marker = resolve_index_dir(copy) / storage.FORMAT_FILE
    marker.unlink()
    if version is not None:
        marker.write_text(version)
    return copy


@pytest.mark.parametrize("version", [None, "2\n"])
def test_an_index_of_an_older_format_is_refused_with_the_rebuild_command(index_dir, tmp_path, version):
    old = _copy_with_format(index_dir, tmp_path, version)
    with pytest.raises(IndexOutdated) as caught:
        Library(old)
    message = str(caught.value)
    assert REBUILD in message and f"reads format {storage.FORMAT_VERSION}" in message and "\n" not in message
    with pytest.raises(IndexOutdated, match="--rebuild"):   # nor is it changed: no job stamps it new
        delete_reports(old, ["no-such-report"])
    assert storage.index_format(resolve_index_dir(old)) == (1 if version is None else 2)


def test_the_cli_says_it_in_one_line_and_exits_non_zero(index_dir, tmp_path):
    old = _copy_with_format(index_dir, tmp_path, "2\n")
    run = subprocess.run([sys.executable, "-m", "searchlib", "search", "--index", str(old), "法治"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert REBUILD in run.stderr and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_the_web_app_says_it_on_a_page(index_dir, tmp_path):
    from webui import create_app

    old = _copy_with_format(index_dir, tmp_path, "2\n")
    client = create_app({"INDEX_DIR": str(old), "TESTING": True}).test_client()
    page = client.get("/search?q=法治")
    body = page.get_data(as_text=True)
    assert page.status_code == 503 and "索引需要重建" in body and "searchlib index --rebuild" in body
    api = client.get("/api/search?q=法治")
    assert api.status_code == 503 and "searchlib index --rebuild" in api.get_json()["error"]


def test_the_format_is_checked_before_whoosh_unpickles_the_schema(index_dir, tmp_path):
    # An analyzer class that moved module would fail to unpickle: the format line must come first.
    old = _copy_with_format(index_dir, tmp_path, "2\n")
    for toc in resolve_index_dir(old).glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x80\x04cno_such_module\nAnalyzer\nq\x00.")
    with pytest.raises(IndexOutdated, match="--rebuild"):
        Library(old)
    storage.write_format(resolve_index_dir(old))  # the current format: now Whoosh reads the broken TOC
    with pytest.raises(IndexError_, match="cannot open the index"):
        Library(old)


def test_a_fresh_index_and_every_job_on_it_record_the_current_format(tmp_path, corpus_dir):
    files = sorted(corpus_dir.iterdir())
    build_index(files[:2], tmp_path, rebuild=True, procs=1, reuse=False)
    build_index(files[2:3], tmp_path, procs=1, reuse=False)
    assert storage.index_format(resolve_index_dir(tmp_path)) == storage.FORMAT_VERSION


# --- writing a file whole ------------------------------------------------------------------------------

def test_atomic_write_replaces_the_file_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with storage.atomic_write(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed mid-way")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["data.bin"]
    with storage.atomic_write(target) as tmp:
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"   # not visible until the block ends
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["data.bin"]


# --- one module touches Whoosh's internals ---------------------------------------------------------------

SEARCHLIB = Path(storage.__file__).parent


def _whoosh_private_names() -> set[str]:
    """Every ``_name`` Whoosh itself defines or uses as an attribute (``self._x``, ``def _x``, ``_x = ``)."""
    import whoosh

    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_") \
                    and not node.name.startswith("__"):
                names.add(node.name)
    return names


def private_whoosh_uses(source: str, private: set[str]) -> list[str]:
    """Where ``source`` reaches into Whoosh: a Whoosh-private attribute of another object
    (``reader._perdoc``, ``getattr(x, "_perdoc")``), a private name imported from whoosh, a class
    overriding a Whoosh class's private method, or an attribute of a Whoosh class assigned (a patch)."""
    tree = ast.parse(source)
    whoosh_names: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            for alias in node.names:
                whoosh_names.add(alias.asname or alias.name)
                if alias.name.startswith("_"):
                    found.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import):
            whoosh_names.update(a.asname or a.name for a in node.names if a.name.startswith("whoosh"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr") \
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value in private:
            found.append(f"line {node.lineno}: {node.func.id}(…, {node.args[1].value!r})")
        elif isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in whoosh_names
                                                    for b in node.bases):
            found += [f"line {item.lineno}: {node.name} overrides {item.name}" for item in node.body
                      if isinstance(item, ast.FunctionDef) and item.name in private]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                root = target
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in whoosh_names:
                    found.append(f"line {node.lineno}: patches {ast.unparse(target)}")
    return found


def test_the_scan_finds_each_kind_of_reach_into_whoosh():
    private = _whoosh_private_names()
    assert {"_perdoc", "_field_B", "_commit_toc", "_data", "_dbfile"} <= private
    sample = ("from whoosh.writing import PostingPool\nfrom whoosh.filedb import compound\n"
              "class Pool(PostingPool):\n    def _write_run(self, f, items):\n        pass\n"
              "def f(reader, w):\n    reader._perdoc\n    getattr(reader, '_perdoc', None)\n"
              "    w._field_B.get('text')\n    self._data = 1\n"
              "compound.CompoundStorage.open_file = f\n")
    assert len(private_whoosh_uses(sample, private)) == 5


def test_only_the_storage_module_touches_whooshs_private_names():
    private = _whoosh_private_names()
    offenders = {str(path.relative_to(SEARCHLIB.parent)): uses for path in sorted(SEARCHLIB.rglob("*.py"))
                 if path.name != "storage.py" and (uses := private_whoosh_uses(path.read_text(encoding="utf-8"), private))}
    assert offenders == {}
    assert private_whoosh_uses((SEARCHLIB / "storage.py").read_text(encoding="utf-8"), private)  # they are here


def test_an_index_whose_reports_were_all_deleted_opens_and_finds_nothing(tmp_path, corpus_dir):
    # (An index of nothing is never built: a build that finds no report refuses, see test_indexing.)
    from searchlib.query.search import SearchRequest

    build_index(sorted(corpus_dir.iterdir())[:1], tmp_path, rebuild=True, procs=1, reuse=False)
    library = Library(tmp_path)
    [doc_id] = {g.doc_id for g in library.search(SearchRequest(q="", group=True, limit=10)).groups}
    library.close()
    delete_reports(tmp_path, [doc_id])
    library = Library(tmp_path)
    try:
        for q in ("法治", "行政复议", '"法治政府"', "法治 /s 建设"):
            assert library.search(SearchRequest(q=q, group=True)).total == 0
        assert library.stats() == {"paragraphs": 0, "reports": 0}
    finally:
        library.close()


def test_a_generation_held_across_a_swap_reads_its_texts_fields_and_facets_after_its_folder_is_gone(tmp_path,
                                                                                                    corpus_dir):
    # Its segments' own files were opened with its searcher. (Whoosh's searcher keeps its own open.)
    from searchlib.query.search import SearchRequest

    files = sorted(corpus_dir.iterdir())
    build_index(files[:-1], tmp_path, rebuild=True, procs=1, reuse=False)
    library = Library(tmp_path)
    try:
        with library.pinned() as searcher:
            held = resolve_index_dir(tmp_path)
            build_index(files[-1:], tmp_path, procs=1, reuse=False)   # swaps, and removes the held folder
            assert not held.exists()
            last = searcher.doc_count_all() - 1
            stored = searcher.stored_fields(last)
            assert library.texts(searcher).get(last) == normalize(stored["text"])
            assert library.stored_fields(searcher)[last]["pid"] == stored["pid"]
            province = library.columns(searcher)["province"]
            assert province.values[province.codes[last]] == stored.get("province")
            found = library.search(SearchRequest(q="法治", limit=5))   # (its reuse data was looked for at open)
            assert found.total and all(library.paragraph(hit.pid) for hit in found.hits)
    finally:
        library.close()


def test_an_index_file_cut_short_is_said_to_need_a_rebuild_by_the_cli_and_the_web(tmp_path, corpus_dir, capsys):
    from searchlib.cli import main as cli_main
    from webui import create_app

    build_index(sorted(corpus_dir.iterdir())[:2], tmp_path, rebuild=True, procs=1, reuse=False)
    [postings] = sorted(resolve_index_dir(tmp_path).glob("*.post.text.docs.npy"))[:1]
    with open(postings, "r+b") as handle:
        handle.truncate(postings.stat().st_size // 2)
    assert cli_main(["search", "行政复议", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"searchlib: the index at {tmp_path} is damaged (one of its files ends early): rebuild it with "
                   f"`searchlib index --rebuild PATH...`\n")
    response = create_app({"INDEX_DIR": str(tmp_path)}).test_client().get("/api/search?q=行政复议")
    assert response.status_code == 503 and "索引已损坏" in response.get_json()["error"]
