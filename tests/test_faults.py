"""Faults of the machine, not of the request: one line on stderr, exit 2, what to do, and the index whole.

A full disk and a read-only folder are real: a small tmpfs mounted for the test
(the suite runs as root, as CI does); where mounting is not allowed the tests
say so and are skipped. Permission faults cannot be shown as root (root may
write anywhere), so the nearest real fault stands in: a file where the index
folder should be.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from searchlib.research import reuse
from searchlib.index.indexing import IndexLocked, build_index, resolve_index_dir, writer_lock
from searchlib.query.search import Library, SearchRequest
from tests.conftest import EXTRA_CORPUS, SEEDS


def cli(*args: str | bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchlib", *args], capture_output=True, timeout=300,
                          env={**os.environ, "SEARCHLIB_DEBUG": ""})


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of a few megabytes; ``small_disk(size)`` mounts it, the fixture unmounts it."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here to make a small disk: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(folder: Path) -> None:
    """Write until the disk is full."""
    with open(folder / "filler", "wb") as out:
        try:
            while True:
                out.write(b"\0" * (64 << 10))
                out.flush()
        except OSError:
            pass


def test_a_full_disk_during_a_fresh_build_is_one_line_and_exit_2(small_disk):
    disk = small_disk("300k")
    done = cli("index", "--index", str(disk / "index"), *map(str, SEEDS.iterdir()))
    assert done.returncode == 2
    line = one_line(done)
    assert "disk is full" in line and "free some space" in line
    assert not any(p.name.startswith("gen-") for p in (disk / "index").iterdir()), "no half-written generation"


def test_a_full_disk_during_an_update_leaves_the_previous_index_answering(small_disk):
    disk = small_disk("8m")
    index = disk / "index"
    build_index(sorted(SEEDS.iterdir()), index, rebuild=True, reuse=False, procs=1)
    before = Library(index).search(SearchRequest(q="法治")).total
    fill(disk)
    done = cli("index", "--index", str(index), str(EXTRA_CORPUS / "zhuji_2022.txt"))
    assert done.returncode == 2 and "disk is full" in one_line(done)
    library = Library(index)
    try:
        assert library.search(SearchRequest(q="法治")).total == before
    finally:
        library.close()


def test_a_read_only_index_folder_refuses_writes_in_one_line_and_still_answers_searches(small_disk):
    disk = small_disk("8m")
    index = disk / "index"
    build_index(sorted(SEEDS.iterdir()), index, rebuild=True, reuse=False, procs=1)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for command in (("index", str(EXTRA_CORPUS / "zhuji_2022.txt")), ("delete", "nonexistent"),
                    ("reuse", "--build"), ("optimize",)):
        done = cli(command[0], "--index", str(index), *command[1:])
        assert done.returncode == 2, command
        assert "read-only" in one_line(done), command
    searched = cli("search", "法治", "--index", str(index))
    assert searched.returncode == 0 and "法治" in searched.stdout.decode()


def test_a_file_where_the_index_folder_should_be_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    done = cli("index", "--index", str(tmp_path / "afile" / "index"), str(next(SEEDS.iterdir())))
    assert done.returncode == 2 and "give --index a folder" in one_line(done)


def test_bytes_that_are_not_utf8_in_an_argument_are_one_line_and_exit_2(index_dir):
    done = cli("search", b"\xb7\xa8\xd6\xce", "--index", str(index_dir))  # 法治 in GBK
    assert done.returncode == 2
    assert "not UTF-8" in one_line(done)


def test_reuse_build_takes_the_writer_lock(tmp_path):
    build_index(sorted(SEEDS.iterdir()), tmp_path, rebuild=True, reuse=False, procs=1)
    with writer_lock(tmp_path):
        with pytest.raises(IndexLocked):
            reuse.build(tmp_path)
    assert reuse.build(tmp_path)["paragraphs"] > 0


def test_the_next_job_removes_what_a_killed_reuse_pass_left(tmp_path):
    build_index(sorted(SEEDS.iterdir()), tmp_path, rebuild=True, reuse=False, procs=1)
    live = resolve_index_dir(tmp_path)
    leftovers = [live / f".{reuse.FILE_NAME}.4242.tmp", live / f".{reuse.FILE_NAME}.4242.tmp-journal"]
    for path in leftovers:
        path.write_bytes(b"half a database")
    build_index([EXTRA_CORPUS / "zhuji_2022.txt"], tmp_path, reuse=False, procs=1)
    new = resolve_index_dir(tmp_path)
    assert new != live
    assert not any(name.startswith(f".{reuse.FILE_NAME}.") for name in os.listdir(new)), \
        "not hard-linked into the new generation"
    leftovers = [new / path.name for path in leftovers]
    for path in leftovers:
        path.write_bytes(b"half a database")
    reuse.build(tmp_path)
    assert not any(path.exists() for path in leftovers)


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_serving_on_a_port_that_is_taken_is_one_line_and_exit_2(index_dir, server):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = cli("serve", "--index", str(index_dir), "--port", str(taken.getsockname()[1]), "--server", server)
    assert done.returncode == 2 and "port is taken" in one_line(done)
