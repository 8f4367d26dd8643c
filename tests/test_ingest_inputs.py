"""What is read, and what is said about what is not: folders, encodings, WARC records, manifests.

Every input here is a real file written in tmp_path; the CLI runs as a user runs it. The bar for
bad input: one line naming the file and the reason, a non-zero exit, never a traceback, never a
report dropped without a word.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchlib.index.indexing import build_index, open_index
from searchlib.ingest.inputs import find_inputs
from searchlib.ingest.source import PDF_MIME, read_text, read_utf8
from tests.formats import docx_bytes, pdf_bytes, write_warc

REPORT = "某县2023年法治政府建设工作报告\n全年办理行政复议案件5件。\n"

# Root reads every folder whatever its mode; without these two capabilities it meets the mode as a user does.
DROP_READ_POWERS = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                    "--bounding-set=-dac_override,-dac_read_search"]


def cli(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "searchlib", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "SEARCHLIB_DEBUG": ""})


def as_a_user(unreadable: Path) -> list[str]:
    """The command prefix under which ``unreadable`` really cannot be read; skips the test where there is none."""
    if not os.access(unreadable, os.R_OK):
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and no setpriv to drop root's power to read any folder")
    probe = subprocess.run([*DROP_READ_POWERS, "ls", str(unreadable)], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("running as root, and setpriv could not drop root's power to read any folder here")
    return DROP_READ_POWERS


# --- folders -----------------------------------------------------------------------------

@pytest.fixture
def locked_folder(tmp_path):
    """in/a.txt beside in/locked/b.txt, in/locked with mode 000."""
    folder = tmp_path / "in"
    locked = folder / "locked"
    locked.mkdir(parents=True)
    (folder / "a.txt").write_text(REPORT, encoding="utf-8")
    (locked / "b.txt").write_text(REPORT.replace("某县", "某区"), encoding="utf-8")
    locked.chmod(0)
    yield folder
    locked.chmod(0o755)


def test_a_folder_that_cannot_be_read_is_named_and_the_job_exits_1(locked_folder, tmp_path):
    prefix = as_a_user(locked_folder / "locked")
    run = cli("index", "--quiet", "--no-reuse", "--index", str(tmp_path / "ix"), str(locked_folder), prefix=prefix)
    assert run.returncode == 1, run.stderr
    assert f"skipped {locked_folder / 'locked'}/: permission denied" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith("indexed 1 report,")


def test_parse_names_an_unreadable_folder_too(locked_folder):
    prefix = as_a_user(locked_folder / "locked")
    run = cli("parse", str(locked_folder), prefix=prefix)
    assert run.returncode == 1 and len(run.stdout.splitlines()) == 1
    assert [line for line in run.stderr.splitlines() if "locked" in line] == [
        f"searchlib: skipped {locked_folder / 'locked'}/: permission denied: the folder is not read, "
        "none of its files is indexed"]


def test_a_folder_that_may_be_listed_but_not_entered_names_what_is_in_it(tmp_path):
    folder = tmp_path / "in"
    half = folder / "half"
    (half / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(REPORT, encoding="utf-8")
    (half / "b.txt").write_text(REPORT, encoding="utf-8")
    half.chmod(0o444)   # r without x: its names can be read, its files not opened
    try:
        prefix = as_a_user(half / "b.txt")
        run = cli("parse", str(folder), prefix=prefix)
    finally:
        half.chmod(0o755)
    assert run.returncode == 1, run.stderr
    assert f"skipped {half / 'b.txt'}: permission denied" in run.stderr
    assert f"skipped {half / 'sub'}/: permission denied" in run.stderr
    assert "cannot use" not in run.stderr and "Traceback" not in run.stderr


# --- encodings -------------------------------------------------------------------------------

UTF8_BOM = b"\xef\xbb\xbf"
GBK_REPORT = "某县2024年法治政府建设工作报告\n全年办理行政复议案件5件。\n"
BIG5_REPORT = "某縣2024年法治政府建設工作報告\n全年辦理行政復議案件5件。\n"


@pytest.mark.parametrize("encoding", ["gbk", "big5", "utf-8"])
def test_a_utf8_byte_order_mark_does_not_decide_the_encoding_of_what_follows(tmp_path, encoding):
    # Editors put the mark in front of GBK text too: read as UTF-8 because of it, the text was garbage.
    path = tmp_path / "report.txt"
    text = BIG5_REPORT if encoding == "big5" else GBK_REPORT
    path.write_bytes(UTF8_BOM + text.encode(encoding))
    run = cli("parse", str(path))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["title"] == text.splitlines()[0]
    assert report["sections"][0]["paragraphs"][0]["text"] == text.splitlines()[1]


def test_a_utf8_file_cut_in_the_middle_of_its_last_character_is_read_with_a_note(tmp_path):
    data = GBK_REPORT.encode("utf-8")
    cut = data[:data.index("件。".encode("utf-8")) + 2]   # two of the three bytes of 件
    path = tmp_path / "cut.txt"
    path.write_bytes(cut)
    run = cli("parse", str(path))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["title"] == "某县2024年法治政府建设工作报告"
    assert report["sections"][0]["paragraphs"][0]["text"] == "全年办理行政复议案件5\ufffd"
    assert run.stderr.splitlines() == [f"searchlib: note: {path}: read as UTF-8 with 2 byte(s) that are not UTF-8 "
                                       "replaced by U+FFFD (the file ends in the middle of a character: cut short?)"]


def test_a_few_damaged_bytes_in_a_utf8_report_are_replaced_and_counted(tmp_path, seed_path):
    text = seed_path("001").read_text(encoding="utf-8")
    middle = len(text) // 2
    # A stray byte that is never UTF-8, twice, between two characters in the middle of the report.
    data = (text[:middle] + "\x00" + text[middle:middle + 300] + "\x00" + text[middle + 300:]).encode("utf-8")
    data = data.replace(b"\x00", b"\xff")
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "damaged.txt"
    path.write_bytes(data)
    summary = build_index([tmp_path / "in"], tmp_path / "ix", rebuild=True, reuse=False)
    assert summary.reports == 1 and not summary.skipped
    assert summary.notes == [f"{path}: read as UTF-8 with 2 byte(s) that are not UTF-8 replaced by U+FFFD "
                             "(the text is damaged)"]
    read = read_text(path)
    assert read == text[:middle] + "\ufffd" + text[middle:middle + 300] + "\ufffd" + text[middle + 300:]


@pytest.mark.parametrize("encoding", ["gbk", "big5"])
def test_gbk_and_big5_are_never_taken_for_damaged_utf8(encoding, seed_path):
    # Short snippets are the hard case: a few characters whose GBK bytes happen to be well-formed UTF-8.
    text = seed_path("001").read_text(encoding="utf-8")
    snippets = [line for line in text.splitlines() if line.strip()]
    snippets += [text[start:start + size] for size in (3, 5, 10, 30) for start in range(0, len(text) - size, 37)]
    for snippet in snippets:
        data = snippet.encode(encoding, errors="ignore")
        reading = read_utf8(data)
        assert reading is None or reading.text == data.decode("utf-8"), snippet


# --- WARC files ------------------------------------------------------------------------------

PDF_LINES = ["渠县人民政府关于2022年度法治政府建设情况的报告",
             "2022年,渠县深入推进依法行政,全面建设法治政府,行政复议案件纠错率达到12%。"]
WORD_LINES = ["岳池县人民政府关于2022年度法治政府建设情况的报告",
              "2022年,岳池县司法行政工作稳步推进,全年办理法律援助案件300件。"]
WHEN = "2024-05-01T08:00:00Z"


def indexed_urls(index: Path) -> set[str]:
    with open_index(index).searcher() as s:
        return {f.get("url") for f in s.all_stored_fields()}


def test_pdf_and_word_attachments_are_recognised_whatever_type_they_are_sent_as(tmp_path):
    crawl = write_warc(tmp_path / "crawl.warc.gz", [
        # as application/octet-stream, at an address that names no type: the bytes tell
        ("http://www.quxian.gov.cn/download.jsp?id=17", "application/octet-stream", pdf_bytes(PDF_LINES), WHEN),
        # with no Content-Type at all
        ("http://www.yuechi.gov.cn/attach?id=3", None, docx_bytes(WORD_LINES), WHEN),
        # the name says it: a Content-Disposition filename (RFC 2231, Chinese), a .pdf address
        ("http://www.yuechi.gov.cn/get?f=9", "application/force-download",
         docx_bytes([line.replace("岳池县", "武胜县") for line in WORD_LINES]), WHEN,
         [("Content-Disposition", "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.docx")]),
        ("http://www.lz.gov.cn/files/2022.pdf", "application/x-download",
         pdf_bytes([PDF_LINES[0].replace("渠县", "邻水县"), PDF_LINES[1].replace("渠县", "邻水县")]), WHEN),
        ("http://www.quxian.gov.cn/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(200), WHEN),
    ])
    summary = build_index([crawl], tmp_path / "ix", rebuild=True, reuse=False)
    assert summary.reports == 4 and not summary.skipped
    assert indexed_urls(tmp_path / "ix") == {"http://www.quxian.gov.cn/download.jsp?id=17",
                                             "http://www.yuechi.gov.cn/attach?id=3",
                                             "http://www.yuechi.gov.cn/get?f=9",
                                             "http://www.lz.gov.cn/files/2022.pdf"}
    assert summary.notes[0] == (f"{crawl}: 4 HTML/PDF/Word response record(s) read; 6 other record(s) (requests, "
                                "metadata, images, scripts, errors) are not reports")


def test_an_attachment_named_pdf_that_is_not_one_is_named_not_dropped(tmp_path):
    crawl = write_warc(tmp_path / "crawl.warc.gz", [
        ("http://www.quxian.gov.cn/files/report.pdf", "application/octet-stream", pdf_bytes(PDF_LINES)[:400], WHEN),
        ("http://www.quxian.gov.cn/a.html", "text/html", f"<p>{PDF_LINES[0]}</p><p>{PDF_LINES[1]}</p>".encode(), WHEN),
    ])
    run = cli("index", "--quiet", "--no-reuse", "--index", str(tmp_path / "ix"), str(crawl))
    assert run.returncode == 1, run.stderr
    skipped = [line for line in run.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and skipped[0].startswith(f"searchlib: skipped {crawl}#") and "PDF" in skipped[0]


def test_an_html_page_at_a_pdf_address_is_read_as_the_page_it_says_it_is(tmp_path):
    # Sites answer a moved .pdf link with an HTML page: its Content-Type, not the address, says what it is.
    page = f"<html><body><h1>{PDF_LINES[0]}</h1><p>{PDF_LINES[1]}</p></body></html>"
    crawl = write_warc(tmp_path / "crawl.warc.gz", [
        ("http://www.quxian.gov.cn/files/report.pdf", "text/html; charset=utf-8", page.encode("utf-8"), WHEN)])
    run = cli("parse", str(crawl))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["title"] == PDF_LINES[0]


def test_a_warc_page_of_damaged_utf8_is_read_with_a_note_naming_the_record(tmp_path):
    page = f"<html><body><h1>{PDF_LINES[0]}</h1><p>{PDF_LINES[1]}</p></body></html>".encode("utf-8")
    damaged = page.replace("推进".encode("utf-8"), "推进".encode("utf-8")[:-1])   # 进 loses its last byte
    crawl = write_warc(tmp_path / "crawl.warc.gz", [("http://www.quxian.gov.cn/a.html", "text/html", damaged, WHEN)])
    found = find_inputs([crawl])
    assert len(found.items) == 1
    assert f"{found.items[0].label}: read as UTF-8 with 2 byte(s) that are not UTF-8 replaced by U+FFFD " \
           "(the text is damaged)" in found.notes


def test_a_record_without_a_target_uri_is_read_without_a_url_and_the_job_goes_on(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(REPORT, encoding="utf-8")
    page = f"<html><body><h1>{PDF_LINES[0]}</h1><p>{PDF_LINES[1]}</p></body></html>"
    write_warc(folder / "crawl.warc.gz", [
        ("http://www.quxian.gov.cn/a.pdf", PDF_MIME, pdf_bytes([WORD_LINES[0], WORD_LINES[1]]), WHEN),
        (None, "text/html; charset=utf-8", page.encode("utf-8"), WHEN),
    ], extra_request=False)
    run = cli("index", "--quiet", "--no-reuse", "--index", str(tmp_path / "ix"), str(folder))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("indexed 3 reports")
    assert f"note: {folder / 'crawl.warc.gz'}: 1 response record(s) have no WARC-Target-URI: read without a URL" \
        in run.stderr
    assert indexed_urls(tmp_path / "ix") == {None, "http://www.quxian.gov.cn/a.pdf"}


def test_a_file_of_random_bytes_named_warc_gets_one_short_readable_reason(tmp_path):
    import random

    path = tmp_path / "noise.warc"
    path.write_bytes(bytes(random.Random(5).randrange(256) for _ in range(3000)))
    run = cli("parse", str(path))
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"searchlib: skipped {path}: not a WARC file (it does not begin with a WARC/1.x record header)"]


def test_a_warc_file_cut_short_keeps_the_records_before_the_cut_and_names_the_rest(tmp_path):
    pages = [f"<html><body><h1>{PDF_LINES[0].replace('渠县', county)}</h1><p>{PDF_LINES[1].replace('渠县', county)}"
             "</p></body></html>" for county in ("渠县", "邻水县", "大竹县")]
    whole = write_warc(tmp_path / "whole.warc.gz",
                       [(f"http://www.example.gov.cn/{n}.html", "text/html", page.encode("utf-8"), WHEN)
                        for n, page in enumerate(pages)], extra_request=False)
    cut = tmp_path / "in" / "cut.warc.gz"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[:-60])   # the last gzip member loses its end
    summary = build_index([cut.parent], tmp_path / "ix", rebuild=True, reuse=False)
    assert summary.reports == 2
    assert indexed_urls(tmp_path / "ix") == {"http://www.example.gov.cn/0.html", "http://www.example.gov.cn/1.html"}
    assert len(summary.skipped) == 1 and summary.skipped[0][0] == str(cut)
    assert summary.skipped[0][1].startswith("damaged WARC file after 2 record(s) (")
    assert summary.skipped[0][1].endswith("): the rest is not read") and len(summary.skipped[0][1]) < 200


# --- manifests -------------------------------------------------------------------------------

@pytest.fixture
def reports_folder(tmp_path) -> Path:
    """in/a.txt ... in/d.txt, four different reports."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n, county in enumerate(("渠县", "邻水县", "大竹县", "岳池县")):
        (folder / f"{'abcd'[n]}.txt").write_text(REPORT.replace("某县", county), encoding="utf-8")
    return folder


