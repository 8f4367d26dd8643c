"""Every report kept, with its sources: a report's identity names who reported, and no input is
lost without a word (issue 23).

Real report files in temporary folders, real indexes on disk, the real command line.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchlib.config import CORPUS_DIR
from searchlib.index.indexing import FORMAT_FILE, IndexOutdated, build_index, open_index, resolve_index_dir
from searchlib.ingest.report import parse_file
from searchlib.query.search import Library, SearchRequest

SEEDS = sorted(CORPUS_DIR.glob("*.txt"))

BODY = ("{year}年,{place}坚持以习近平法治思想为指导,深入推进法治政府建设,{work}。\n"
        "一、主要工作\n(一)加强组织领导。{place}党委政府将法治建设纳入重要议事日程,定期研究部署,{more}。\n"
        "二、存在的问题\n法治宣传教育的针对性还不够强,基层执法人员的专业素质有待提高。\n")


def township_report(place: str, work: str, more: str = "全年召开专题会议4次") -> str:
    return ("2024年度法治政府建设工作报告\n发布日期:2025-03-28  来源:" + place + "人民政府\n"
            + BODY.format(year=2024, place=place, work=work, more=more))


def write(folder: Path, name: str, text: str, mtime: float | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def doc_ids(index_dir) -> dict[str, list[str]]:
    """doc_id -> the source paths its paragraphs carry."""
    with open_index(index_dir).searcher() as s:
        return {f["doc_id"]: [x["path"] for x in f["sources"]] for f in s.all_stored_fields()}


def hits(index_dir, q: str) -> int:
    library = Library(index_dir)
    try:
        return library.search(SearchRequest(q=q)).total
    finally:
        library.close()


def accounted(summary) -> int:
    return summary.reports + len(summary.merged) + len(summary.replaced) + len(summary.skipped)


# --- who reported is part of the identity ------------------------------------------

def test_two_townships_same_title_and_date_are_two_reports_in_a_rebuild(tmp_path):
    a = write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    b = write(tmp_path / "in", "b.txt", township_report("长冈乡", "全年化解矛盾纠纷45件"))
    assert parse_file(a).doc_id != parse_file(b).doc_id

    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)

    assert summary.reports == 2 and not summary.skipped and not summary.merged and not summary.replaced
    assert hits(tmp_path / "ix", "长冈乡") > 0 and hits(tmp_path / "ix", "兴江乡") > 0


def test_two_townships_same_title_and_date_are_two_reports_in_an_update(tmp_path):
    a = write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    b = write(tmp_path / "in", "b.txt", township_report("长冈乡", "全年化解矛盾纠纷45件"))
    build_index([a], tmp_path / "ix", rebuild=True)

    summary = build_index([b], tmp_path / "ix")

    assert summary.reports == 1 and not (summary.updated or summary.merged or summary.separate)
    assert len(doc_ids(tmp_path / "ix")) == 2
    assert hits(tmp_path / "ix", "长冈乡") > 0 and hits(tmp_path / "ix", "兴江乡") > 0


def test_two_counties_reports_with_one_title_and_date_stay_apart(tmp_path):
    def county(name: str, work: str) -> str:
        return ("关于法治政府建设情况的报告\n发布日期:2022-02-10  发布机构:" + name + "人民政府\n"
                + BODY.format(year=2021, place=name, work=work, more="全年召开专题会议6次"))
    write(tmp_path / "in", "x.txt", county("岳池县", "行政复议纠错率12%"))
    write(tmp_path / "in", "y.txt", county("渠县", "行政应诉出庭率100%"))
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    assert summary.reports == 2 and accounted(summary) == 2


def test_untitled_reports_with_the_same_opening_from_two_bodies_stay_apart(tmp_path):
    opening = "为深入贯彻落实党中央、国务院关于法治政府建设的决策部署," * 12   # ~400 characters alike
    for name, body in (("p.txt", "甲镇人民政府"), ("q.txt", "乙镇人民政府")):
        write(tmp_path / "in", name, f"发布日期:2023-01-05  来源:{body}\n{opening}\n{body}全年办理案件{len(body)}件。\n")
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    assert summary.reports == 2 and accounted(summary) == 2


# --- copies and versions ---------------------------------------------------------

def template_report(place: str) -> str:
    """A township's report whose body is a shared template: only its header names the place."""
    return ("2024年度法治政府建设工作报告\n发布日期:2025-03-01  来源:" + place + "人民政府\n"
            "2024年,我乡深入推进法治政府建设,现将有关情况报告如下。\n一、主要工作及成效\n"
            "全年办理行政执法案件21件,行政机关负责人出庭应诉率100%。\n")


