"""places: the official division table and resolution that never guesses."""
from __future__ import annotations

import pytest

from searchlib.ingest.places import data_metadata, gazetteer


@pytest.fixture(scope="module")
def gaz():
    return gazetteer()


def test_the_table_is_the_2025_12_31_release_with_its_row_counts(gaz):
    meta = data_metadata()
    assert meta["data_as_of"] == "2025-12-31"
    assert len(gaz) == 41_934
    assert sum(1 for d in gaz.by_code.values() if d.level == 4) == 38_723
    assert meta["counts"] == {"1": 33, "2": 333, "3": 2845, "4": 38723}


def test_an_index_number_code_resolves_to_its_county(gaz):
    loc = gaz.resolve([], codes=["370403"])
    assert (loc.province, loc.city, loc.county, loc.level) == ("山东省", "枣庄市", "薛城区", "county")


def test_a_county_name_pins_down_its_city_and_province(gaz):
    loc = gaz.resolve(["辰溪县人民政府关于2024年法治政府建设情况的报告"])
    assert (loc.province, loc.city, loc.county, loc.division_code) == ("湖南省", "怀化市", "辰溪县", "431223")


def test_an_abolished_name_still_resolves_to_its_successor(gaz):
    loc = gaz.resolve(["繁昌县人民政府2019年法治政府建设工作报告"])
    assert (loc.city, loc.county, loc.division_code) == ("芜湖市", "繁昌区", "340212")


def test_a_shared_township_name_is_left_open_with_its_candidates(gaz):
    loc = gaz.resolve(["新民乡2021年法治政府建设报告"])
    assert (loc.province, loc.city, loc.county) == (None, None, None)
    assert loc.township == "新民乡" and loc.level == "township"
    assert len(loc.candidates) == 4 and all(c.endswith("新民乡") for c in loc.candidates)


def test_a_township_name_alone_does_not_fill_its_county_even_when_unique_today(gaz):
    assert len(gaz.lookup("三张镇")) == 1
    loc = gaz.resolve(["三张镇2022年法治政府建设情况报告"])
    assert loc.township == "三张镇" and loc.county is None and loc.province is None
    assert loc.candidates == ["陕西省渭南市临渭区三张镇"]


def test_the_body_chooses_among_same_named_townships(gaz):
    loc = gaz.resolve(["新城镇2020年法治政府建设情况报告"], context="落实滨海新区人民政府工作要点")
    assert (loc.province, loc.city, loc.county, loc.township) == ("天津市", "天津市", "滨海新区", "新城镇")
    assert loc.division_code == "120116100"


def test_an_addressee_above_the_author_chooses_among_candidates(gaz):
    loc = gaz.resolve(["西兴街道2024年法治政府建设情况报告"], superiors=["杭州市滨江区人民政府:"])
    assert (loc.city, loc.county) == ("杭州市", "滨江区")


def test_a_municipality_is_both_province_and_city(gaz):
    assert gaz.locality_of(gaz.by_code["310000"]).city == "上海市"
    loc = gaz.resolve(["浦东新区司法局2024年度法治政府建设情况的报告"])
    assert (loc.province, loc.city, loc.county, loc.level) == ("上海市", "上海市", "浦东新区", "county")


def test_short_forms_of_provinces_and_cities_are_recognised(gaz):
    names = [m.name for m in gaz.mentions("深入学习习近平总书记考察江苏重要讲话,法治泰安建设")]
    assert names == ["江苏", "泰安"]


def test_running_text_does_not_read_place_names_inside_words(gaz):
    text = "提高县级执法水平,完成县委部署,振兴县域经济,城区绿化"
    assert gaz.mentions(text, running_text=True) == []
    assert [m.name for m in gaz.mentions("2023年,新县在市委的领导下", running_text=True)] == ["新县"]


def test_the_longest_name_wins_at_a_position(gaz):
    names = [m.name for m in gaz.mentions("岳阳县人民政府")]
    assert names == ["岳阳县"]


def test_nothing_named_is_an_empty_locality(gaz):
    loc = gaz.resolve(["关于2025年法治政府建设情况的报告"])
    assert loc.level is None and loc.province is None and loc.candidates == []


def test_short_forms_that_are_common_words_do_not_count_in_running_text(gaz):
    assert gaz.mentions("培育新乡贤,发展朝阳产业", running_text=True) == []
    assert [m.name for m in gaz.mentions("新乡市人民政府", running_text=True)] == ["新乡市"]
