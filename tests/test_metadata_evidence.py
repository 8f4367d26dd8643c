"""Metadata that holds on unseen pages (issue 23): the URL host as weak evidence, names inside
longer names, central ministries. Real parses of constructed pages."""
from __future__ import annotations

import pytest

from searchlib.ingest.report import parse_text

TOWNSHIP = ("贤庠镇人民政府关于2022年度法治政府建设情况的报告\n"
            "2022年,贤庠镇坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻落实省、市关于法治政府建设的重大决策部署。\n"
            "一、主要工作\n(一)加强组织领导。镇党委把法治建设纳入重要议事日程。\n")
OUR_CITY = ("2023年,我市坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻落实党的二十大精神,"
            "深入学习贯彻习近平法治思想,扎实推进依法行政各项工作,法治政府建设取得新成效。\n"
            "一、主要工作\n(一)加强党的领导。市政府常务会议专题研究法治政府建设。\n")


def street(name: str, province: str, city: str) -> str:
    return (f"{name}2023年法治政府建设情况报告\n"
            f"2023年,{name}在区委、区政府的坚强领导下,认真贯彻落实《{province}法治政府建设实施方案》和"
            f"《{city}法治政府建设工作要点》,深入推进依法行政。\n"
            f"一、主要工作\n(一)加强组织领导。{name}党工委把法治建设纳入年度工作要点。\n")


def places(report) -> tuple:
    return report.province, report.city, report.county, report.township


def test_a_government_host_fills_the_county_a_township_report_leaves_open():
    bare = parse_text(TOWNSHIP)
    hosted = parse_text(TOWNSHIP, url="http://www.xiangshan.gov.cn/art/2023/2/21/art_1.html")
    assert bare.province is None
    assert places(hosted) == ("浙江省", "宁波市", "象山县", "贤庠镇") and hosted.level == "township"


def test_the_host_never_overrides_what_the_text_says():
    text = TOWNSHIP.replace("贤庠镇人民政府关于", "岳池县人民政府关于").replace("2022年,贤庠镇", "2022年,岳池县")
    report = parse_text(text, url="http://www.xiangshan.gov.cn/a.html")
    assert places(report)[:3] == ("四川省", "广安市", "岳池县")


def test_a_host_that_is_not_a_government_site_is_no_evidence():
    assert parse_text(TOWNSHIP, url="http://www.xiangshan.com/a.html").province is None
    assert parse_text(TOWNSHIP, url="https://gcs66.com/document_detail/1.html").province is None


def test_a_host_is_read_at_the_authors_level_or_not_at_all():
    # changzhi spells 长治市 (a city) and 尚志市 (a county-level city): 我市 on it is 长治市.
    report = parse_text(OUR_CITY, url="https://changzhi.gov.cn/xxgkml/a.shtml")
    assert places(report)[:2] == ("山西省", "长治市") and report.level == "city"
    # With nothing in the text to say which, the spelling chooses nothing.
    vague = OUR_CITY.replace("我市", "本地").replace("市政府", "政府")
    assert parse_text(vague, url="https://changzhi.gov.cn/a.shtml").province is None


def test_the_reports_identity_does_not_depend_on_its_url():
    assert parse_text(TOWNSHIP).doc_id == parse_text(TOWNSHIP, url="http://www.xiangshan.gov.cn/a.html").doc_id


@pytest.mark.parametrize("name, province, city, expected", [
    ("南京街", "天津市", "和平区", ("天津市", "天津市", "和平区")),
    ("苏州街", "北京市", "海淀区", ("北京市", "北京市", "海淀区")),
    ("铁岭街", "辽宁省", "沈阳市", ("辽宁省", "沈阳市", None)),
])
def test_a_street_named_after_a_city_elsewhere_is_placed_by_the_documents_it_cites(name, province, city, expected):
    report = parse_text(street(name, province, city))
    assert places(report)[:3] == expected and report.division_code is None


def test_one_cited_document_alone_places_nothing():
    text = street("南京街", "天津市", "法治政府").replace("和《法治政府法治政府建设工作要点》", "")
    assert parse_text(text).province is None


def test_a_central_ministry_is_a_department_with_national_scope():
    text = ("司法部2023年法治政府建设年度报告\n2023年,司法部坚持以习近平新时代中国特色社会主义思想为指导,"
            "深入学习贯彻习近平法治思想,法治政府建设取得新进展。\n一、主要工作\n(一)加强党的领导。部党组专题研究。\n")
    report = parse_text(text)
    assert (report.level, report.body, report.province) == ("national", "department", None)
    county = text.replace("司法部", "岳池县司法局")
    assert parse_text(county).level != "national"


OWN_PROVINCE = ("2023年,我市认真贯彻落实党中央关于全面依法治国的决策部署及省委、省政府工作要求,强力推动"
                "辽宁省法治政府建设十项重点任务落地落实。现将有关情况报告如下。\n一、主要工作\n(一)加强组织领导。\n")


def test_a_page_speaking_of_its_province_and_naming_one_province_is_in_it():
    report = parse_text(OWN_PROVINCE)
    assert places(report) == ("辽宁省", None, None, None) and report.division_code is None


def test_two_provinces_named_or_no_own_province_cue_place_nothing():
    assert parse_text(OWN_PROVINCE.replace("辽宁省法治", "辽宁省、吉林省法治")).province is None
    assert parse_text(OWN_PROVINCE.replace("省委、省政府", "上级")).province is None