def provenance(found) -> dict[str, tuple[str | None, str | None]]:
    return {Path(item.path).name: (item.url, item.fetched_at) for item in found.items}


def test_manifest_values_that_are_not_urls_or_dates_are_not_stored_and_each_is_named(reports_folder):
    (reports_folder / "manifest.csv").write_text(
        "path,url,fetched_at\n"
        "a.txt,not a url,2024-05-01\n"
        "b.txt,http://www.lss.gov.cn/b.html,yesterday\n"
        "c.txt,ftp://www.dz.gov.cn/c.html,2023-13-45\n"
        "d.txt,https://www.yuechi.gov.cn/d.html,2024/5/1 8:30\n", encoding="utf-8")
    found = find_inputs([reports_folder])
    assert provenance(found) == {"a.txt": (None, "2024-05-01"), "b.txt": ("http://www.lss.gov.cn/b.html", None),
                                 "c.txt": (None, None),
                                 "d.txt": ("https://www.yuechi.gov.cn/d.html", "2024-05-01T08:30:00")}
    manifest = reports_folder / "manifest.csv"
    assert found.notes == [
        f"{manifest}: 2 row(s) with a url that is not an http(s) URL, not stored: row 2 ('not a url'), "
        "row 4 ('ftp://www.dz.gov.cn/c.html')",
        f"{manifest}: 2 row(s) with a fetched_at that is not a date, not stored: row 3 ('yesterday'), "
        "row 4 ('2023-13-45')"]