def test_two_places_publishing_one_template_word_for_word_are_two_reports(tmp_path):
    write(tmp_path / "in", "a.txt", template_report("长冈乡"))
    b = write(tmp_path / "in", "b.txt", template_report("石门镇"))
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    assert summary.reports == 2 and not summary.merged
    [(path, why)] = summary.separate
    assert path == str(b) and "the report of another place (石门镇, not 长冈乡)" in why
    assert len(doc_ids(tmp_path / "ix")) == 2 and hits(tmp_path / "ix", "行政执法案件") == 2


def test_a_place_publishing_a_template_already_indexed_for_another_is_a_report_of_its_own(tmp_path):
    build_index([write(tmp_path / "in", "a.txt", template_report("长冈乡"))], tmp_path / "ix", rebuild=True)
    summary = build_index([write(tmp_path / "in2", "b.txt", template_report("石门镇"))], tmp_path / "ix")
    assert summary.reports == 1 and not summary.merged and len(summary.separate) == 1
    assert len(doc_ids(tmp_path / "ix")) == 2
    # A copy that names no place is still a copy, whichever came first.
    unnamed = template_report("长冈乡").replace("  来源:长冈乡人民政府", "")
    summary = build_index([write(tmp_path / "in3", "copy.txt", unnamed)], tmp_path / "ix")
    assert [p for p, _ in summary.merged] == [str(tmp_path / "in3" / "copy.txt")] and len(doc_ids(tmp_path / "ix")) == 2


def test_a_mirror_of_one_report_is_one_report_with_both_sources(tmp_path):
    text = township_report("兴江乡", "全年办理行政复议案件3件")
    first = write(tmp_path / "in" / "site-a", "report.html.txt", text)
    mirror = write(tmp_path / "in" / "site-b", "copy.txt", text)

    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)

    assert summary.reports == 1
    assert [path for path, _ in summary.merged] == [str(mirror)]
    assert list(doc_ids(tmp_path / "ix").values()) == [[str(first), str(mirror)]]


def test_a_mirror_added_by_an_update_joins_the_sources_of_the_indexed_report(tmp_path):
    text = township_report("兴江乡", "全年办理行政复议案件3件")
    first = write(tmp_path / "in", "a.txt", text)
    build_index([first], tmp_path / "ix", rebuild=True)
    # Another site's copy: the same body text under another page header.
    mirror = write(tmp_path / "in2", "b.txt", text.replace("来源:兴江乡人民政府", "来源:县司法局"))

    summary = build_index([mirror], tmp_path / "ix")

    assert [path for path, _ in summary.merged] == [str(mirror)]
    assert list(doc_ids(tmp_path / "ix").values()) == [[str(first), str(mirror)]]
    assert list(doc_ids(tmp_path / "ix")) == [parse_file(first).doc_id]  # the permalinks stay


def test_a_rebuild_keeps_the_newer_of_an_old_and_a_corrected_copy_and_names_the_old_one(tmp_path):
    old = write(tmp_path / "in", "a-old.txt", township_report("兴江乡", "全年办理行政复议案件3件"),
                mtime=1_700_000_000)
    new = write(tmp_path / "in", "b-new.txt", township_report("兴江乡", "全年办理行政复议案件4件"),
                mtime=1_700_100_000)
    old2 = write(tmp_path / "in", "c-older.txt", township_report("兴江乡", "全年办理行政复议案件2件"),
                 mtime=1_600_000_000)

    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)

    assert summary.reports == 1 and accounted(summary) == 3
    assert sorted(path for path, _ in summary.replaced) == [str(old), str(old2)]
    assert all(str(new) in why for _, why in summary.replaced)
    assert hits(tmp_path / "ix", '"行政复议案件4件"') == 1 and hits(tmp_path / "ix", '"行政复议案件3件"') == 0


