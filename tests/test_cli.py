"""The command line as a researcher uses it: real processes, real exit codes."""
import json
import re
import subprocess
import sys

import pytest


def run(*args, env_index=None, **kw):
    cmd = [sys.executable, "-m", "searchlib", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def test_search_json_has_the_documented_shape(index_dir):
    out = run("search", "行政复议", "--index", index_dir, "--json", "--limit", "3")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"query", "total", "took_ms", "hits", "facets"} <= set(data)
    assert data["total"] >= 5 and len(data["hits"]) == 3
    hit = data["hits"][0]
    for key in ("pid", "doc_id", "title", "province", "city", "county", "township", "level", "report_year",
                "section_kind", "section_heading", "text", "snippet", "url"):
        assert key in hit
    assert hit["url"] == f"/p/{hit['pid']}"
    assert {"report_year", "province", "level", "section_kind"} <= set(data["facets"])


def test_search_filters_narrow_the_results(index_dir):
    out = run("search", "法律顾问", "--index", index_dir, "--json", "--province", "四川", "--year", "2021")
    data = json.loads(out.stdout)
    assert data["total"] > 0
    assert {h["province"] for h in data["hits"]} == {"四川省"}
    assert {h["report_year"] for h in data["hits"]} == {2021}


def test_human_output_names_the_report_and_the_permalink(index_dir):
    out = run("search", "枫桥经验", "--index", index_dir)
    assert out.returncode == 0
    assert "常庄街道" in out.stdout and "/p/" in out.stdout


@pytest.mark.parametrize("args, message", [
    (("search", '"行政复议'), "unbalanced quote"),
    (("search", "法" * 600), "too long"),
])
def test_bad_queries_get_one_clear_line_and_exit_2(index_dir, args, message):
    out = run(*args, "--index", index_dir)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_missing_index_is_a_clear_error(tmp_path):
    out = run("search", "行政复议", "--index", tmp_path / "nowhere")
    assert out.returncode == 2
    assert "no index" in out.stderr and "searchlib index" in out.stderr
    assert "Traceback" not in out.stderr


def test_parse_prints_one_json_object_per_file(corpus_dir):
    files = sorted(corpus_dir.glob("00*.txt"))[:2]
    out = run("parse", *files)
    assert out.returncode == 0, out.stderr
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == 2
    for key in ("source", "doc_id", "title", "publisher", "report_year", "publish_date", "province", "city",
                "county", "township", "division_code", "level", "body", "sections"):
        assert key in objects[0]
    assert objects[0]["sections"][0]["paragraphs"][0]["pid"].startswith(objects[0]["doc_id"])


