"""One CSV writer for the web and the command line, and one paragraph numbering (issue 21, item 7).

Excel on Windows needs the UTF-8 byte-order mark to read Chinese, and writes CRLF itself; a cell
that starts like a formula must stay text. The CLI's CSV is the web's, byte for byte.
"""
from __future__ import annotations

import csv
import io
import re

import pytest

from searchlib.cli import main
from searchlib.export import csv_text, paragraph_number

WEB_ROOT = "http://127.0.0.1:8000/"   # the app's configured base URL (never the request's Host)


def cli_bytes(capsysbinary, *argv) -> bytes:
    assert main(list(argv)) == 0
    return capsysbinary.readouterr().out


def check_spreadsheet_csv(raw: bytes) -> list[dict]:
    assert raw.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, or Excel shows mojibake"
    body = raw[3:]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert body.endswith(b"\r\n") and body.count(b"\r\n") >= len(rows) + 1, "every record ends in CRLF"
    return rows


def test_the_writer_gives_bom_crlf_and_formula_safe_cells():
    text = csv_text(["a", "b"], [{"a": "=1+1", "b": "法治"}, {"a": None, "b": -2}])
    assert text == "\ufeffa,b\r\n'=1+1,法治\r\n,'-2\r\n"


@pytest.mark.parametrize("command, web", [
    (["stats", '"行政复议"', "出庭应诉"], '/stats.csv?q="行政复议"&q=出庭应诉'),
    (["stats", "行政复议", "--by", "province", "--province", "四川"], "/stats.csv?q=行政复议&by=province&province=四川"),
    (["kwic", "行政复议", "--base-url", WEB_ROOT], "/kwic.csv?q=行政复议"),
    (["kwic", "行政复议", "--year", "2020", "--sort", "right", "--base-url", WEB_ROOT],
     "/kwic.csv?q=行政复议&year=2020&sort=right"),
    (["search", "行政复议", "--paragraphs", "--limit", "1000", "--base-url", WEB_ROOT], "/export.csv?q=行政复议"),
    (["search", "-出庭应诉 行政复议", "--paragraphs", "--limit", "1000", "--base-url", WEB_ROOT],
     "/export.csv?q=-出庭应诉 行政复议"),
    (["search", "行政复议", "--group", "--limit", "1000", "--base-url", WEB_ROOT], "/export-reports.csv?q=行政复议"),
])
def test_the_cli_csv_is_the_webs_byte_for_byte(reuse_index_dir, reuse_client, capsysbinary, command, web):
    printed = cli_bytes(capsysbinary, *command, "--csv", "--index", str(reuse_index_dir))
    served = reuse_client.get(web).get_data()
    assert printed == served
    assert len(check_spreadsheet_csv(printed)) > 0


def test_search_csv_has_the_web_exports_columns_and_absolute_permalinks(reuse_index_dir, capsysbinary):
    rows = check_spreadsheet_csv(cli_bytes(capsysbinary, "search", '"出庭应诉率"', "--paragraphs", "--csv", "--base-url",
                                           "http://example.test/", "--index", str(reuse_index_dir)))
    assert rows and all(r["permalink"] == f"http://example.test/p/{r['pid']}" for r in rows)


def test_a_formula_like_query_stays_text_in_the_cli_csv_too(reuse_index_dir, capsysbinary):
    rows = check_spreadsheet_csv(cli_bytes(capsysbinary, "stats", "-出庭应诉 行政复议", "--csv",
                                           "--index", str(reuse_index_dir)))
    assert rows[0]["query"] == "'-出庭应诉 行政复议"


def test_reuse_numbers_paragraphs_as_the_web_does(reuse_index_dir, reuse_library, reuse_page, capsys):
    from tests.test_reuse import WUHOU as wuhou
    assert main(["reuse", wuhou, "--index", str(reuse_index_dir)]) == 0
    printed = re.findall(r"^¶(\d+) /p/(\S+)", capsys.readouterr().out, flags=re.M)
    assert printed, "the template paragraph of 武侯 appears elsewhere"
    _, report = reuse_page(f"/d/{wuhou}")
    on_page = {a.attributes["href"].split("?")[0].rsplit("/", 1)[1]: a.text().lstrip("¶")
               for a in report.css("a.para-link")}
    for number, pid in printed:
        assert on_page[pid] == number
        assert int(number) == paragraph_number(reuse_library.paragraph(pid)["position"])
    assert "§" not in "".join(n for n, _ in printed)
