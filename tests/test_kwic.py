"""Concordance: every occurrence in context, counted by hand on tests/corpus_reuse (see EXPECTED.md)."""
import csv
import io
import json

import pytest

from searchlib.research import kwic
from searchlib.cli import main
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest

TEMPLATE_PID_SUFFIX = "-c68b196f"   # the template paragraph has the same text digest in every report


def rows(reuse_library, q, **kw):
    params = {k: kw.pop(k) for k in list(kw) if k in ("year", "province", "city", "county", "section")}
    return kwic.concordance(reuse_library, SearchRequest(q=q, **params), **kw)


def test_every_occurrence_is_a_row_not_every_paragraph(reuse_library):
    # 行政复议 occurs 24 times in 9 paragraphs of all 6 reports (EXPECTED.md).
    found = rows(reuse_library, '"行政复议"')
    assert len(found) == 24
    assert len({r.pid for r in found}) == 9
    assert len({r.doc_id for r in found}) == 6


def test_the_match_is_the_stored_text_at_its_offset_and_context_is_bounded_by_width(reuse_library):
    for row in rows(reuse_library, "行政复议", width=6):
        text = reuse_library.paragraph(row.pid)["text"]
        assert row.match == "行政复议"
        assert text[row.start:row.start + len(row.match)] == row.match
        assert row.left == text[max(0, row.start - 6):row.start]
        assert row.right == text[row.start + 4:row.start + 10]
        assert row.url == f"/p/{row.pid}"


def test_filters_narrow_the_concordance_like_search(reuse_library):
    # The 2020 reports (锦江区, 涪城区) hold 6 + 5 occurrences.
    found = rows(reuse_library, "行政复议", year="2020")
    assert len(found) == 11
    assert {r.year for r in found} == {2020}
    assert len(rows(reuse_library, "行政复议 province:浙江")) == 9
    assert len(rows(reuse_library, "行政复议", province="浙江", section="plans")) == 2


def test_left_sort_reads_the_left_context_backwards(reuse_library):
    found = rows(reuse_library, '"行政复议"', width=4, sort="left")
    keys = [r.left[::-1] for r in found]
    assert keys == sorted(keys)
    # Rows whose match opens the paragraph have no left context and come first.
    assert found[0].left == ""


def test_right_sort_orders_by_what_follows(reuse_library):
    found = rows(reuse_library, '"行政复议"', width=4, sort="right")
    assert [r.right for r in found] == sorted(r.right for r in found)


def test_year_sort_is_chronological_and_region_sort_groups_places(reuse_library):
    by_year = [r.year for r in rows(reuse_library, '"行政复议"', sort="year")]
    assert by_year == sorted(by_year) and by_year[0] == 2019 and by_year[-1] == 2023
    by_region = [r.province for r in rows(reuse_library, '"行政复议"', sort="region")]
    assert by_region == ["四川省"] * 13 + ["江苏省"] * 2 + ["浙江省"] * 9


def test_limit_cuts_after_sorting(reuse_library):
    everything = rows(reuse_library, '"行政复议"', sort="year")
    assert rows(reuse_library, '"行政复议"', sort="year", limit=5) == everything[:5]


def test_a_query_of_filters_only_has_nothing_to_show(reuse_library):
    assert rows(reuse_library, "year:2020") == []


def test_bad_sort_and_width_are_refused(reuse_library):
    with pytest.raises(QueryError):
        rows(reuse_library, "行政复议", sort="alphabet")
    with pytest.raises(QueryError):
        rows(reuse_library, "行政复议", width=-1)


def test_csv_export_has_a_header_and_one_line_per_occurrence(reuse_library):
    found = rows(reuse_library, '"出庭应诉率"')
    assert len(found) == 1
    text = kwic.to_csv(found, base_url="http://x.test/")
    assert text.startswith("\ufeff") and text.endswith("\r\n"), "BOM and CRLF, like every export"
    parsed = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert len(parsed) == 1
    assert parsed[0]["match"] == "出庭应诉率"
    assert parsed[0]["left"] == "行政机关负责人"
    assert parsed[0]["province"] == "四川省" and parsed[0]["year"] == "2020"
    assert parsed[0]["url"] == f"http://x.test/p/{found[0].pid}"


def test_terminal_lines_align_the_matches_in_one_column(reuse_library):
    found = rows(reuse_library, '"行政复议"', width=8)
    lines = kwic.format_lines(found, 8)
    columns = {kwic.display_width(line[:line.index("«")]) for line in lines}
    assert len(columns) == 1


def test_cli_kwic_json_and_csv(reuse_index_dir, capsys):
    assert main(["kwic", '"行政复议"', "--index", str(reuse_index_dir), "--year", "2021", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 9 and len(data["rows"]) == 9
    assert main(["kwic", "行政复议", "--index", str(reuse_index_dir), "--csv", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.split("\r\n")
    assert lines[0].startswith("\ufeffpid,doc_id,title,year") and len(lines) == 4 + 1 and lines[-1] == ""


def test_cli_kwic_prints_aligned_rows(reuse_index_dir, capsys):
    assert main(["kwic", "出庭应诉率", "--index", str(reuse_index_dir), "--width", "5"]) == 0
    out = capsys.readouterr().out
    assert "负责人 «出庭应诉率» 仍需提高。" in out
    assert "/p/" in out


def test_a_same_sentence_query_lists_only_the_sentences_that_hold_it(library):
    # A paragraph matches 行政复议 /s 纠错 by one sentence; its other sentences with 行政复议 alone are not lines.
    from searchlib.analysis import SENTENCE_END, normalize
    found = kwic.concordance(library, SearchRequest(q="行政复议 /s 纠错"))
    assert found
    for row in found:
        sentence_left = SENTENCE_END.split(row.left)[-1]
        sentence_right = SENTENCE_END.split(row.right)[0]
        sentence = normalize(sentence_left + row.match + sentence_right)
        assert "纠错" in sentence and "行政复议" in sentence or len(row.left) >= 20 or len(row.right) >= 20, row
    every_word = kwic.concordance(library, SearchRequest(q="行政复议 纠错"))
    assert len(found) < len(every_word)
