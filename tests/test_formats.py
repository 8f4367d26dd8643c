"""PDF, Word and WARC input, manifests, and files that are not reports (issue 23).

Every file here is made by the test with the real libraries (tests/formats.py); the reports
are parsed and indexed for real.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from searchlib.index.indexing import build_index, open_index
from searchlib.ingest.inputs import find_inputs
from searchlib.ingest.report import parse_file
from searchlib.ingest.source import MAX_REPORT_CHARS, SourceError, read_text, text_of
from tests.formats import docx_bytes, pdf_bytes, scanned_pdf_bytes, write_warc

LINES = ["渠县人民政府关于2022年度法治政府建设情况的报告",
         "2022年,渠县深入推进依法行政,全面建设法治政府,行政复议案件纠错率达到12%。",
         "一、主要工作",
         "(一)加强党的领导。县委常委会专题研究法治政府建设工作4次,出庭应诉率100%。",
         "二、存在的问题",
         "基层执法人员的法治素养还需提高,部分乡镇合法性审查力量薄弱。"]
HTML = ("<html><head><title>x</title></head><body><div class=nav>首页 | 政务公开</div>"
        "<h1>岳池县人民政府关于2021年法治政府建设情况的报告</h1><p>发布日期:2022-03-01</p>"
        "<p>2021年,岳池县坚持依法行政,行政复议决定纠错12件,普法宣传覆盖全县。</p>"
        "<p>一、主要工作</p><p>(一)健全依法决策机制。县政府常务会议审议重大事项前均经合法性审查。</p></body></html>")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchlib", *args], capture_output=True, text=True, timeout=120)


# --- PDF and Word ------------------------------------------------------------------

def test_a_pdf_report_is_read_from_its_text_layer(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(LINES))
    report = parse_file(path)
    assert report.title == LINES[0] and report.report_year == 2022 and report.county == "渠县"
    texts = [p.text for _, _, p in report.paragraphs()]
    assert any("纠错率达到12%" in t for t in texts) and any("出庭应诉率100%" in t for t in texts)


def test_a_scanned_pdf_is_named_as_having_no_text_layer_and_never_indexed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf_bytes(pages=2))
    (folder / "report.pdf").write_bytes(pdf_bytes(LINES))
    with pytest.raises(SourceError, match="no text layer"):
        read_text(folder / "scan.pdf")
    summary = build_index([folder], tmp_path / "ix", rebuild=True)
    assert summary.reports == 1
    assert summary.skipped == [(str(folder / "scan.pdf"), summary.skipped[0][1])]
    assert summary.skipped[0][1].startswith("no text layer (2 page(s)")


def test_a_damaged_pdf_gets_one_clear_reason(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(pdf_bytes(LINES)[:300])
    with pytest.raises(SourceError, match="PDF"):
        read_text(path)


def test_a_word_report_is_read_with_its_paragraphs_and_tables(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(docx_bytes(LINES, table=[["指标", "数值"], ["行政复议纠错率", "12%"]]))
    report = parse_file(path)
    assert report.title == LINES[0] and report.county == "渠县"
    texts = "\n".join(p.text for _, _, p in report.paragraphs())
    assert "出庭应诉率100%" in texts and "行政复议纠错率" in texts


# --- text files the reader used to refuse ------------------------------------------------

def test_utf16le_without_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("\n".join(LINES).encode("utf-16-le"))
    assert read_text(path).splitlines()[0] == LINES[0]
    path.write_bytes("\n".join(LINES).encode("utf-16-be"))
    assert read_text(path).splitlines()[0] == LINES[0]


def test_a_real_binary_file_is_still_refused(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SourceError, match="binary"):
        read_text(path)


def test_a_report_past_the_size_limit_is_named_with_the_limit(tmp_path):
    path = tmp_path / "dump.txt"
    paragraph = "2022年,渠县深入推进依法行政,全面建设法治政府,行政复议案件纠错率达到12%。\n"
    path.write_text(LINES[0] + "\n" + paragraph * (MAX_REPORT_CHARS // len(paragraph) + 10), encoding="utf-8")
    with pytest.raises(SourceError, match=r"too long for one report \(1,0\d\d,\d{3} characters of text; "
                                          r"the limit is 1,000,000\)"):
        read_text(path)


# --- WARC --------------------------------------------------------------------------

@pytest.fixture
def crawl(tmp_path) -> Path:
    return write_warc(tmp_path / "crawl.warc.gz", [
        ("http://www.yuechi.gov.cn/zwgk/2022/fzzf.html", "text/html; charset=utf-8", HTML.encode("utf-8"),
         "2024-05-01T08:00:00Z"),
        ("http://www.quxian.gov.cn/uploads/2023/report.pdf", "application/pdf", pdf_bytes(LINES),
         "2024-05-01T08:01:00Z"),
        ("http://sfj.example.gov.cn/files/baogao.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         docx_bytes([line.replace("渠县", "岳池县") for line in LINES[:1]] + ["2022年,岳池县司法行政工作稳步推进,"
                                                                              "全年办理法律援助案件300件。"]),
         "2024-05-02T09:30:00Z"),
        ("http://www.quxian.gov.cn/style.css", "text/css", b"body{color:red}", "2024-05-01T08:02:00Z"),
    ])


def test_a_warc_file_indexes_its_html_pdf_and_word_records_with_their_urls(crawl, tmp_path):
    summary = build_index([crawl], tmp_path / "ix", rebuild=True)
    assert summary.reports == 3 and not summary.skipped
    assert summary.notes == [f"{crawl}: 3 HTML/PDF/Word response record(s) read; 5 other record(s) (requests, "
                             "metadata, images, scripts, errors) are not reports"]
    with open_index(tmp_path / "ix").searcher() as s:
        reports = {f["url"]: f for f in s.all_stored_fields()}
    assert set(reports) == {"http://www.yuechi.gov.cn/zwgk/2022/fzzf.html",
                            "http://www.quxian.gov.cn/uploads/2023/report.pdf",
                            "http://sfj.example.gov.cn/files/baogao.docx"}
    pdf = reports["http://www.quxian.gov.cn/uploads/2023/report.pdf"]
    assert pdf["fetched_at"] == "2024-05-01T08:01:00Z" and pdf["county"] == "渠县"
    assert pdf["source"].startswith(str(crawl) + "#")


def test_parse_reads_a_warc_file_too(crawl):
    run = run_cli("parse", str(crawl))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["url"] for r in rows] == ["http://www.yuechi.gov.cn/zwgk/2022/fzzf.html",
                                        "http://www.quxian.gov.cn/uploads/2023/report.pdf",
                                        "http://sfj.example.gov.cn/files/baogao.docx"]
    assert rows[0]["title"] == "岳池县人民政府关于2021年法治政府建设情况的报告"


def test_a_file_that_is_not_a_warc_gets_a_clear_reason(tmp_path):
    bad = tmp_path / "broken.warc.gz"
    bad.write_bytes(b"this is not a web archive")
    found = find_inputs([bad])
    assert found.items == [] and found.problems and "WARC" in found.problems[0][1]


# --- manifests ------------------------------------------------------------------------

def test_a_manifest_in_the_folder_gives_each_file_its_url_and_is_not_a_report(tmp_path):
    folder = tmp_path / "in"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "a.html").write_text(HTML, encoding="utf-8")
    (folder / "b.pdf").write_bytes(pdf_bytes(LINES))
    (folder / "manifest.csv").write_text("path,url,fetched_at\n"
                                         "pages/a.html,http://www.yuechi.gov.cn/a.html,2024-05-01\n"
                                         "b.pdf,http://www.quxian.gov.cn/b.pdf,\n", encoding="utf-8")
    summary = build_index([folder], tmp_path / "ix", rebuild=True)
    assert summary.reports == 2 and summary.inputs == 2 and not summary.skipped
    with open_index(tmp_path / "ix").searcher() as s:
        urls = {(f["url"], f.get("fetched_at")) for f in s.all_stored_fields()}
    assert urls == {("http://www.yuechi.gov.cn/a.html", "2024-05-01"), ("http://www.quxian.gov.cn/b.pdf", None)}


def test_parse_and_index_take_a_manifest_file(tmp_path):
    page = tmp_path / "files" / "a.html"
    page.parent.mkdir()
    page.write_text(HTML, encoding="utf-8")
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,url,fetched_at\nfiles/a.html,http://www.yuechi.gov.cn/a.html,2024-05-01T10:00:00\n",
                        encoding="utf-8")
    run = run_cli("parse", "--manifest", str(manifest), str(page))
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["url"] == "http://www.yuechi.gov.cn/a.html" and row["fetched_at"] == "2024-05-01T10:00:00"
    run = run_cli("index", "--quiet", "--index", str(tmp_path / "ix"), "--manifest", str(manifest), str(page))
    assert run.returncode == 0, run.stderr
    with open_index(tmp_path / "ix").searcher() as s:
        assert {f["url"] for f in s.all_stored_fields()} == {"http://www.yuechi.gov.cn/a.html"}


def test_a_manifest_without_the_columns_is_one_clear_line(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,link\na.html,http://x\n", encoding="utf-8")
    run = run_cli("parse", "--manifest", str(manifest), str(tmp_path))
    assert run.returncode == 2 and "path,url" in run.stderr and "Traceback" not in run.stderr


def test_damaged_pdfs_are_named_one_line_each_and_say_nothing_else(capfd):
    import random

    data = pdf_bytes(LINES)
    rng = random.Random(23)
    outcomes = set()
    for i in range(60):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 30)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged = bytes(damaged[:rng.randrange(8, len(damaged))]) if i % 2 else bytes(damaged)
        try:
            text_of(damaged, "damaged.pdf")
            outcomes.add("read")
        except SourceError as exc:
            outcomes.add("named")
            assert "\n" not in exc.reason
    assert "named" in outcomes
    out, err = capfd.readouterr()
    assert out == "" and err == "", "pypdf's repair log stays off the terminal"


def test_a_warc_with_two_captures_of_one_page_keeps_the_newer_and_names_the_older(tmp_path):
    # The second capture's body was rewritten (far from near-identical): still the same page.
    old = HTML
    body_start = HTML.index("<p>2021年")
    new = HTML[:body_start] + ("<p>今年以来,岳池县聚焦营商环境,清理规范性文件17件,公开权责清单,推行说明理由制度,"
                               "建立重大决策目录管理,完成行政执法案卷评查,聘请法律顾问两名。</p></body></html>")
    crawl = write_warc(tmp_path / "two.warc.gz", [
        ("http://www.yuechi.gov.cn/a.html", "text/html", old.encode("utf-8"), "2024-05-01T08:00:00Z"),
        ("http://www.yuechi.gov.cn/a.html", "text/html", new.encode("utf-8"), "2024-06-01T08:00:00Z"),
    ])
    summary = build_index([crawl], tmp_path / "ix", rebuild=True)
    assert summary.reports == 1 and len(summary.replaced) == 1
    with open_index(tmp_path / "ix").searcher() as s:
        assert {f["fetched_at"] for f in s.all_stored_fields()} == {"2024-06-01T08:00:00Z"}