def test_a_manifest_row_for_a_missing_file_and_a_second_row_for_one_file_are_named(reports_folder):
    (reports_folder / "manifest.csv").write_text(
        "path,url\n"
        "a.txt,http://www.qx.gov.cn/a.html\n"
        "gone.txt,http://www.qx.gov.cn/gone.html\n"
        "\n"
        "./a.txt,http://www.qx.gov.cn/a-again.html\n", encoding="utf-8")
    found = find_inputs([reports_folder])
    assert provenance(found)["a.txt"] == ("http://www.qx.gov.cn/a.html", None)   # the first row is kept
    manifest = reports_folder / "manifest.csv"
    assert found.notes == [
        f"{manifest}: 1 row(s) with a path that names no file, nothing to give a URL to: row 3 ('gone.txt')",
        f"{manifest}: 1 row(s) with the path of an earlier row, the first row is kept: row 5 ('./a.txt', as row 2)"]


def test_the_notes_on_a_manifest_reach_the_index_summary(reports_folder, tmp_path):
    (reports_folder / "manifest.csv").write_text("path,url\na.txt,www.qx.gov.cn/a.html\n", encoding="utf-8")
    run = cli("index", "--quiet", "--no-reuse", "--index", str(tmp_path / "ix"), str(reports_folder))
    assert run.returncode == 0, run.stderr
    assert (f"searchlib: note: {reports_folder / 'manifest.csv'}: 1 row(s) with a url that is not an http(s) URL, "
            "not stored: row 2 ('www.qx.gov.cn/a.html')") in run.stderr.splitlines()


