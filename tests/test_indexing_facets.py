"""Facet code arrays written with each segment agree with the stored fields, whatever the job."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from searchlib.config import CORPUS_DIR
from searchlib.index.facetstore import FIELDS, SUFFIX, field_value, load_facets
from searchlib.index.indexing import IndexDamaged, build_index, delete_reports, open_index, resolve_index_dir
from searchlib.ingest.report import parse_file

SEEDS = sorted(CORPUS_DIR.glob("*.txt"))


def assert_facets_match_stored_fields(index_dir: Path) -> None:
    with open_index(index_dir).searcher() as searcher:
        facets = load_facets(searcher)
        reader = searcher.reader()
        live = [d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
        stored = {d: searcher.stored_fields(d) for d in live}
        for name in FIELDS:
            # field_value: the stored field, or one derived from it (publish_year from publish_date).
            assert dict(facets.counts(name, live)) == Counter(field_value(stored[d], name) for d in live), name
            for d in live:
                assert facets.values[name][facets.codes[name][d]] == field_value(stored[d], name)


def test_every_segment_gets_a_facet_file_that_matches_its_paragraphs(tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    live = resolve_index_dir(tmp_path)
    segments = open_index(tmp_path)._segments()
    assert sorted(p.name for p in live.glob(f"*{SUFFIX}")) == sorted(f"{s.segment_id()}{SUFFIX}" for s in segments)
    assert_facets_match_stored_fields(tmp_path)


def test_facets_follow_updates_merges_and_deletes(tmp_path):
    build_index(SEEDS[:2], tmp_path, rebuild=True)
    for path in SEEDS[2:]:
        build_index([path], tmp_path)  # new segments, and small ones merged
    assert_facets_match_stored_fields(tmp_path)
    delete_reports(tmp_path, [parse_file(SEEDS[0]).doc_id])
    assert_facets_match_stored_fields(tmp_path)
    # Files of segments that are gone are gone too.
    live = resolve_index_dir(tmp_path)
    assert len(list(live.glob(f"*{SUFFIX}"))) == len(open_index(tmp_path)._segments())


def test_a_segment_without_a_facet_file_is_damage_that_names_the_rebuild(tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    for path in resolve_index_dir(tmp_path).glob(f"*{SUFFIX}"):
        path.unlink()
    with pytest.raises(IndexDamaged, match="facet file .* `searchlib index --rebuild"):
        assert_facets_match_stored_fields(tmp_path)


def test_counts_put_the_most_frequent_value_first_and_count_missing_values_as_none(tmp_path):
    build_index(SEEDS, tmp_path, rebuild=True)
    with open_index(tmp_path).searcher() as searcher:
        facets = load_facets(searcher)
        everything = range(searcher.reader().doc_count_all())
        counts = facets.counts("province", everything)
        assert [n for _, n in counts] == sorted((n for _, n in counts), reverse=True)
        assert sum(n for _, n in counts) == len(everything)
        assert facets.values["province"][0] is None
        assert facets.distinct("doc_id", everything) == len(SEEDS)


def test_the_publication_year_is_the_year_of_the_publication_date():
    assert field_value({"publish_date": "2022-02-15"}, "publish_year") == 2022
    assert field_value({}, "publish_year") is None and field_value({"publish_date": "不详"}, "publish_year") is None


def test_a_facet_file_without_the_report_fields_is_damage_that_names_the_rebuild(tmp_path):
    # (Written before publisher and publication year were facets: such an index has an older format.)
    import numpy as np

    report_fields = ("publisher", "publish_date", "publish_year")
    build_index(SEEDS, tmp_path, rebuild=True)
    for path in resolve_index_dir(tmp_path).glob(f"*{SUFFIX}"):
        with np.load(path) as data:
            kept = {k: data[k] for k in data.files if k.split("_", 1)[1] not in report_fields}
        assert len(kept) < len(FIELDS) * 2
        with open(path, "wb") as handle:
            np.savez(handle, **kept)
    with pytest.raises(IndexDamaged, match="no publisher codes.*`searchlib index --rebuild"):
        assert_facets_match_stored_fields(tmp_path)