def test_an_update_with_a_changed_page_replaces_it_and_says_so(tmp_path):
    page = write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    build_index([page], tmp_path / "ix", rebuild=True)
    before = parse_file(page).doc_id
    write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件5件"))

    summary = build_index([page], tmp_path / "ix")

    assert [path for path, _ in summary.updated] == [str(page)] and "text changed" in summary.updated[0][1]
    assert list(doc_ids(tmp_path / "ix")) == [before]
    assert hits(tmp_path / "ix", '"行政复议案件5件"') == 1 and hits(tmp_path / "ix", '"行政复议案件3件"') == 0


def test_a_changed_page_whose_id_changed_with_it_replaces_its_earlier_report_and_says_so(tmp_path):
    # A corrected title changes the report's id: the file's earlier report must not stay beside the new one.
    page = write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    other = write(tmp_path / "in", "b.txt", township_report("新民乡", "全年开展普法活动12场"))
    build_index([page, other], tmp_path / "ix", rebuild=True)
    before = parse_file(page).doc_id
    write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件5件").replace("2024年度", "2023年度"))
    assert parse_file(page).doc_id != before

    summary = build_index([page, other], tmp_path / "ix")

    assert len(doc_ids(tmp_path / "ix")) == 2 and before not in doc_ids(tmp_path / "ix")
    assert [path for path, _ in summary.updated] == [str(page)] and before in summary.updated[0][1]
    assert hits(tmp_path / "ix", '"行政复议案件5件"') == 1 and hits(tmp_path / "ix", '"行政复议案件3件"') == 0


