"""Facets on the publisher and the publication year, and the publication-date order (issue 21, item 9).

The report year (年份) is the year a report sums up; a report on 2021 is published in 2022. A
researcher tracing when reports came out, or who issued them, narrows and orders by those instead.
"""
from __future__ import annotations

from collections import Counter

import pytest

from searchlib.research import stats
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest

QUERY = "法律顾问"


def every_hit(library, **params):
    return library.search(SearchRequest(q=QUERY, limit=1000, **params)).hits


def publisher_of(library, hit) -> str | None:
    return library.paragraph(hit.pid).get("publisher")


def test_publication_year_facet_counts_the_matches_by_the_year_of_their_publication_date(library):
    results = library.search(SearchRequest(q=QUERY, limit=1000))
    expected = Counter(int(h.publish_date[:4]) if h.publish_date else "unknown" for h in results.hits)
    assert dict(results.facets["publish_year"]) == dict(expected)
    years = [v for v, _ in results.facets["publish_year"] if v != "unknown"]
    assert years == sorted(years, reverse=True) and len(years) > 1


def test_publisher_facet_counts_the_matches_by_publisher(library):
    results = library.search(SearchRequest(q=QUERY, limit=1000))
    expected = Counter(publisher_of(library, h) or "unknown" for h in results.hits)
    assert dict(results.facets["publisher"]) == dict(expected)


def test_choosing_a_publication_year_keeps_only_its_reports_and_the_facet_stays_disjunctive(library):
    everything = dict(library.search(SearchRequest(q=QUERY, limit=0)).facets["publish_year"])
    chosen = library.search(SearchRequest(q=QUERY, published="2022", limit=1000))
    assert chosen.total == everything[2022] > 0
    assert all(h.publish_date.startswith("2022") for h in chosen.hits)
    assert dict(chosen.facets["publish_year"]) == everything, "the other years show what choosing them gives"
    assert chosen.filters["published"] == "2022"


def test_a_publication_year_range_and_a_publisher(library):
    ranged = library.search(SearchRequest(q=QUERY, published="2023-2024", limit=1000))
    assert ranged.hits and all(h.publish_date[:4] in ("2023", "2024") for h in ranged.hits)
    publisher, count = library.search(SearchRequest(q=QUERY, limit=0)).facets["publisher"][0]
    chosen = library.search(SearchRequest(q=QUERY, publisher=publisher, limit=1000))
    assert chosen.total == count and {publisher_of(library, h) for h in chosen.hits} == {publisher}


def test_a_publisher_is_found_by_its_name_in_traditional_or_full_width_characters_too(library):
    from searchlib.analysis import normalize
    publisher, count = library.search(SearchRequest(q=QUERY, limit=0)).facets["publisher"][0]
    traditional = publisher.translate(str.maketrans("县区镇乡门龙广东阳庄", "縣區鎮鄉門龍廣東陽莊"))
    assert traditional != publisher and normalize(traditional) == normalize(publisher)
    for spelling in (traditional, f" {publisher} "):
        assert library.search(SearchRequest(q=QUERY, publisher=spelling, limit=0)).total == count


def test_an_unreadable_publication_year_is_refused(library):
    with pytest.raises(QueryError, match="published"):
        library.search(SearchRequest(q=QUERY, published="去年"))


def test_sorting_by_publication_date_puts_the_latest_first(library):
    dates = [h.publish_date for h in every_hit(library, sort="published")]
    known = [d for d in dates if d]
    assert known == sorted(known, reverse=True) and len(set(known)) > 2
    assert dates[:len(known)] == known, "a report without a date comes last"


def test_grouped_results_sort_by_publication_date_too(library):
    groups = library.search(SearchRequest(q=QUERY, sort="published", group=True, limit=100, mode="strict")).groups
    dates = [g.best.publish_date for g in groups if g.best.publish_date]
    assert dates == sorted(dates, reverse=True) and len(dates) > 2
    # Reports in tiers: by publication date within each tier.
    tiered = library.search(SearchRequest(q=QUERY, sort="published", group=True, limit=100)).groups
    for tier in {g.tier for g in tiered}:
        dates = [g.best.publish_date for g in tiered if g.tier == tier and g.best.publish_date]
        assert dates == sorted(dates, reverse=True), tier


def test_the_concordance_and_the_distribution_take_the_same_filters(library):
    from searchlib.research import kwic
    rows = kwic.concordance(library, SearchRequest(q=QUERY, published="2022"))
    pids = {h.pid for h in every_hit(library, published="2022")}
    assert rows and {r.pid for r in rows} == pids
    table = stats.distribution(library, [QUERY], filters={"published": "2022"})
    everything = stats.distribution(library, [QUERY])
    assert table.totals.counts[0].paragraphs == len(pids)
    assert table.totals.corpus_reports < everything.totals.corpus_reports, "the coverage is narrowed too"


# --- the web page ---------------------------------------------------------------------------

def test_the_search_page_offers_both_facets_and_the_publication_order(page, library):
    _, dom = page(f"/search?q={QUERY}")
    publisher = dom.css_first('[data-facet="publisher"]')
    published = dom.css_first('[data-facet="published"]')
    assert publisher is not None and published is not None
    assert "发布机关" in publisher.text() and "发布年份" in published.text()
    link = published.css_first("a").attributes["href"]
    assert "published=" in link
    _, narrowed = page(link)
    year = link.split("published=")[1].split("&")[0]
    expected = library.search(SearchRequest(q=QUERY, published=year, limit=0)).total
    assert narrowed.css_first("[data-total]").text() == str(expected)
    assert "发布年份" in narrowed.css_first(".chip").text()
    assert dom.css_first('select[name=sort] option[value="published"]').text() == "发布日期从新到旧"


def test_cli_search_takes_the_publisher_the_year_and_the_order(index_dir, capsys, library):
    import json

    from searchlib.cli import main
    assert main(["search", QUERY, "--paragraphs", "--published", "2022", "--sort", "published", "--json", "--limit", "100",
                 "--index", str(index_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [h["pid"] for h in data["hits"]] == [h.pid for h in every_hit(library, published="2022",
                                                                         sort="published")]
