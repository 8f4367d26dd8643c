"""Collocates, frequency lists and keyness over the constructed corpus (tests/corpus_tools/).

Hand counts. 枫桥经验 occurs 4 times, each in a sentence of the form X“枫桥经验”，Y (punctuation is
not a token): t1 and t2 时代 | 推动, t3 深化 | 完善, t4 坚持 | 推动. With a window of one word each
side: R = 8 slots, 推动 3, 时代 2, 深化 1, 完善 1, 坚持 1. 推动 occurs 3 times in the corpus (the three
sentences above), 坚持 5 times (t1 坚持以法治思维, 坚持和发展; t2 坚持和发展; t4 坚持依法行政, 坚持“枫桥经验”),
深化 twice (t3 深化“枫桥经验”, 继续深化“最多跑一次”).
"""
from __future__ import annotations

import csv
import io
import math

import pytest

from searchlib.research import wordstats
from searchlib.cli import main
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest


def test_collocates_count_the_window_by_hand(tools_library):
    result = wordstats.collocates(tools_library, SearchRequest(q="枫桥经验"), span=1, min_together=1)
    assert result.nodes == ["枫桥经验"] and result.node_count == 4 and result.window_tokens == 8
    got = {c.word: (c.together, c.frequency) for c in result.collocates}
    assert got == {"推动": (3, 3), "时代": (2, 2), "深化": (1, 2), "完善": (1, 1), "坚持": (1, 5)}
    n = result.population_tokens
    tuidong = result.collocates[0]
    assert tuidong.word == "推动"                                         # the strongest by LL
    assert tuidong.expected == pytest.approx(8 * 3 / n, abs=1e-3)
    assert tuidong.mi == pytest.approx(math.log2(3 / (8 * 3 / n)), abs=1e-3)
    o, r, c = 3, 8, 3
    cells = [(o, r * c / n), (r - o, r * (n - c) / n), (c - o, (n - r) * c / n), (n - r - c + o, (n - r) * (n - c) / n)]
    assert tuidong.ll == pytest.approx(2 * sum(x * math.log(x / e) for x, e in cells if x), abs=0.01)


def test_a_collocate_is_counted_once_however_many_node_words_it_stands_near(library):
    # Windows overlap where the node recurs close by: a token in two of them is still one token (O never above C).
    result = wordstats.collocates(library, SearchRequest(q="行政执法"), span=5, min_together=1)
    assert result.collocates and all(c.together <= c.frequency for c in result.collocates)


def test_min_together_and_sort(tools_library):
    by_mi = wordstats.collocates(tools_library, SearchRequest(q="枫桥经验"), span=1, sort="mi", min_together=2)
    assert [c.word for c in by_mi.collocates] == ["推动", "时代"]          # both MI log2(N/8): the more frequent first
    by_count = wordstats.collocates(tools_library, SearchRequest(q="枫桥经验"), span=1, sort="count")
    assert [c.together for c in by_count.collocates] == [3, 2]
    with pytest.raises(QueryError):
        wordstats.collocates(tools_library, SearchRequest(q="枫桥经验"), span=11)
    with pytest.raises(QueryError):
        wordstats.collocates(tools_library, SearchRequest(q=""))


def test_filters_narrow_the_nodes(tools_library):
    zhejiang = wordstats.collocates(tools_library, SearchRequest(q="枫桥经验", province="浙江"), span=1,
                                    min_together=1)
    assert zhejiang.node_count == 2 and {c.word for c in zhejiang.collocates} == {"深化", "完善", "坚持", "推动"}


def test_frequency_counts_words_not_punctuation(tools_library):
    result = wordstats.frequency(tools_library, SearchRequest(q="枫桥经验"), limit=1000)
    counts = {w.word: w.count for w in result.words}
    assert counts["枫桥经验"] == 4 and counts["推动"] == 3
    assert not any(w in counts for w in ("“", "”", "，", "。", ","))
    assert result.paragraphs == 4 and result.tokens == sum(counts.values())
    two = wordstats.frequency(tools_library, SearchRequest(), limit=1000, min_chars=2)
    assert all(len(w.word) >= 2 for w in two.words)
    assert two.words[0].word == "推进" and two.words[0].count == 8