def test_reindexing_the_same_file_says_nothing_and_keeps_one_report(tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    summary = build_index(SEEDS[:2], tmp_path)
    assert summary.reports == 2 and not (summary.merged or summary.updated or summary.separate)
    assert len(doc_ids(tmp_path)) == len(SEEDS)


def test_same_body_title_and_year_with_a_different_text_is_kept_as_its_own_report(tmp_path):
    write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    other = ("2024年度法治政府建设工作报告\n发布日期:2025-03-28  来源:兴江乡人民政府\n"
             "今年以来,兴江乡聚焦营商环境,清理规范性文件17件,公开权责清单,推行说明理由制度,"
             "建立重大决策目录管理,完成行政执法案卷评查,聘请法律顾问两名,开展法律进乡村活动。\n")
    b = write(tmp_path / "in", "b.txt", other)
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    assert summary.reports == 2 and [p for p, _ in summary.separate] == [str(b)]
    assert len(doc_ids(tmp_path / "ix")) == 2


# --- every input accounted for -------------------------------------------------------

def test_reports_in_equal_reports_indexed_plus_reports_named_in_the_summary(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, seed in enumerate(SEEDS):
        shutil.copy(seed, folder / f"seed{i}.txt")
    shutil.copy(SEEDS[0], folder / "mirror-of-seed0.txt")                          # a copy
    write(folder, "v1.txt", township_report("兴江乡", "案件3件"), mtime=1_700_000_000)  # two versions
    write(folder, "v2.txt", township_report("兴江乡", "案件4件"), mtime=1_700_100_000)
    write(folder, "no-extension", township_report("长冈乡", "纠纷45件"))              # read, no suffix
    write(folder, ".hidden.txt", township_report("凤凰镇", "普法20场"))                # named, not read
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)              # named
    (folder / "empty.txt").write_bytes(b"")                                            # named
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")                           # named
    (tmp_path / "elsewhere").mkdir()
    (folder / "linked").symlink_to(tmp_path / "elsewhere")                             # named, not followed
    inputs = len(list(folder.iterdir()))

    summary = build_index([folder], tmp_path / "ix", rebuild=True)

    assert summary.inputs == inputs
    assert accounted(summary) == inputs
    assert summary.reports == len(SEEDS) + 2
    named = {Path(p).name: why for p, why in summary.skipped}
    assert set(named) == {".hidden.txt", "photo.jpg", "empty.txt", "gone.txt", "linked"}
    assert "broken symbolic link" in named["gone.txt"] and "hidden" in named[".hidden.txt"]
    assert "unsupported file type .jpg" in named["photo.jpg"]


def test_the_index_job_lists_merges_and_replacements_in_its_json(tmp_path):
    folder = tmp_path / "in"
    write(folder, "a.txt", township_report("兴江乡", "案件3件"), mtime=1_700_000_000)
    write(folder, "b.txt", township_report("兴江乡", "案件4件"), mtime=1_700_100_000)
    write(folder, "c.txt", township_report("长冈乡", "纠纷45件"))
    write(folder, "d.txt", township_report("长冈乡", "纠纷45件"))
    run = subprocess.run([sys.executable, "-m", "searchlib", "index", "--json", "--index", str(tmp_path / "ix"),
                          "--rebuild", str(folder)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["inputs"] == 4 and data["reports"] == 2
    assert [Path(m["path"]).name for m in data["merged"]] == ["d.txt"]
    assert [Path(r["path"]).name for r in data["replaced"]] == ["a.txt"] and "b.txt" in data["replaced"][0]["by"]


def test_the_index_job_names_merges_and_replacements_on_stderr(tmp_path):
    folder = tmp_path / "in"
    write(folder, "c.txt", township_report("长冈乡", "纠纷45件"))
    write(folder, "d.txt", township_report("长冈乡", "纠纷45件"))
    run = subprocess.run([sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(tmp_path / "ix"),
                          "--rebuild", str(folder)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    assert f"merged {folder / 'd.txt'}: same text as {folder / 'c.txt'}" in run.stderr
    assert "indexed 1 report," in run.stdout and "1 merged as copies" in run.stdout


# --- the format version ----------------------------------------------------------------

def test_an_update_of_an_index_with_the_old_ids_asks_for_a_rebuild(tmp_path):
    build_index(SEEDS[:1], tmp_path, rebuild=True)
    (resolve_index_dir(tmp_path) / FORMAT_FILE).unlink()   # as written before the format was recorded
    with pytest.raises(IndexOutdated, match="--rebuild"):
        build_index(SEEDS[1:2], tmp_path)
    run = subprocess.run([sys.executable, "-m", "searchlib", "index", "--quiet", "--index", str(tmp_path),
                          str(SEEDS[1])], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "who reported" in run.stderr and "Traceback" not in run.stderr
    assert build_index(SEEDS[1:2], tmp_path, rebuild=True).reports == 1


def test_a_big_mixed_folder_in_worker_processes_accounts_for_every_input(tmp_path):
    """Past the parallel threshold: copies and versions land in different workers' segments."""
    from searchlib.index.indexing import PARALLEL_MIN_FILES

    folder = tmp_path / "in"
    places = ["兴江乡", "长冈乡", "凤凰镇", "龙口镇", "白石乡", "青山镇", "花园乡", "石桥镇", "高坪乡", "新华镇",
              "太平乡", "永和镇", "金山乡", "红星镇", "大同乡", "和平镇", "双河乡", "柳林镇", "三合乡", "黄金镇"]
    for i, place in enumerate(places):
        write(folder / "a", f"{i:02d}.txt", township_report(place, f"全年办理案件{i}件"), mtime=1_700_000_000)
        write(folder / "z", f"{i:02d}-copy.txt", township_report(place, f"全年办理案件{i}件"))     # merged
    for i, place in enumerate(places[:6]):
        write(folder / "m", f"{i:02d}-v2.txt", township_report(place, f"全年办理案件{i}件,新增调解{i}起"),
              mtime=1_700_100_000)                                                                  # newer: stays
    (folder / "m" / "notes.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)                         # skipped
    inputs = sum(1 for p in folder.rglob("*") if p.is_file())
    assert inputs > PARALLEL_MIN_FILES

    summary = build_index([folder], tmp_path / "ix", rebuild=True, procs=2)

    assert summary.inputs == inputs == accounted(summary)
    assert summary.reports == len(places)
    # Every copy is merged into its original; six originals give way to their newer versions.
    assert len(summary.merged) == 20 and len(summary.replaced) == 6 and len(summary.skipped) == 1
    ids = doc_ids(tmp_path / "ix")
    assert len(ids) == len(places)
    with open_index(tmp_path / "ix").searcher() as s:
        assert s.doc_count() == summary.paragraphs
    assert hits(tmp_path / "ix", '"新增调解3起"') == 1 and hits(tmp_path / "ix", '"全年办理案件3件。"') == 0


def test_a_page_rewritten_at_the_same_path_replaces_its_old_version_however_much_it_changed(tmp_path):
    page = write(tmp_path / "in", "a.txt", township_report("兴江乡", "全年办理行政复议案件3件"))
    build_index([page], tmp_path / "ix", rebuild=True)
    rewritten = ("2024年度法治政府建设工作报告\n发布日期:2025-03-28  来源:兴江乡人民政府\n"
                 "今年以来,兴江乡聚焦营商环境,清理规范性文件17件,公开权责清单,推行说明理由制度,"
                 "建立重大决策目录管理,完成行政执法案卷评查,聘请法律顾问两名,开展法律进乡村活动。\n")
    page.write_text(rewritten, encoding="utf-8")

    summary = build_index([page], tmp_path / "ix")

    assert [p for p, _ in summary.updated] == [str(page)] and not summary.separate
    assert len(doc_ids(tmp_path / "ix")) == 1 and hits(tmp_path / "ix", '"行政复议案件3件"') == 0


def test_editing_a_report_kept_apart_replaces_it_and_adds_no_second_copy(tmp_path):
    # A and B share body, title and year but not their texts: B has an id of its own, which holds its text.
    head = "2023年度法治政府建设工作报告\n发布日期:2024-03-01\n一、主要工作\n"
    write(tmp_path / "in", "A.txt", head + "全年开展法治讲座6次,办理行政复议案件3件,审查规范性文件12件。\n")
    b = write(tmp_path / "in", "B.txt", head + "推进综合行政执法改革,整合执法队伍5支,开展执法检查40次。\n")
    build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    before = doc_ids(tmp_path / "ix")
    assert len(before) == 2

    b.write_text(b.read_text(encoding="utf-8").replace("40次", "41次"), encoding="utf-8")
    summary = build_index([b], tmp_path / "ix")

    after = doc_ids(tmp_path / "ix")
    assert len(after) == 2 and hits(tmp_path / "ix", "执法检查") == 1
    assert any("replaces report" in what for _, what in summary.updated)


def test_a_government_sites_version_stays_over_a_later_copy_with_a_line_added_elsewhere(tmp_path):
    text = township_report("兴江乡", "全年办理行政复议案件3件")
    write(tmp_path / "in", "gov.txt", text)
    write(tmp_path / "in", "copy.txt", text + "本文转载自网络,更多范文请访问范文网。\n")
    write(tmp_path / "in", "manifest.csv", "path,url,fetched_at\ngov.txt,http://www.xingjiang.gov.cn/a.html,2024-01-01\n"
                                           "copy.txt,http://fanwen.example.com/1.html,2024-06-01\n")
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    [(path, what)] = summary.replaced
    assert path == str(tmp_path / "in" / "copy.txt") and "the government site's" in what
    assert list(doc_ids(tmp_path / "ix").values()) == [[str(tmp_path / "in" / "gov.txt")]]


def test_an_update_with_another_sites_copy_keeps_the_indexed_government_version(tmp_path):
    text = township_report("兴江乡", "全年办理行政复议案件3件")
    write(tmp_path / "in", "gov.txt", text)
    write(tmp_path / "in", "manifest.csv", "path,url,fetched_at\ngov.txt,http://www.xingjiang.gov.cn/a.html,2024-01-01\n")
    build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    write(tmp_path / "in2", "copy.txt", text + "本文转载自网络,更多范文请访问范文网。\n")
    write(tmp_path / "in2", "manifest.csv", "path,url,fetched_at\ncopy.txt,http://fanwen.example.com/1.html,2024-06-01\n")
    summary = build_index([tmp_path / "in2"], tmp_path / "ix")
    assert summary.reports == 0 and [p for p, _ in summary.replaced] == [str(tmp_path / "in2" / "copy.txt")]
    assert list(doc_ids(tmp_path / "ix").values()) == [[str(tmp_path / "in" / "gov.txt")]]


def test_a_copy_is_said_to_join_its_report_by_the_id_that_report_ends_with(tmp_path):
    # B shares body, title and year with A but not its text, so it gets an id of its own; B's copy joins that one.
    head = "2023年度法治政府建设工作报告\n发布日期:2024-03-01\n一、主要工作\n"
    write(tmp_path / "in", "A.txt", head + "全年开展法治讲座6次,办理行政复议案件3件,审查规范性文件12件。\n")
    write(tmp_path / "in", "B.txt", head + "推进综合行政执法改革,整合执法队伍5支,开展执法检查40次。\n")
    write(tmp_path / "in", "copy/B.txt", head + "推进综合行政执法改革,整合执法队伍5支,开展执法检查40次。\n")
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True)
    [(_, into)] = summary.merged
    [b_id] = [d for d, paths in doc_ids(tmp_path / "ix").items() if str(tmp_path / "in" / "B.txt") in paths]
    assert f"one report ({b_id})" in into
