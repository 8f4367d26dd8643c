"""Relevance on the judged set in tests/relevance/judgments.py.

Run ``python -m pytest tests/test_relevance.py -q -s`` to see the per-query
table; the numbers are also written to tests/artifacts/relevance.json.
The thresholds are the level the engine reached when they were set: a change
that makes ranking or recall worse fails here.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from searchlib.query.search import SearchRequest
from tests.relevance.judgments import JUDGED

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MIN_MEAN_PARAGRAPH_RECALL = 0.95
MIN_MEAN_REPORT_RECALL = 0.96
MIN_MEAN_NDCG_AT_10 = 0.95


def _pid_of(reports_by_file, filename: str, needle: str) -> tuple[str, str]:
    report = reports_by_file[filename]
    found = [p.pid for _, _, p in report.paragraphs() if needle in p.text]
    assert len(found) == 1, f"judgement {filename}:{needle!r} names {len(found)} paragraphs, not one"
    return found[0], report.doc_id


@pytest.fixture(scope="module")
def judged(reports):
    by_file = {Path(r.source).name: r for r in reports}
    return [(q, params, [_pid_of(by_file, f, needle) for f, needle in wanted]) for q, params, wanted in JUDGED]


def ndcg_at(k: int, ranked: list[str], relevant: set[str]) -> float:
    gain = sum(1 / math.log2(i + 2) for i, pid in enumerate(ranked[:k]) if pid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def measure(library, judged) -> list[dict]:
    rows = []
    for q, params, wanted in judged:
        results = library.search(SearchRequest(q=q, limit=1000, **params))
        ranked = [h.pid for h in results.hits]
        relevant = {pid for pid, _ in wanted}
        relevant_reports = {doc for _, doc in wanted}
        found_reports = {h.doc_id for h in results.hits}
        rows.append({
            "query": q, "params": params, "judged": len(relevant), "total": results.total,
            "recall": len(relevant & set(ranked)) / len(relevant),
            "report_recall": len(relevant_reports & found_reports) / len(relevant_reports),
            "ndcg@10": ndcg_at(10, ranked, relevant),
            "missed": sorted(relevant - set(ranked)),
        })
    return rows


def test_every_judgement_names_exactly_one_paragraph(judged):
    assert len(judged) >= 30
    assert all(wanted for _, _, wanted in judged)


def test_judged_set_recall_and_ndcg_stay_at_the_level_reached(library, judged):
    rows = measure(library, judged)
    summary = {
        "queries": len(rows),
        "judgements": sum(r["judged"] for r in rows),
        "mean_recall": sum(r["recall"] for r in rows) / len(rows),
        "mean_report_recall": sum(r["report_recall"] for r in rows) / len(rows),
        "mean_ndcg@10": sum(r["ndcg@10"] for r in rows) / len(rows),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "relevance.json").write_text(json.dumps({"summary": summary, "queries": rows},
                                                         ensure_ascii=False, indent=1))
    for r in rows:
        print(f"{r['recall']:.2f} {r['report_recall']:.2f} {r['ndcg@10']:.2f} {r['total']:4d}  {r['query']} {r['params'] or ''}")
    print(json.dumps(summary, ensure_ascii=False))
    assert summary["mean_recall"] >= MIN_MEAN_PARAGRAPH_RECALL
    assert summary["mean_report_recall"] >= MIN_MEAN_REPORT_RECALL
    assert summary["mean_ndcg@10"] >= MIN_MEAN_NDCG_AT_10