def test_keyness_against_a_reference_and_against_the_rest(tools_library):
    result = wordstats.keyness(tools_library, SearchRequest(year="2021"), SearchRequest(year="2022"), limit=50)
    words = {w.word: w for w in result.words}
    jianchi = words["坚持"]              # t2 坚持和发展, t4 坚持依法行政, 坚持“枫桥经验”; none in t5 (2022)
    assert (jianchi.target, jianchi.reference) == (3, 0) and jianchi.ll > 0
    c, d = result.target_tokens, result.reference_tokens
    assert jianchi.ll == pytest.approx(float(wordstats.log_likelihood(3, 0, c, d)), abs=0.01)
    assert words["行政复议"].ll < 0       # 2 of 91 words in 2021, 2 of 44 in 2022: relatively more in 2022
    rest = wordstats.keyness(tools_library, SearchRequest(year="2019"), None)
    assert rest.reference_is_rest and rest.target_paragraphs + rest.reference_paragraphs == 28


def test_log_likelihood_by_hand():
    # a = 10 of 100 against b = 0 of 100: E1 = E2 = 5, LL = 2 * 10 * ln 2
    assert float(wordstats.log_likelihood(10, 0, 100, 100)) == pytest.approx(2 * 10 * math.log(2))
    assert float(wordstats.log_likelihood(5, 5, 100, 100)) == pytest.approx(0)


def test_cli_and_web_twins(tools_index_dir, tools_client, capsys):
    assert main(["collocates", "枫桥经验", "--span", "1", "--min", "1", "--index", str(tools_index_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "word\ttogether\tfrequency\texpected\tmi\tll" and lines[1].startswith("推动\t3\t3\t")
    api = tools_client.get("/api/collocates?q=枫桥经验&span=1&min=1").get_json()
    assert [(c["word"], c["together"]) for c in api["collocates"]][:2] == [("推动", 3), ("时代", 2)]
    raw = tools_client.get("/collocates.csv?q=枫桥经验&span=1&min=1").data
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["word"] == "推动" and rows[0]["together"] == "3"
    frequency = tools_client.get("/api/frequency?q=枫桥经验&limit=1").get_json()
    assert [(w["word"], w["count"]) for w in frequency["words"]] == [("枫桥经验", 4)]
    assert frequency["words"][0]["per_10k"] == round(4 / frequency["tokens"] * 10_000, 2)
    keyness = tools_client.get("/api/keyness?year=2021&ref_year=2022").get_json()
    assert keyness["reference"] == {"year": "2022"} and keyness["words"][0]["word"] == "坚持"
    assert tools_client.get("/api/keyness").status_code == 400
    assert tools_client.get("/collocates?q=枫桥经验&span=0").status_code == 400
    assert main(["keyness", "--index", str(tools_index_dir)]) == 2


def test_word_ids_are_written_at_index_time_and_an_index_without_them_reads_the_texts(tmp_path):
    from searchlib.index.indexing import build_index, resolve_index_dir
    from searchlib.query.search import Library
    from tests.conftest import TOOLS_CORPUS

    index = tmp_path / "index"
    files = sorted(TOOLS_CORPUS.glob("t*.txt"))
    build_index(files[:4], index, rebuild=True, reuse=False, procs=1)
    first = sorted(p.name for p in resolve_index_dir(index).glob("*.tokens.ids.npy"))
    build_index(files[4:], index, reuse=False, procs=1)            # t5: a new segment beside the first
    live = resolve_index_dir(index)
    second = sorted(p.name for p in live.glob("*.tokens.ids.npy"))
    assert len(first) == 1 and first[0] in second and len(second) == 2
    request = SearchRequest(q="枫桥经验")
    library = Library(index)
    try:
        with_files = wordstats.collocates(library, request, span=1, min_together=1).to_dict()
    finally:
        library.close()
    for path in live.glob("*.tokens.*"):
        path.unlink()
    library = Library(index)
    try:
        assert wordstats.collocates(library, request, span=1, min_together=1).to_dict() == with_files
    finally:
        library.close()
    assert {c["word"]: c["together"] for c in with_files["collocates"]} == {"推动": 3, "时代": 2, "深化": 1,
                                                                               "完善": 1, "坚持": 1}
