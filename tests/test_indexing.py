"""What the indexer promises: whole rebuilds, in-place updates and deletes, one writer.

Real indexes on disk, real report files (the seeds, and synthetic reports from
``bench/make_corpus.py`` where a test needs many files).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchlib.config import CORPUS_DIR
from searchlib.index.indexing import (PARALLEL_MIN_FILES, IndexLocked, IndexMissing, NotAnIndexFolder, NothingToIndex,
                                build_index, delete_reports,
                                open_index, optimize_index, resolve_index_dir, writer_lock)
from searchlib.ingest.report import parse_file
from searchlib.query.search import Library, SearchRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_corpus import make_corpus  # noqa: E402

SEEDS = sorted(CORPUS_DIR.glob("*.txt"))


def all_pids(index_dir) -> set[str]:
    with open_index(index_dir).searcher() as s:
        return {fields["pid"] for fields in s.all_stored_fields()}


def pids_of(paths) -> set[str]:
    return {p.pid for path in paths for _, _, p in parse_file(path).paragraphs()}


def segment_count(index_dir) -> int:
    return len(open_index(index_dir)._segments())


@pytest.fixture(scope="module")
def many_reports(tmp_path_factory) -> list[Path]:
    """More files than the parallel threshold: the build uses worker processes."""
    folder = tmp_path_factory.mktemp("many")
    files = make_corpus(folder, paragraphs=(PARALLEL_MIN_FILES + 6) * 6, seed=11, report_size=(4, 8))
    assert len(files) > PARALLEL_MIN_FILES
    return files


# --- building -------------------------------------------------------------------

def test_parallel_build_indexes_exactly_the_paragraphs_of_an_in_process_build(many_reports, tmp_path):
    corpus = many_reports[0].parent.parent
    parallel = build_index([corpus], tmp_path / "two", rebuild=True, procs=2)
    single = build_index([corpus], tmp_path / "one", rebuild=True, procs=1)
    assert parallel.paragraphs == single.paragraphs == len(pids_of(many_reports))
    assert all_pids(tmp_path / "two") == all_pids(tmp_path / "one") == pids_of(many_reports)
    assert segment_count(tmp_path / "two") == 2  # one per worker, no serial merge


def test_workers_cut_their_share_into_segments_of_bounded_size(many_reports, tmp_path, monkeypatch):
    # Finishing a segment costs memory in proportion to it: at 1M paragraphs one segment per
    # worker ran out of memory. The limit is read by the spawned workers from the environment.
    monkeypatch.setenv("SEARCHLIB_SEGMENT_PARAGRAPHS", "40")
    corpus = many_reports[0].parent.parent
    summary = build_index([corpus], tmp_path, rebuild=True, procs=2)
    assert summary.paragraphs == len(all_pids(tmp_path)) == len(pids_of(many_reports))
    sizes = [segment.doc_count_all() for segment in open_index(tmp_path)._segments()]
    assert len(sizes) >= summary.paragraphs // (40 + 8 * 8)
    assert max(sizes) < 40 + 8 * 8 + 1  # the limit, plus at most one batch of files (8 files of ≤ 8)


def test_copies_of_one_report_are_indexed_once_even_when_workers_split_them(many_reports, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(many_reports[0].parent.parent, corpus)
    first = sorted(corpus.rglob("*.txt"))[0]
    copy = corpus / "zz-last" / first.name
    copy.parent.mkdir()
    shutil.copy(first, copy)
    summary = build_index([corpus], tmp_path / "index", rebuild=True, procs=2)
    # The copy is not skipped: it is named as merged, and its path is among the report's sources.
    assert [path for path, _ in summary.merged] == [str(copy)] and not summary.skipped
    assert summary.paragraphs == len(all_pids(tmp_path / "index")) == len(pids_of(many_reports))
    with open_index(tmp_path / "index").searcher() as s:
        assert s.doc_count() == summary.paragraphs  # the late copy's paragraphs are deleted, not live
        sources = {tuple(x["path"] for x in f["sources"]) for f in s.documents(doc_id=parse_file(first).doc_id)}
    assert sources == {(str(first), str(copy))}


def test_rebuild_replaces_the_generation_and_removes_the_old_one(tmp_path):
    build_index(SEEDS[:2], tmp_path, rebuild=True)
    old = resolve_index_dir(tmp_path)
    build_index(SEEDS, tmp_path, rebuild=True)
    assert resolve_index_dir(tmp_path) != old and not old.exists()
    assert all_pids(tmp_path) == pids_of(SEEDS)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("gen-")] == [resolve_index_dir(tmp_path).name]


def test_leftovers_of_killed_jobs_are_removed_by_the_next_job(tmp_path):
    build_index(SEEDS[:2], tmp_path, rebuild=True)
    live = resolve_index_dir(tmp_path)
    stale = tmp_path / "gen-20200101T000000-999"
    (stale / "half-written").mkdir(parents=True)
    sort_runs = live / "MAIN.tmp"
    sort_runs.mkdir()
    (sort_runs / "abc.run").write_bytes(b"x" * 100)
    build_index(SEEDS[2:3], tmp_path)  # an update, not a rebuild
    assert not stale.exists() and not sort_runs.exists()
    assert all_pids(tmp_path) == pids_of(SEEDS[:3])


# --- updating ---------------------------------------------------------------------

def test_adding_a_report_again_replaces_its_paragraphs_and_the_open_library_sees_it(tmp_path):
    report = tmp_path / "files" / "report.txt"
    report.parent.mkdir()
    shutil.copy(SEEDS[1], report)
    build_index(SEEDS[:1] + [report], tmp_path / "index", rebuild=True)
    library = Library(tmp_path / "index")
    before = library.search(SearchRequest(q="东坡区", limit=100)).total
    assert before > 0

    # Same title and date: the same report (doc_id), with one paragraph edited.
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("采纳率100%", "采纳率99%甲乙丙丁"), encoding="utf-8")
    summary = build_index([report], tmp_path / "index")

    assert summary.reports == 1
    assert all_pids(tmp_path / "index") == pids_of(SEEDS[:1] + [report])
    assert library.search(SearchRequest(q='"甲乙丙丁"')).total == 1
    assert library.search(SearchRequest(q="东坡区", limit=100)).total == before
    library.close()


def test_deleting_reports_removes_all_their_paragraphs_at_once(tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    library = Library(tmp_path)
    gone = parse_file(SEEDS[1])
    assert library.report(gone.doc_id)

    summary = delete_reports(tmp_path, [gone.doc_id, "no-such-report"])

    assert summary.deleted == [gone.doc_id] and summary.missing == ["no-such-report"]
    assert summary.paragraphs == len(pids_of(SEEDS[1:2]))
    assert library.report(gone.doc_id) == []
    assert all_pids(tmp_path) == pids_of(SEEDS) - pids_of(SEEDS[1:2])
    library.close()


def test_deleting_from_a_missing_index_says_so(tmp_path):
    with pytest.raises(IndexMissing):
        delete_reports(tmp_path / "nothing", ["abc"])


def test_many_small_updates_do_not_pile_up_segments(many_reports, tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    for path in many_reports[:6]:
        build_index([path], tmp_path)
    assert segment_count(tmp_path) <= 3
    assert all_pids(tmp_path) == pids_of(SEEDS) | pids_of(many_reports[:6])


def test_optimize_merges_into_one_segment_and_purges_deleted_paragraphs(many_reports, tmp_path):
    corpus = many_reports[0].parent.parent
    build_index([corpus], tmp_path, rebuild=True, procs=2)
    doomed = parse_file(many_reports[0]).doc_id
    delete_reports(tmp_path, [doomed])
    expected = all_pids(tmp_path)

    count = optimize_index(tmp_path)

    assert segment_count(tmp_path) == 1
    assert count == len(expected) and open_index(tmp_path).doc_count_all() == count
    assert all_pids(tmp_path) == expected


# --- one writer at a time ------------------------------------------------------------

def test_a_second_writer_gets_IndexLocked(tmp_path):
    build_index(SEEDS[:1], tmp_path, rebuild=True)
    with writer_lock(tmp_path):
        with pytest.raises(IndexLocked, match="being written by process"):
            build_index(SEEDS[1:2], tmp_path)
        with pytest.raises(IndexLocked):
            delete_reports(tmp_path, ["x"])
    assert all_pids(tmp_path) == pids_of(SEEDS[:1])


def test_a_second_index_command_prints_one_clear_line_and_exits_2(tmp_path):
    build_index(SEEDS[:1], tmp_path, rebuild=True)
    with writer_lock(tmp_path):
        done = subprocess.run([sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(tmp_path),
                               str(SEEDS[1])], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "being written by process" in lines[0] and "try again" in lines[0]


# --- killed jobs and readers during a job ---------------------------------------------

def index_command(index_dir: Path, corpus: Path, *flags: str, procs: int | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if procs is not None:
        env["SEARCHLIB_INDEX_PROCS"] = str(procs)
    return subprocess.Popen([sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(index_dir),
                             *flags, str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def wait_until_writing(job: subprocess.Popen, index_dir: Path, min_bytes: int, timeout: float = 60) -> None:
    """Until the job has written ``min_bytes`` into a generation that is not live yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert job.poll() is None, "the job finished before it could be killed: give it more work"
        live = resolve_index_dir(index_dir)
        pending = [g for g in index_dir.glob("gen-*") if g.resolve() != live]
        if pending and sum(f.stat().st_size for g in pending for f in g.rglob("*") if f.is_file()
                           and not f.is_symlink() and f.stat().st_nlink == 1) >= min_bytes:
            return
        time.sleep(0.05)
    raise AssertionError("the job wrote nothing in time")


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """Enough reports that indexing them takes a few seconds."""
    folder = tmp_path_factory.mktemp("big")
    files = make_corpus(folder, paragraphs=1500, seed=12, report_size=(6, 12))
    # A second report of the first one's body, title and year with another text (the second's body and a
    # closing line), so that the job also settles a report under an id of its own, which it writes twice.
    first, second = (f.read_text(encoding="utf-8").splitlines(keepends=True) for f in files[:2])
    (folder / "same-title-other-text.txt").write_text("".join(first[:3] + second[3:]) + "\n特此报告。\n",
                                                     encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def big_corpus_pids(big_corpus, tmp_path_factory) -> set[str]:
    """The paragraphs of an uninterrupted build. Not simply every file's parse: two of the generated
    files share body, title and year with different texts, and one of them is kept under an id of its own."""
    target = tmp_path_factory.mktemp("big-index")
    summary = build_index([big_corpus], target, rebuild=True, reuse=False)
    assert len(summary.separate) == 1 and summary.reports == len(list(big_corpus.rglob("*.txt")))
    return all_pids(target)


@pytest.mark.parametrize("procs, flags", [(2, ("--rebuild",)), (1, ())], ids=["rebuild-in-workers", "update-in-process"])
def test_a_killed_index_job_leaves_the_old_index_and_a_rerun_completes(big_corpus, big_corpus_pids, tmp_path, procs,
                                                                         flags):
    build_index(SEEDS, tmp_path, rebuild=True)
    old = all_pids(tmp_path)

    job = index_command(tmp_path, big_corpus, *flags, procs=procs)
    wait_until_writing(job, tmp_path, min_bytes=64 * 1024)
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=30)

    assert all_pids(tmp_path) == old
    assert Library(tmp_path).search(SearchRequest(q="行政复议")).total > 0

    rerun = index_command(tmp_path, big_corpus, *flags, procs=procs)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    expected = big_corpus_pids
    assert all_pids(tmp_path) == (expected if flags else expected | old)
    assert [g.name for g in tmp_path.glob("gen-*")] == [resolve_index_dir(tmp_path).name]