@pytest.mark.parametrize("encoding,separator", [("gbk", ","), ("utf-16", "\t"), ("utf-16", ","), ("utf-8-sig", ",")])
def test_a_manifest_saved_by_excel_is_read_in_its_encoding(tmp_path, encoding, separator):
    # Excel writes CSV in the system code page (GBK in China), "Unicode text" as UTF-16 with tabs,
    # "CSV UTF-8" with a byte-order mark.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "报告.txt").write_text(REPORT, encoding="utf-8")
    (folder / "渠县2023.txt").write_text(REPORT.replace("某县", "渠县"), encoding="utf-8")
    rows = [["path", "url", "fetched_at"], ["in/报告.txt", "http://www.example.gov.cn/1.html", "2024/5/1"],
            ["in/渠县2023.txt", "http://www.quxian.gov.cn/2.html", "2024/5/2"]]
    (tmp_path / "list.csv").write_bytes("\r\n".join(separator.join(row) for row in rows).encode(encoding))
    found = find_inputs([folder], manifest=tmp_path / "list.csv")
    assert found.notes == []
    assert provenance(found) == {"报告.txt": ("http://www.example.gov.cn/1.html", "2024-05-01"),
                                 "渠县2023.txt": ("http://www.quxian.gov.cn/2.html", "2024-05-02")}


def test_a_manifest_that_is_not_text_is_one_clear_line(tmp_path):
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "list.csv").write_bytes(bytes(range(256)) * 8)
    run = cli("parse", "--manifest", str(tmp_path / "list.csv"), str(tmp_path / "a.txt"))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"searchlib: {tmp_path / 'list.csv'}: cannot read the manifest "
                                       "(binary file, not text or HTML)"]


def test_a_short_gbk_manifest_is_read_in_the_encoding_that_names_its_files(tmp_path):
    # Two GBK characters (报告) pass for Big5 (惆豢) to charset detection; the file they name settles it.
    (tmp_path / "报告.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "manifest.csv").write_bytes("path,url\n报告.txt,http://www.example.gov.cn/1.html\n".encode("gbk"))
    found = find_inputs([tmp_path])
    assert found.notes == []
    assert provenance(found) == {"报告.txt": ("http://www.example.gov.cn/1.html", None)}
