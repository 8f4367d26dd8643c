"""Similar passages over the constructed corpus (tests/corpus_tools/).

Hand counts. t1 (蜀山 2020) and t2 (梁溪 2021) hold the paragraph
  (五)基层治理。坚持和发展新时代“枫桥经验”，推动矛盾纠纷就地化解，全区调解纠纷1200余件。   (t1)
  (一)基层治理。坚持和发展新时代“枫桥经验”，推动矛盾纠纷就地化解，全区调解纠纷1500余件。   (t2)
47 characters each, so 43 five-character shingles. They differ in 五/一 (character 2: 2 shingles hold
it) and 2/5 (5 shingles hold it): 36 shared, Jaccard 36 / (43 + 43 - 36) = 0.72. A copy of t1's in
traditional characters with 1300 for 1200 differs from t1 in 5 shingles (38 / 48 = 0.7917) and from
t2 in 7 (36 / 50 = 0.72).
"""
from __future__ import annotations

import csv
import io
import json

import pytest

from searchlib.research import similar
from searchlib.cli import main
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest

EDITED = "(五)基層治理。堅持和發展新時代“楓橋經驗”，推動矛盾糾紛就地化解，全區調解糾紛1300餘件。"


def test_a_lightly_edited_copy_in_traditional_characters_finds_both(tools_library):
    result = similar.similar(tools_library, SearchRequest(), text=EDITED)
    assert [(p.place, p.year, p.similarity) for p in result.passages] == [
        ("安徽省合肥市蜀山区", 2020, pytest.approx(38 / 48, abs=1e-4)), ("江苏省无锡市梁溪区", 2021, 0.72)]
    # the candidates were found by the text's rarest words, each of them in the (normalized) text
    assert len(result.words) == similar.CANDIDATE_WORDS
    assert all(w in "(五)基层治理。坚持和发展新时代“枫桥经验”，推动矛盾纠纷就地化解，全区调解纠纷1300余件。" for w in result.words)


def test_by_pid_leaves_the_paragraph_itself_out_and_orders_earliest_first(tools_library):
    first = similar.similar(tools_library, SearchRequest(), text=EDITED).passages[0]
    by_pid = similar.similar(tools_library, SearchRequest(), pid=first.pid)
    assert [(p.place, p.similarity) for p in by_pid.passages] == [("江苏省无锡市梁溪区", 0.72)]
    both = similar.similar(tools_library, SearchRequest(), text=EDITED, order="earliest", min_similarity=0.5)
    assert [p.year for p in both.passages] == [2020, 2021]


def test_filters_threshold_and_containment(tools_library):
    only_jiangsu = similar.similar(tools_library, SearchRequest(province="江苏"), text=EDITED)
    assert [p.place for p in only_jiangsu.passages] == ["江苏省无锡市梁溪区"]
    assert similar.similar(tools_library, SearchRequest(), text=EDITED, min_similarity=0.75).passages[0].year == 2020
    # Above 0.8 Jaccard neither is, but each holds >= 80% of the copy's shingles (38 and 36 of 43).
    strict = similar.similar(tools_library, SearchRequest(), text=EDITED, min_similarity=0.8)
    assert [p.containment for p in strict.passages] == [round(38 / 43, 4), round(36 / 43, 4)]
    # One sentence of the paragraph: Jaccard is low (the paragraph is longer), but all of it is contained.
    sentence = "坚持和发展新时代“枫桥经验”，推动矛盾纠纷就地化解"
    contained = similar.similar(tools_library, SearchRequest(), text=sentence)
    assert [(p.containment, p.similarity < 0.5) for p in contained.passages] == [(1.0, True), (1.0, True)]


def test_what_cannot_be_compared_says_why(tools_library):
    with pytest.raises(QueryError):
        similar.similar(tools_library, SearchRequest(), text="  ")
    with pytest.raises(QueryError):
        similar.similar(tools_library, SearchRequest(), pid="nope-nope")
    with pytest.raises(QueryError):
        similar.similar(tools_library, SearchRequest(), text="字" * (similar.MAX_TEXT_CHARS + 1))


def test_cli_and_web_twins(tools_index_dir, tools_client, capsys, tmp_path):
    passage = tmp_path / "p.txt"
    passage.write_text(EDITED, encoding="utf-8")
    assert main(["similar", "--file", str(passage), "--index", str(tools_index_dir), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = tools_client.post("/api/similar", data={"text": EDITED}).get_json()
    assert api["passages"] == cli["passages"] and len(api["passages"]) == 2
    raw = tools_client.get("/similar.csv", query_string={"text": EDITED}).data
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["similarity"] for r in rows] == ["0.7917", "0.72"]
    html = tools_client.get("/similar", query_string={"text": EDITED}).get_data(as_text=True)
    assert html.count("data-passage=") == 2
    assert tools_client.get("/api/similar").status_code == 400
    assert tools_client.get("/similar?pid=nope").status_code == 400
    assert tools_client.get("/similar?text=x&min=2").status_code == 400
    assert main(["similar", "--pid", "nope", "--index", str(tools_index_dir)]) == 2


def test_a_paragraph_holding_a_short_passage_is_counted_as_holding_it_not_as_similar(client, index_dir, reports,
                                                                                     capsys):
    # Its Jaccard is low by nature (2%): the page must not count it as "≥ 30% similar", and the CLI says it holds it.
    from searchlib.cli import main
    paragraph = next(p for r in reports for _, _, p in r.paragraphs() if len(p.text) > 300)
    passage = paragraph.text[40:70]
    page = client.get("/similar", query_string={"text": passage}).get_data(as_text=True)
    start = page.index('<p class="count">')
    count = page[start:page.index("</p>", start)]
    assert "段包含所给文字" in count and "段相似度" not in count
    assert main(["similar", passage, "--index", str(index_dir)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if paragraph.pid in line)
    assert "holds 100% of the passage" in line