@pytest.fixture(scope="module")
def many_small_files(tmp_path_factory) -> Path:
    """Thousands of small reports: far more batches than the job queue's pipe holds at once."""
    folder = tmp_path_factory.mktemp("many-small")
    for i in range(2500):
        (folder / f"r{i}.txt").write_text(f"第{i}号镇{2019 + i % 6}年法治政府建设工作报告\n"
                                          + f"本镇编号{i}，全年办理行政复议案件{i}件，开展法治讲座。" * 20 + "\n",
                                          encoding="utf-8")
    return folder


def test_ctrl_c_on_a_job_in_workers_exits_at_once_and_leaves_the_old_index(many_small_files, tmp_path):
    # Ctrl-C in a terminal signals the whole process group: the command and its workers. Batches no worker took
    # were still in the job queue's pipe, and the command waited on them forever after saying "interrupted".
    build_index(SEEDS, tmp_path, rebuild=True)
    old = all_pids(tmp_path)
    env = {**os.environ, "SEARCHLIB_INDEX_PROCS": "2"}
    job = subprocess.Popen([sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(tmp_path),
                            "--rebuild", str(many_small_files)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_until_writing(job, tmp_path, min_bytes=16 * 1024)
    os.killpg(job.pid, signal.SIGINT)
    try:
        _, err = job.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        raise AssertionError("the job did not exit after Ctrl-C") from None
    assert job.returncode == 130 and err.strip().endswith("searchlib: interrupted")
    assert all_pids(tmp_path) == old


def test_readers_keep_answering_while_a_job_runs_and_see_its_result_when_it_ends(big_corpus, tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    library = Library(tmp_path)
    before = library.search(SearchRequest(q="行政复议", limit=5)).total

    job = index_command(tmp_path, big_corpus, "--rebuild", procs=2)
    answers = []
    while job.poll() is None:
        answers.append(library.search(SearchRequest(q="行政复议", limit=5)).total)
    assert job.returncode == 0, job.stderr.read()
    after = library.search(SearchRequest(q="行政复议", limit=5)).total

    # The old index, then (once the job swapped generations) the new one; nothing in between.
    assert after != before
    assert answers.count(before) >= 3
    assert answers == [before] * answers.count(before) + [after] * (len(answers) - answers.count(before))
    assert library.stats()["paragraphs"] == len(pids_of(sorted(big_corpus.rglob("*.txt"))))
    library.close()


# --- the text-reuse pass as part of indexing --------------------------------------

def test_a_fresh_build_comes_with_its_reuse_data(tmp_path):
    from searchlib.research import reuse
    reuse_corpus = Path(__file__).resolve().parent / "corpus_reuse"
    summary = build_index([reuse_corpus], tmp_path / "ix", rebuild=True, procs=1)
    assert summary.reuse and summary.reuse["verified_pairs"] > 0
    store = reuse.open_store(tmp_path / "ix")
    assert store is not None  # born with its generation, so not stale


def test_an_update_of_a_small_index_refreshes_the_reuse_data(tmp_path):
    from searchlib.research import reuse
    reuse_corpus = sorted((Path(__file__).resolve().parent / "corpus_reuse").glob("*.txt"))
    build_index(reuse_corpus[:3], tmp_path / "ix", rebuild=True, procs=1)
    summary = build_index(reuse_corpus[3:], tmp_path / "ix", procs=1)
    assert summary.reuse is not None and not summary.notes
    assert reuse.open_store(tmp_path / "ix") is not None


def test_skipping_the_reuse_pass_leaves_no_reuse_data(tmp_path):
    from searchlib.research import reuse
    reuse_corpus = Path(__file__).resolve().parent / "corpus_reuse"
    summary = build_index([reuse_corpus], tmp_path / "ix", rebuild=True, procs=1, reuse=False)
    assert summary.reuse is None
    assert reuse.open_store(tmp_path / "ix") is None


def test_a_fresh_build_too_big_for_the_reuse_pass_says_so_and_an_explicit_request_still_runs_it(
        tmp_path, monkeypatch):
    from searchlib.index import indexing
    from searchlib.research import reuse
    reuse_corpus = Path(__file__).resolve().parent / "corpus_reuse"
    monkeypatch.setattr(indexing, "REUSE_BY_DEFAULT_MAX_PARAGRAPHS", 5)
    summary = build_index([reuse_corpus], tmp_path / "ix", rebuild=True, procs=1)
    assert summary.reuse is None and reuse.open_store(tmp_path / "ix") is None
    assert any("text-reuse data not built" in note and "searchlib reuse --build" in note for note in summary.notes)
    summary = build_index([reuse_corpus], tmp_path / "ix", rebuild=True, procs=1, reuse=True)
    assert summary.reuse and reuse.open_store(tmp_path / "ix") is not None


def test_reports_whose_year_or_place_could_not_be_read_are_indexed_and_named_in_one_note(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hello.txt").write_text("hello world\n", encoding="utf-8")
    shutil.copy(SEEDS[1], corpus / SEEDS[1].name)   # a report with its year and place (2021, 眉山市东坡区)
    summary = build_index([corpus], tmp_path / "ix", rebuild=True, procs=1)
    assert summary.reports == 2
    [note] = [n for n in summary.notes if "lack a year or place" in n]
    assert note.startswith("1 of 2 indexed reports lack a year or place (1 no year, 1 no place)")
    assert note.endswith(f"{corpus / 'hello.txt'} (year, place)") and SEEDS[1].name not in note


def test_the_note_on_reports_without_a_year_names_the_first_few_and_counts_the_rest(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):
        (corpus / f"page{i}.txt").write_text(f"第{i}段 没有年份也没有地名的一段文字。\n", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "ix", rebuild=True, procs=1)
    [note] = [n for n in summary.notes if "lack a year or place" in n]
    assert note.startswith("8 of 8 indexed reports") and note.endswith("; and 3 more")
    assert [f"page{i}.txt" in note for i in range(8)] == [True] * 5 + [False] * 3


def test_a_rebuild_from_a_mistyped_path_or_an_empty_folder_keeps_the_index(tmp_path):
    build_index(SEEDS, tmp_path / "ix", rebuild=True)
    before = all_pids(tmp_path / "ix")
    (tmp_path / "empty").mkdir()
    for path, said in ((tmp_path / "typo", "no such file or folder"), (tmp_path / "empty", "no report file found")):
        with pytest.raises(NothingToIndex, match=f"{said}.*nothing was rebuilt"):
            build_index([path], tmp_path / "ix", rebuild=True)
        assert all_pids(tmp_path / "ix") == before


def test_a_first_build_from_nothing_makes_no_index(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NothingToIndex, match="no index was made"):
        build_index([tmp_path / "empty"], tmp_path / "ix")
    with pytest.raises(IndexMissing):
        resolve_index_dir(tmp_path / "ix")


def test_an_index_is_never_written_over_a_file_or_into_a_folder_of_other_things(tmp_path):
    (tmp_path / "afile").write_text("notes", encoding="utf-8")
    with pytest.raises(NotAnIndexFolder, match="is a file"):
        build_index(SEEDS[:1], tmp_path / "afile")
    mine = tmp_path / "mine"
    (mine / "gen-notes").mkdir(parents=True)
    (mine / "gen-notes" / "x.txt").write_text("important", encoding="utf-8")
    with pytest.raises(NotAnIndexFolder, match="not a searchlib index and is not empty"):
        build_index(SEEDS[:1], mine)
    assert (mine / "gen-notes" / "x.txt").read_text(encoding="utf-8") == "important"


def test_a_folder_holding_only_hidden_files_takes_an_index_and_keeps_them(tmp_path):
    # The repository's own index/ holds a .gitkeep: `make serve` builds there on a fresh clone.
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ".gitkeep").write_text("", encoding="utf-8")
    assert build_index(SEEDS[:1], tmp_path / "index").reports == 1
    assert (tmp_path / "index" / ".gitkeep").exists()


def test_the_cli_says_a_refused_rebuild_in_one_line_and_exits_2(tmp_path, capsys):
    from searchlib.cli import main as cli_main
    build_index(SEEDS[:1], tmp_path / "ix", rebuild=True)
    assert cli_main(["index", "--rebuild", str(tmp_path / "typo"), "--index", str(tmp_path / "ix")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("searchlib: no such file or folder:")


def test_a_page_with_a_title_and_no_body_is_skipped_never_indexed_empty_or_merged(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("青山县2023年法治政府建设工作报告\n发布时间：2024-03-01\n", encoding="utf-8")
    (folder / "b.txt").write_text("白山县2022年法治政府建设工作报告\n发布时间：2023-03-01\n", encoding="utf-8")
    with pytest.raises(NothingToIndex, match="none of the 2 input.*a.txt: no body text.*b.txt: no body text"):
        build_index([folder], tmp_path / "ix")
    shutil.copy(SEEDS[1], folder / SEEDS[1].name)
    summary = build_index([folder], tmp_path / "ix")
    assert summary.reports == 1 and not summary.merged
    assert sorted(Path(p).name for p, why in summary.skipped if why.startswith("no body text")) == ["a.txt", "b.txt"]