def test_bad_files_are_named_and_skipped_the_good_ones_parsed(tmp_path, corpus_dir):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("关于某县2021年法治政府建设情况的报告\n一、主要做法\n深化行政复议体制改革。".encode("gbk"))
    out = run("parse", empty, binary, gbk)
    assert out.returncode == 1
    assert "empty.txt" in out.stderr and "image.txt" in out.stderr
    assert "Traceback" not in out.stderr
    (report,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert report["title"] == "关于某县2021年法治政府建设情况的报告"
    assert "行政复议" in report["sections"][-1]["paragraphs"][0]["text"]


def test_index_reports_skipped_files_and_builds_the_rest(tmp_path, corpus_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text((corpus_dir / sorted(p.name for p in corpus_dir.iterdir())[0]).read_text("utf-8"),
                                  encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"")
    out = run("index", folder, "--index", tmp_path / "ix", "--quiet")
    assert out.returncode == 1
    assert "broken.txt" in out.stderr
    assert "indexed 1 report," in out.stdout
    found = run("search", "法治", "--index", tmp_path / "ix", "--json")
    assert json.loads(found.stdout)["total"] > 0


def test_a_dangling_symlink_is_named_as_skipped_like_any_other_file(tmp_path, corpus_dir):
    # It was dropped without a word (issue 21, item 8): the folder promised a report it could not give.
    folder = tmp_path / "in"
    folder.mkdir()
    first = sorted(p for p in corpus_dir.iterdir())[0]
    (folder / "a.txt").write_text(first.read_text("utf-8"), encoding="utf-8")
    (folder / "moved.txt").symlink_to(tmp_path / "elsewhere" / "moved.txt")
    out = run("index", folder, "--index", tmp_path / "ix", "--quiet", "--no-reuse")
    assert out.returncode == 1
    assert "moved.txt" in out.stderr and "broken symbolic link" in out.stderr
    assert "indexed 1 report," in out.stdout and "1 file(s) skipped" in out.stdout
    (folder / "linked").symlink_to(tmp_path / "elsewhere-folder")
    (tmp_path / "elsewhere-folder").mkdir()
    linked = run("index", folder, "--index", tmp_path / "ix3", "--quiet", "--no-reuse")
    assert re.search(r"linked/?: symbolic link to a folder, not followed", linked.stderr)
    named = run("index", folder / "moved.txt", "--index", tmp_path / "ix2", "--quiet", "--no-reuse")
    assert "broken symbolic link" in named.stderr and named.returncode != 0


def test_help_explains_the_query_syntax():
    out = run("search", "--help")
    assert out.returncode == 0
    assert "/s" in out.stdout and "year:" in out.stdout


def test_delete_removes_a_report_and_names_unknown_ids(tmp_path, corpus_dir):
    index = tmp_path / "ix"
    assert run("index", corpus_dir, "--index", index, "--quiet", "--no-reuse").returncode == 0
    hit = json.loads(run("search", "枫桥经验", "--index", index, "--json").stdout)["hits"][0]
    out = run("delete", hit["doc_id"], "nosuchreport", "--index", index)
    assert out.returncode == 1
    assert "deleted 1 reports" in out.stdout and "nosuchreport" in out.stderr
    after = json.loads(run("search", "枫桥经验", "--index", index, "--json").stdout)
    assert hit["doc_id"] not in {h["doc_id"] for h in after["hits"]}


def test_optimize_keeps_every_paragraph(tmp_path, corpus_dir):
    index = tmp_path / "ix"
    files = sorted(corpus_dir.iterdir())
    run("index", *files[:3], "--index", index, "--quiet", "--no-reuse")
    run("index", *files[3:], "--index", index, "--quiet", "--no-reuse")
    before = json.loads(run("search", "法治", "--index", index, "--json").stdout)["total"]
    out = run("optimize", "--index", index)
    assert out.returncode == 0 and "one segment" in out.stdout
    assert json.loads(run("search", "法治", "--index", index, "--json").stdout)["total"] == before


def test_search_marks_a_hit_that_is_not_a_report(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "plan.txt").write_text("渠县2022年普法依法治理工作要点\n发布日期:2022-02-01\n"
                                     "为深入推进全县普法依法治理工作,现将行政复议宣传等工作安排如下。\n"
                                     "一、强化组织领导\n各乡镇要落实普法责任制。\n", encoding="utf-8")
    assert run("index", "--quiet", "--index", str(tmp_path / "ix"), str(folder)).returncode == 0
    out = run("search", "行政复议", "--index", str(tmp_path / "ix")).stdout
    assert "渠县2022年普法依法治理工作要点 · [非报告 not a report]" in out


def test_reports_in_tiers_count_only_paragraphs_that_hold_every_concept(index_dir):
    """A tier-2 report holds the concepts in different paragraphs: its line says no count, never "0"."""
    out = run("search", "法律顾问 行政复议", "--index", index_dir, "--limit", "20")
    assert out.returncode == 0, out.stderr
    tier1, _, rest = out.stdout.partition("== tier 2")
    assert "paragraph(s) with every concept" in tier1
    assert rest.count("\n[") >= 1, "the bundled reports give this query a second tier"
    assert "with every concept" not in rest and "0 matching" not in rest


@pytest.mark.parametrize("argv", [["collocates", "无此词汇丙丁"], ["frequency", "无此词汇丙丁"]])
def test_a_word_list_with_nothing_to_list_says_why_on_stderr(index_dir, capsys, argv):
    from searchlib.cli import main
    assert main([*argv, "--index", str(index_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "nothing to list" in captured.err


def test_a_port_out_of_range_is_one_line_not_an_internal_error():
    out = run("serve", "--port", "99999", "--check-port")
    assert out.returncode == 2 and "'99999' is not a port (1-65535)" in out.stderr
    assert "internal error" not in out.stderr


def test_a_build_without_a_terminal_says_how_far_it_is_in_lines(tmp_path, monkeypatch, capsys):
    # cron or nohup: no bar (its carriage returns pile up in a log), a line now and then instead.
    from searchlib import cli

    monkeypatch.setattr(cli, "PROGRESS_LINE_SECONDS", 0)
    bar = cli._progress_bar(3)
    for _ in range(3):
        bar.update(1)
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[:3] == [f"indexing: {n} of 3 files read (0 s)" for n in (1, 2, 3)]
    assert lines[3:] == ["indexing: all 3 files read (0 s)"]   # said once, however often it is closed


def test_a_long_build_says_each_step_after_its_files_are_read(tmp_path, monkeypatch, capsys):
    # The bar is full and gone while the index is written and the text-reuse pass runs (minutes at 100k paragraphs).
    from searchlib import cli
    from searchlib.config import CORPUS_DIR
    from searchlib.index.indexing import build_index

    monkeypatch.setattr(cli, "PROGRESS_LINE_SECONDS", 0)
    build_index([CORPUS_DIR], tmp_path / "idx", rebuild=True, reuse=True, stage=cli._StageLines())
    steps = [line.split(" … ")[0] for line in capsys.readouterr().err.splitlines() if line.startswith("indexing: ")]
    assert steps == ["indexing: writing the index",
                     "indexing: finding paragraphs shared between reports (text reuse)",
                     "indexing: writing the research tools' tables"]


def test_a_short_build_says_no_steps(tmp_path, capsys):
    from searchlib import cli
    from searchlib.config import CORPUS_DIR
    from searchlib.index.indexing import build_index

    build_index([CORPUS_DIR], tmp_path / "idx", rebuild=True, reuse=True, stage=cli._StageLines())
    assert "indexing:" not in capsys.readouterr().err


def test_a_concordance_of_filters_only_says_it_has_nothing_to_show(index_dir):
    out = run("kwic", "year:2021", "--index", index_dir)
    assert out.returncode == 0 and out.stdout.startswith("0 occurrences")
    assert "this query has none (filters alone have no occurrences)" in out.stderr
