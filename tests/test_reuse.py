"""Text reuse, on reports written to share paragraphs (tests/corpus_reuse/EXPECTED.md)."""
import json
import random
from pathlib import Path

import pytest

from searchlib.research import reuse
from searchlib.cli import main
from searchlib.index.indexing import build_index
from searchlib.ingest.report import parse_file

CORPUS = Path(__file__).resolve().parent / "corpus_reuse"
WUHOU, JINJIANG, FUCHENG, XIHU, SHANGCHENG, XUANWU = (
    "ae5edf7818e6", "63797d031ebe", "9065365b448e", "e630b876ecfd", "68996e8a5b92", "19a9890d0c93")
TEMPLATE = "-c68b196f"                      # same text digest in every report
NEAR_B, NEAR_C, NEAR_F = JINJIANG + "-fbd076ce", FUCHENG + "-ce2447d6", SHANGCHENG + "-fe591bc0"
XIHU_REPEATED = (XIHU + "-751c6dfe", XIHU + "-0282c2e3")
SHORT = (XIHU + "-5959467a", XUANWU + "-5959467a")


@pytest.fixture(scope="module")
def reuse_index(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("reuse-index")
    build_index([CORPUS], target, rebuild=True)
    reuse.build(target)
    return target


@pytest.fixture(scope="module")
def store(reuse_index):
    s = reuse.open_store(reuse_index)
    yield s
    s.close()


def test_a_verbatim_template_is_found_in_every_report_that_copies_it(store):
    for doc in (WUHOU, JINJIANG, FUCHENG, XIHU, XUANWU):
        assert store.shared_count(doc + TEMPLATE) == 4
    others = store.also_in(JINJIANG + TEMPLATE)
    assert [o.doc_id for o in others] == [WUHOU, FUCHENG, XIHU, XUANWU]   # earliest first
    assert all(o.jaccard == 1.0 for o in others)
    assert (others[0].year, others[0].locality) == (2019, "四川省成都市武侯区")
    assert others[0].url == f"/p/{WUHOU}{TEMPLATE}"


def test_traditional_characters_do_not_hide_a_copy(store):
    assert XUANWU in {o.doc_id for o in store.also_in(WUHOU + TEMPLATE)}


def test_the_earliest_report_is_the_origin_even_for_the_origin_itself(store):
    assert store.earliest(XUANWU + TEMPLATE).doc_id == WUHOU
    assert store.earliest(WUHOU + TEMPLATE).doc_id == WUHOU
    # Same year: the earlier publication date decides (锦江 2021-02-01 before 涪城 2021-03-01).
    assert store.earliest(NEAR_C).doc_id == JINJIANG


def test_near_verbatim_copies_are_linked_with_their_exact_similarity(store):
    others = store.also_in(NEAR_B)
    assert [(o.doc_id, o.jaccard) for o in others] == [(FUCHENG, 0.8824), (SHANGCHENG, 0.8824)]
    assert store.shared_count(NEAR_B) == 2


def test_similarity_is_not_chained_through_a_third_paragraph(store):
    # 涪城 and 上城 are each 88% like 锦江 but only 78% like each other.
    assert [o.doc_id for o in store.also_in(NEAR_C)] == [JINJIANG]
    assert [o.doc_id for o in store.also_in(NEAR_F)] == [JINJIANG]
    assert store.shared_count(NEAR_F) == 1


def test_repeats_within_one_report_and_short_lines_are_not_reuse(store):
    for pid in XIHU_REPEATED + SHORT:
        assert store.shared_count(pid) == 0 and store.also_in(pid) == [] and store.earliest(pid) is None


def test_report_reuse_lists_the_shared_paragraphs_in_reading_order(store):
    found = store.report_reuse(JINJIANG)
    assert [(r.pid, r.shared_count) for r in found] == [(JINJIANG + TEMPLATE, 4), (NEAR_B, 2)]
    assert found[0].earliest.doc_id == WUHOU and found[1].earliest.doc_id == JINJIANG
    assert store.report_reuse(SHANGCHENG)[0].also_in[0].doc_id == JINJIANG


def test_boilerplate_filter_is_a_set_of_pids_by_how_many_reports_share_them(store):
    assert store.boilerplate_pids(4) == {d + TEMPLATE for d in (WUHOU, JINJIANG, FUCHENG, XIHU, XUANWU)}
    assert store.boilerplate_pids(1) == store.boilerplate_pids(4) | {NEAR_B, NEAR_C, NEAR_F}
    assert store.boilerplate_pids(5) == set()


def test_the_pass_over_parsed_reports_agrees_with_the_pass_over_the_index():
    reports = [parse_file(p) for p in sorted(CORPUS.glob("*.txt"))]
    result = reuse.find_reuse(reuse.records_from_reports(reports))
    closed = reuse.shared_reports(result)
    shared = {pid: len(closed[n]) - 1 for pid, n in result.node_of.items()}
    assert shared[NEAR_B] == 2 and shared[JINJIANG + TEMPLATE] == 4 and shared[XIHU_REPEATED[0]] == 0
    assert result.stats["candidate_pairs"] == 3 and result.stats["verified_pairs"] == 2


def test_an_update_without_the_pass_shows_no_outdated_reuse_data(tmp_path):
    build_index([CORPUS / "r1_wuhou_2019.txt", CORPUS / "r2_jinjiang_2020.txt"], tmp_path, rebuild=True)
    assert reuse.open_store(tmp_path) is not None                 # the build ran the pass
    build_index([CORPUS / "r3_fucheng_2020.txt"], tmp_path, reuse=False)
    assert reuse.open_store(tmp_path) is None                     # not the old pass, silently wrong
    assert reuse.open_store(tmp_path, allow_stale=True) is None   # the new generation carries no old file
    reuse.build(tmp_path)
    assert reuse.open_store(tmp_path) is not None


def test_a_delete_and_an_optimize_keep_the_reuse_data_current(tmp_path):
    from searchlib.index.indexing import delete_reports, optimize_index
    build_index([CORPUS / "r1_wuhou_2019.txt", CORPUS / "r2_jinjiang_2020.txt", CORPUS / "r3_fucheng_2020.txt"],
                tmp_path, rebuild=True)
    notes: list[str] = []
    optimize_index(tmp_path, notes)
    assert reuse.open_store(tmp_path) is not None and notes == []   # found again, not dropped silently
    from searchlib.ingest.report import parse_file
    deleted = delete_reports(tmp_path, [parse_file(CORPUS / "r3_fucheng_2020.txt").doc_id])
    assert deleted.deleted and reuse.open_store(tmp_path) is not None


def _mutate(text: str, edits: int, rng: random.Random, alphabet: str) -> str:
    chars = list(text)
    for _ in range(edits):
        chars[rng.randrange(len(chars))] = rng.choice(alphabet)
    return "".join(chars)


def test_lsh_finds_what_brute_force_finds_and_nothing_below_the_threshold():
    rng = random.Random(7)
    alphabet = "法治政府建设行政复议执法监督依法推进全面落实制度改革工作机制规范公开服务群众基层社会治理审查备案"
    bases = ["".join(rng.choice(alphabet) for _ in range(rng.randint(120, 300))) for _ in range(60)]
    records = []
    for i in range(240):
        base = bases[i % len(bases)]
        text = _mutate(base, rng.choice([0, 1, 1, 2, 3, 8]), rng, alphabet)
        records.append(reuse.ParagraphRecord(f"p{i}", f"d{i}", text))
    result = reuse.find_reuse(records)
    found = {(min(a, b), max(a, b)) for a, b, _ in result.edges}
    canon = [reuse.canonical(r.text) for r in records]
    texts = sorted(set(canon))
    node = {t: result.node_of[records[canon.index(t)].pid] for t in texts}
    truth = set()
    for i, x in enumerate(texts):
        for y in texts[i + 1:]:
            if reuse.jaccard(reuse.shingles(x), reuse.shingles(y)) >= reuse.THRESHOLD:
                truth.add((min(node[x], node[y]), max(node[x], node[y])))
    assert found <= truth                       # verified: never a pair below 0.8
    assert len(truth) > 100
    assert len(found) >= 0.97 * len(truth)      # LSH recall at these settings is >= 0.985 per pair


def test_cli_reuse_builds_then_answers_for_a_report(tmp_path, capsys):
    build_index([CORPUS], tmp_path, rebuild=True, reuse=False)
    assert main(["reuse", SHANGCHENG, "--index", str(tmp_path)]) == 2      # not built yet: a clear message
    assert "reuse --build" in capsys.readouterr().err
    assert main(["reuse", SHANGCHENG, "--build", "--index", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["pid"] for p in data["paragraphs"]] == [NEAR_F]
    assert data["paragraphs"][0]["earliest"]["doc_id"] == JINJIANG
    assert main(["reuse", JINJIANG, "--index", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "also in 4 other report(s); earliest: 2019 四川省成都市武侯区" in out
    assert "88% alike" in out
    assert main(["reuse", "nosuchreport", "--index", str(tmp_path)]) == 2


def test_boilerplate_docnums_hide_or_keep_the_template_in_a_search(reuse_index, store):
    from searchlib.query.search import Library, SearchRequest

    library = Library(reuse_index)
    try:
        searcher = library.searcher()
        boiler = reuse.boilerplate_docnums(store, searcher, 4)
        assert {searcher.stored_fields(d)["pid"] for d in boiler} == store.boilerplate_pids(4)

        def pids(mode: str | None) -> set[str]:
            return {h.pid for h in library.search(SearchRequest(q="法治", boilerplate=mode, limit=1000)).hits}

        everything, hidden, only = pids(None), pids("hide"), pids("only")
        assert only == store.boilerplate_pids(4) and hidden == everything - only and hidden
    finally:
        library.close()


def test_paragraph_summary_is_what_a_page_shows(store):
    summary = reuse.paragraph_summary(store, NEAR_F)
    assert summary["shared_count"] == 1 and summary["earliest"]["doc_id"] == JINJIANG
    assert [o["doc_id"] for o in summary["also_in"]] == [JINJIANG]
    assert reuse.paragraph_summary(None, NEAR_F)["available"] is False


def _bundled_sentences() -> list[str]:
    from searchlib.config import CORPUS_DIR
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.txt")))
    return [s + "。" for s in text.replace("\n", "").split("。") if len(s) > 10]


@pytest.mark.parametrize("changed", [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8])
def test_a_reports_sketch_estimates_its_similarity_to_another_within_the_margin(changed):
    """Versions of one report are told apart by sketches alone unless the estimate is near the threshold: at
    every level of edit the estimate is within four standard errors of the exact shingle Jaccard, and an
    estimate outside the margin falls on the same side of the threshold as the exact value."""
    sentences = _bundled_sentences()
    rng = random.Random(7)
    original = sentences[:150]
    others = sentences[150:]
    edited = [rng.choice(others) if rng.random() < changed else s for s in original]
    a, b = reuse.canonical("".join(original)), reuse.canonical("".join(edited))
    exact = reuse.jaccard(reuse.shingles(a), reuse.shingles(b))
    estimate = reuse.sketch_jaccard(reuse.text_sketch(a), reuse.text_sketch(b))
    assert len(reuse.shingles(a)) > 10 * reuse.SKETCH_SIZE   # a sample, not the whole set
    standard_error = (exact * (1 - exact) / reuse.SKETCH_SIZE) ** 0.5
    assert abs(estimate - exact) <= 4 * standard_error + 0.01, (exact, estimate)
    if abs(estimate - reuse.THRESHOLD) > reuse.SKETCH_MARGIN:
        assert (estimate >= reuse.THRESHOLD) == (exact >= reuse.THRESHOLD)


def test_short_texts_sketches_give_their_exact_similarity():
    a, b = reuse.canonical("依法行政水平明显提高"), reuse.canonical("依法行政水平显著提高")
    exact = reuse.jaccard(reuse.shingles(a), reuse.shingles(b))
    assert reuse.sketch_jaccard(reuse.text_sketch(a), reuse.text_sketch(b)) == pytest.approx(exact)
    assert reuse.sketch_jaccard(reuse.text_sketch(""), reuse.text_sketch("")) == 1.0
