"""Report-level relevance of the default search on the judged set written before the engine ran on it.

``tests/relevance/reports.jsonl``: 64 queries typed as researchers type them, with the
reports (dev set pages and the bundled seeds) a researcher would want, graded by reading
them (see ``tests/relevance/reports.md``). The floors are the level reached when they were
set, a little under; ``python bench/relevance.py -v`` prints the table against the BM25-OR
and FTS5-OR baselines. Without the dev set (``../shared/devset``) these tests skip.
"""
from __future__ import annotations

import pytest

from searchlib.config import PROJECT_ROOT
from tests import benchscripts

FLOORS = {"recall": 0.95, "ndcg@10": 0.90, "p@r": 0.85}
# The strict search (every word in one paragraph) stays what it was: the tiers add, they never take away.
STRICT_FLOORS = {"recall": 0.47}


def _load_bench():
    return benchscripts.load('relevance')


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    bench = _load_bench()
    if not bench.DEVSET.exists():
        pytest.skip(f"dev set not found at {bench.DEVSET}")
    out = tmp_path_factory.mktemp("relevance") / "table.json"
    assert bench.main(["--engines", "searchlib,searchlib-strict", "--json", str(out)]) == 0
    import json
    return json.loads(out.read_text(encoding="utf-8"))


def _mean(rows: list[dict], measure: str) -> float:
    return sum(r[measure] for r in rows) / len(rows)


@pytest.mark.parametrize("measure", sorted(FLOORS))
def test_the_default_search_stays_at_or_above_its_floor(table, measure):
    assert _mean(table["searchlib"], measure) >= FLOORS[measure]


def test_tiers_find_every_report_the_strict_search_finds(table):
    for tiered, strict in zip(table["searchlib"], table["searchlib-strict"]):
        assert set(tiered["missed"]) <= set(strict["missed"]), tiered["query"]
    assert _mean(table["searchlib-strict"], "recall") >= STRICT_FLOORS["recall"]


# The later sets, each written by someone who had seen neither the other sets, the thesaurus nor the tier
# code, before any engine ran on it (see each .md). Floors: the level when set, a little under.
# reports_unseen: first run 0.925 / 0.891 / 0.775; session 11's rules were written after reading its
# failures (bench/RESULTS.md says which).
# reports_unseen2: written after every session-11 rule; first run 0.950 / 0.922 / 0.865.
# reports_unseen3: session 12, first run 0.897 / 0.824 / 0.759 (before the widened thesaurus, which
# was written blind to it: 0.902 / 0.842 / 0.779 after).
# reports_unseen4: session 12, after the widened thesaurus; first run 0.884 / 0.832 / 0.758.
# reports_unseen5: session 12, at the session's end; first run 0.902 / 0.872 / 0.772.
# reports_unseen6: session 13, first run after the tier-3 cover order 0.896 / 0.833 / 0.775 (0.896 / 0.819 / 0.759
# at the session's start); its failures were read afterwards (the related level came from them).
# reports_unseen7: session 13, first run with the related level 0.817 / 0.773 / 0.614 (0.830 / 0.773 / 0.615 at the
# session's start); its failures were read afterwards (function words, a second vocabulary pass aimed at
# English and headings).
# reports_unseen8: session 13, written blind to the second vocabulary pass, which was written blind to it:
# 0.820 / 0.701 / 0.565 at the session's start, 0.810 / 0.717 / 0.575 before that pass, 0.900 / 0.790 / 0.646 after.
# reports_unseen9 .. 12: session 14, each written blind (to the engine, the vocabulary and each other).
# unseen9: 0.879 / 0.813 / 0.670 at the session's start; its failures were read afterwards (inner related topics).
# unseen10: 0.797 / 0.727 / 0.583 at the start, 0.804 / 0.733 / 0.580 when first run; read after the third
# vocabulary pass (no gain on it) and before tier 4.
# unseen11, unseen12: first run with tier 4 (c18f6eb): 0.944 / 0.776 / 0.645 and 0.971 / 0.762 / 0.644 (0.879 / 0.760
# / 0.622 and 0.890 / 0.757 / 0.635 with the session's starting code); never read.
# reports_unseen13: session 15, written blind (to the engine, the vocabulary and every other set); first run at
# 5690847: 0.909 / 0.783 / 0.642 (BM25-OR 0.739 / 0.600 / 0.479); never read.
# Session 15: an English phrase has its glossary terms' pieces in tier 3 (公平竞争 of fair competition review):
# recall floors rose again on unseen4, 6, 10, 11 and 12.
# Recall floors rose with tier 4 (a report holding only a common word of the query is no longer out of reach).
LATER_SET_FLOORS = {
    "reports_unseen.jsonl": {"recall": 0.96, "ndcg@10": 0.92, "p@r": 0.85},
    "reports_unseen2.jsonl": {"recall": 0.98, "ndcg@10": 0.94, "p@r": 0.89},
    "reports_unseen3.jsonl": {"recall": 0.92, "ndcg@10": 0.87, "p@r": 0.83},
    "reports_unseen4.jsonl": {"recall": 0.97, "ndcg@10": 0.91, "p@r": 0.84},
    "reports_unseen5.jsonl": {"recall": 0.94, "ndcg@10": 0.90, "p@r": 0.82},
    "reports_unseen6.jsonl": {"recall": 0.96, "ndcg@10": 0.86, "p@r": 0.80},
    "reports_unseen7.jsonl": {"recall": 0.92, "ndcg@10": 0.82, "p@r": 0.68},
    "reports_unseen8.jsonl": {"recall": 0.92, "ndcg@10": 0.79, "p@r": 0.66},
    "reports_unseen9.jsonl": {"recall": 0.94, "ndcg@10": 0.81, "p@r": 0.68},
    "reports_unseen10.jsonl": {"recall": 0.90, "ndcg@10": 0.72, "p@r": 0.57},
    "reports_unseen11.jsonl": {"recall": 0.94, "ndcg@10": 0.76, "p@r": 0.63},
    "reports_unseen12.jsonl": {"recall": 0.97, "ndcg@10": 0.75, "p@r": 0.63},
    "reports_unseen13.jsonl": {"recall": 0.89, "ndcg@10": 0.77, "p@r": 0.63},
}


@pytest.fixture(scope="module")
def later_tables(tmp_path_factory):
    """Each later set's table, computed the first time a test asks for it."""
    computed: dict[str, dict] = {}

    def table_of(judged_name: str) -> dict:
        if judged_name not in computed:
            computed[judged_name] = _searchlib_table(tmp_path_factory, judged_name)
        return computed[judged_name]
    return table_of


def _searchlib_table(tmp_path_factory, judged_name: str) -> dict:
    bench = _load_bench()
    if not bench.DEVSET.exists():
        pytest.skip(f"dev set not found at {bench.DEVSET}")
    out = tmp_path_factory.mktemp("relevance_later") / "table.json"
    judged = PROJECT_ROOT / "tests" / "relevance" / judged_name
    assert bench.main(["--engines", "searchlib", "--judged", str(judged), "--json", str(out)]) == 0
    import json
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("judged_name, measure",
                         [(name, m) for name, floors in LATER_SET_FLOORS.items() for m in sorted(floors)])
def test_the_default_search_stays_at_or_above_its_floor_on_each_later_set(later_tables, judged_name, measure):
    assert _mean(later_tables(judged_name)["searchlib"], measure) >= LATER_SET_FLOORS[judged_name][measure]
