"""report: metadata, sections and permanent ids, as a careful reader would take them."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from searchlib.ingest.clean import CleaningRules, clean_lines, default_rules
from searchlib.ingest.report import (Report, find_title, organisation_in_title, parse_date, parse_file, parse_text,
                              read_header)
import searchlib.ingest.report as report_module
from searchlib.analysis import normalize
from tests.formats import pdf_bytes

CONTRACT_KEYS = {"source", "doc_id", "title", "publisher", "report_year", "publish_date", "province", "city",
                 "county", "township", "division_code", "level", "body", "genre", "locality_candidates", "sections",
                 # issue 23: who reported (part of doc_id), where the page came from, every copy, a text digest
                 "reporter", "url", "fetched_at", "sources", "text_digest"}

SEED_TABLE = {
    # seed: (title, level, body, province, city, county, township, report_year, publish_date)
    "000": ("新民乡2021年法治政府建设报告", "township", "government", None, None, None, "新民乡", 2021, "2022-03-14"),
    "001": ("眉山市东坡区人民政府关于2021年法治政府建设情况的报告", "county", "government",
            "四川省", "眉山市", "东坡区", None, 2021, "2022-03-02"),
    "002": ("新城镇2020年法治政府建设情况报告", "township", "government",
            "天津市", "天津市", "滨海新区", "新城镇", 2020, "2021-05-14"),
    "003": ("关于繁阳镇2024年法治政府建设工作总结及2025年工作安排的报告", "township", "government",
            "安徽省", "芜湖市", "繁昌区", "繁阳镇", 2024, "2024-12-13"),
    "004": ("2021年度常庄街道法治政府建设工作报告", "township", "government",
            "山东省", "枣庄市", "薛城区", "常庄街道", 2021, "2022-04-07"),
}


def all_text(report: Report) -> str:
    return "\n".join(p.text for _, _, p in report.paragraphs())


@pytest.mark.parametrize("seed", sorted(SEED_TABLE))
def test_seed_metadata_matches_the_hand_reading(seed, seed_path):
    report = parse_file(seed_path(seed))
    got = (report.title, report.level, report.body, report.province, report.city, report.county,
           report.township, report.report_year, report.publish_date)
    assert got == SEED_TABLE[seed]
    assert report.genre == "report"


def test_seed_codes_are_division_codes(seed_path):
    assert parse_file(seed_path("001")).division_code == "511402"
    assert parse_file(seed_path("004")).division_code.startswith("370403")
    assert len(parse_file(seed_path("004")).division_code) == 9


def test_seed_000_leaves_the_town_open_and_names_the_four_candidates(seed_path):
    report = parse_file(seed_path("000"))
    assert len(report.locality_candidates) == 4
    assert all(c.endswith("新民乡") for c in report.locality_candidates)


def test_to_dict_keeps_the_parse_contract(seed_path):
    data = parse_file(seed_path("001")).to_dict()
    assert set(data) == CONTRACT_KEYS
    assert set(data["sections"][0]) == {"heading", "kind", "paragraphs"}
    assert set(data["sections"][0]["paragraphs"][0]) == {"pid", "text"}
    json.dumps(data, ensure_ascii=False)


def test_seed_001_sections_and_what_is_not_a_paragraph(seed_path):
    report = parse_file(seed_path("001"))
    kinds = [s.kind for s in report.sections if s.heading]
    assert kinds == ["achievements", "problems", "plans"]
    text = all_text(report)
    assert "上一条" not in text and "ICP备" not in text and "主办单位" not in text
    assert not any(p.text in ("眉山市东坡区人民政府", "2022年1月13日") for _, _, p in report.paragraphs())
    assert "习近平新时代中国特色社会主义思想" in text and "足彩" not in text


def test_seed_003_has_an_unheaded_problems_section_and_no_addressee_paragraph(seed_path):
    report = parse_file(seed_path("003"))
    kinds = [s.kind for s in report.sections]
    assert kinds == ["other", "achievements", "problems", "plans"]
    assert report.sections[2].paragraphs[0].text.startswith("在总结工作的同时")
    assert "区委依法治区办:" not in [p.text for _, _, p in report.paragraphs()]


@pytest.mark.parametrize("seed, expected", [
    ("000", "(三)完善法律顾问制度。"),
    ("003", "(一)以政治建设为统领锚定方向。"),
])
def test_a_heading_that_lost_its_opening_bracket_is_repaired(seed, expected, seed_path):
    assert any(p.text.startswith(expected) for _, _, p in parse_file(seed_path(seed)).paragraphs())


def test_sub_headings_stay_with_their_paragraph(seed_path):
    report = parse_file(seed_path("002"))
    para = next(p for _, _, p in report.paragraphs() if p.text.startswith("(五)"))
    assert para.text.startswith("(五)依法化解矛盾纠纷,维护辖区社会稳定\n一是持续优化乡村公共法律服务")


def test_paragraph_order_is_document_order(seed_path):
    orders = [order for order, _, _ in parse_file(seed_path("004")).paragraphs()]
    assert orders == list(range(len(orders)))


# --- permanence of ids -----------------------------------------------------------

def pids_by_text(report: Report) -> dict[str, str]:
    return {p.text: p.pid for _, _, p in report.paragraphs()}


def test_ids_are_the_same_after_a_rebuild(seed_path):
    first, second = parse_file(seed_path("001")), parse_file(seed_path("001"))
    assert first.doc_id == second.doc_id
    assert pids_by_text(first) == pids_by_text(second)


def test_ids_do_not_depend_on_the_file_name_or_folder(tmp_path, seed_path):
    original = parse_file(seed_path("002"))
    moved = tmp_path / "elsewhere" / "renamed.txt"
    moved.parent.mkdir()
    shutil.copyfile(seed_path("002"), moved)
    again = parse_file(moved)
    assert again.source != original.source
    assert again.doc_id == original.doc_id
    assert pids_by_text(again) == pids_by_text(original)


def test_pids_survive_a_cleaning_rule_change_elsewhere_in_the_report(seed_path, monkeypatch):
    text = seed_path("001").read_text(encoding="utf-8")
    before = parse_text(text)
    rules = default_rules()
    # A new rule that now cuts a phrase out of one paragraph in section 三.
    stricter = CleaningRules(rules.drop_line, rules.remove_inline + (re.compile("苏心办"),), rules.end_of_document)
    monkeypatch.setattr(report_module, "clean_lines", lambda page: clean_lines(page, stricter))
    after = parse_text(text)
    changed = {t for t in pids_by_text(before) if "苏心办" in t}
    assert changed, "the rule must touch some paragraph"
    assert after.doc_id == before.doc_id
    unchanged_before = {t: pid for t, pid in pids_by_text(before).items() if t not in changed}
    unchanged_after = {t: pid for t, pid in pids_by_text(after).items() if t in unchanged_before}
    assert unchanged_after == unchanged_before


def test_pids_are_unique_within_a_report_even_for_repeated_text():
    text = "某某县2023年法治政府建设情况报告\n一、主要成效\n同一句话。\n二、存在问题\n同一句话。\n"
    pids = [p.pid for _, _, p in parse_text(text).paragraphs()]
    assert len(pids) == len(set(pids)) == 2


def test_different_reports_have_different_doc_ids(seed_path):
    assert len({parse_file(seed_path(s)).doc_id for s in SEED_TABLE}) == len(SEED_TABLE)


# --- fixture pages: one pattern each -------------------------------------------------

def test_html_page_with_nav_and_footer_is_a_county_level_department_report(pages):
    report = parse_file(pages / "nav_footer.html")
    assert report.title == "南京市浦口区司法局关于2023年度法治政府建设情况的报告"
    assert (report.level, report.body) == ("county", "department")
    assert (report.province, report.city, report.county) == ("江苏省", "南京市", "浦口区")
    assert report.publish_date == "2024-02-20"
    assert [s.kind for s in report.sections if s.heading] == ["achievements", "problems", "plans"]
    assert "ICP" not in all_text(report) and "分享" not in all_text(report)


def test_gbk_and_utf16_pages_parse_like_utf8(pages):
    gbk = parse_file(pages / "gbk_report.txt")
    assert (gbk.title, gbk.province, gbk.county, gbk.report_year) == (
        "安溪县2022年法治政府建设情况报告", "福建省", "安溪县", 2022)
    utf16 = parse_file(pages / "utf16_bom_report.txt")
    assert (utf16.title, utf16.city, utf16.county, utf16.publish_date) == (
        "武侯区2023年度法治政府建设工作报告", "成都市", "武侯区", "2024-03-15")


def test_traditional_script_keeps_its_wording_and_resolves_in_simplified(pages):
    report = parse_file(pages / "traditional.txt")
    assert report.title == "辰溪縣小龍門鄉2024年法治政府建設情況報告"
    assert (report.province, report.city, report.county, report.township) == ("湖南省", "怀化市", "辰溪县", "小龙门乡")
    assert report.publish_date == "2025-04-11"
    assert [s.kind for s in report.sections if s.heading] == ["achievements", "problems"]


def test_a_header_table_is_read_as_metadata_first_and_not_kept(pages):
    report = parse_file(pages / "header_table.txt")
    assert report.publish_date == "2023-03-21"
    assert (report.province, report.city, report.county, report.division_code) == ("山东省", "枣庄市", "薛城区", "370403")
    assert report.publisher == "薛城区人民政府"
    text = all_text(report)
    assert "索" not in text[:5] and "效力状态" not in text and "主题分类" not in text


def test_a_title_split_over_lines_after_furniture_and_before_an_addressee(pages):
    report = parse_file(pages / "split_title_department.txt")
    assert report.title == "湖南省交通运输厅关于2022年度法治政府部门建设工作情况的报告"
    assert (report.province, report.level, report.body) == ("湖南省", "province", "department")
    assert report.publish_date is None  # 今天是:2019年10月31日 is the site clock
    texts = [p.text for _, _, p in report.paragraphs()]
    assert "省人民政府:" not in texts and not any("上一条" in t for t in texts)


def test_a_heading_that_lost_its_numeral_starts_a_section(pages):
    report = parse_file(pages / "split_title_department.txt")
    assert [(s.heading, s.kind) for s in report.sections if s.heading][1] == ("二、存在的问题", "problems")


def test_hard_line_breaks_inside_a_sentence_are_joined(pages):
    texts = [p.text for _, _, p in parse_file(pages / "split_title_department.txt").paragraphs()]
    assert "执法队伍素质有待提升,对照《中华人民共和国行政处罚法》要求,力求高质量完成各项工作。" in texts


def test_a_numbered_paragraph_cut_after_its_first_sentence_is_joined_with_the_next_line():
    text = ("白水镇2023年法治政府建设工作报告\n一、主要工作\n"
            "（一）加强党的领导。乡党委专题研究法治政府建设工作，全年组织法治\n讲座4次，领导干部学法12次。\n")
    report = parse_text(text)
    assert [s.heading for s in report.sections] == ["一、主要工作"]
    assert [p.text for _, _, p in report.paragraphs()] == [
        "（一）加强党的领导。乡党委专题研究法治政府建设工作，全年组织法治讲座4次，领导干部学法12次。"]


def test_a_hard_wrapped_page_joins_numbered_lines_cut_at_its_width_but_keeps_short_headings_apart(pages):
    report = parse_file(pages / "hard_wrapped.txt")
    texts = [p.text for _, _, p in report.paragraphs()]
    # A numbered line as long as the page's other cut lines, with no full stop, was cut by the wrap.
    assert "（三）化解矛盾纠纷\n1.全年调处矛盾纠纷136件调处成功率达到百分之九十八以上群众满意度持续提升。" in texts
    assert "（二）推进依法行政。镇政府严格执行重大行政决策程序，全年组织法治讲座4次，领导干部学法12次，合法性审查率达100%。" in texts
    # A short numbered heading stays a line of its own above its paragraph.
    assert any(t.startswith("（一）加强党的领导\n镇党委把法治政府建设") for t in texts)
    assert [s.heading for s in report.sections if s.heading] == ["一、主要工作和成效", "二、存在的问题", "三、下一步工作打算"]


def test_a_pdf_joins_its_numbered_paragraphs_across_the_line_ends_of_the_page(tmp_path):
    paragraphs = [
        "青山镇2023年法治政府建设工作报告",
        "2023年，青山镇在县委、县政府的坚强领导下，深入学习贯彻习近平法治思想，扎实推进法治政府建设，全面提升依法行政水平。",
        "镇党委把法治政府建设摆在全局工作的重要位置，全年专题研究法治政府建设工作3次，主要负责人切实履行推进法治建设第一责任人职责。",
        "2023年，全镇行政执法人员参加法律知识培训和考试，参训率、合格率均达到百分之百，执法人员持证上岗率保持在较高水平。",
        "1.全年调处矛盾纠纷136件调处成功率达到百分之九十八以上群众满意度持续提升各村调解委员会作用充分发挥。",
        "2.建成村级公共法律服务工作室12个，实现村法律顾问全覆盖，全年为群众提供法律咨询300余人次，代写法律文书40余份。",
    ]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes(paragraphs))  # the PDF breaks every line at 50 characters
    texts = [p.text for _, _, p in parse_file(pdf).paragraphs()]
    assert texts == paragraphs[1:]


def test_a_numbered_heading_with_a_comma_is_not_glued_to_its_paragraph_on_an_unwrapped_page():
    text = ("某某县2023年法治政府建设情况报告\n一、主要举措和成效\n"
            "（一）坚持和加强党的全面领导，落实省委具体部署、市委思路举措，优化统筹法治政府建设\n"
            "县委常委会专题研究法治政府建设工作3次。\n")
    texts = [p.text for _, _, p in parse_text(text).paragraphs()]
    assert texts[0] == "（一）坚持和加强党的全面领导，落实省委具体部署、市委思路举措，优化统筹法治政府建设"
    assert not any("建设县委常委会" in t for t in texts)

def test_a_text_with_terminal_escapes_and_control_characters_parses_as_if_they_were_not_there(pages):
    report = parse_file(pages / "control_chars.txt")
    assert report.publish_date == "2024-03-01"
    assert [s.heading for s in report.sections if s.heading] == ["一、主要工作"]
    assert [p.text for _, _, p in report.paragraphs()] == [
        "2023年，深入推进依法行政，全年办理行政复议案件5件。", "全年开展法治宣传活动20场次，受众3000余人。"]
    printed = json.dumps(report.to_dict(), ensure_ascii=False)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", printed)


def test_a_municipal_district_report_with_a_bracket_prefix_and_glued_date(pages):
    report = parse_file(pages / "municipality_district.txt")
    assert report.title == "天津市滨海新区人民政府关于2023年法治政府建设情况的报告"
    assert report.publish_date == "2024-03-28"
    assert (report.province, report.city, report.county, report.level) == ("天津市", "天津市", "滨海新区", "county")
    assert "区人大常委会:" not in [p.text for _, _, p in report.paragraphs()]


DONGPO_BODY = ["2023年，东坡区深入学习贯彻习近平法治思想，现将有关情况报告如下。",
               "全年政务服务事项网上可办率达98%，行政复议案件办结率100%。"]


def test_a_related_articles_heading_in_a_sidebar_before_the_article_does_not_lose_the_report(pages):
    report = parse_file(pages / "sidebar_before_article.html")
    assert (report.title, report.report_year, report.publish_date) == (
        "眉山市东坡区2023年法治政府建设年度报告", 2023, "2024-03-28")
    assert [p.text for _, _, p in report.paragraphs()] == DONGPO_BODY


@pytest.mark.parametrize("page", ["link_before_title.html", "link_list_before_title.html"])
def test_a_link_list_before_the_main_heading_does_not_take_its_title(pages, page):
    report = parse_file(pages / page)
    assert (report.title, report.report_year) == ("眉山市东坡区2023年法治政府建设年度报告", 2023)
    assert [p.text for _, _, p in report.paragraphs()] == DONGPO_BODY


def test_a_page_without_running_text_keeps_its_title_and_ends_at_its_related_articles(pages):
    report = parse_file(pages / "attachment_only.html")
    assert (report.title, report.report_year) == ("眉山市东坡区2023年法治政府建设年度报告", 2023)
    assert not any("彭山区" in p.text or "青神县" in p.text for _, _, p in report.paragraphs())


# --- metadata rules on small texts ------------------------------------------------

def test_a_title_split_over_two_lines_is_joined_and_its_repeat_dropped():
    text = "大河乡人民政府\n关于法治政府建设的情况报告\n2025年,是关键之年。大河乡坚持依法行政,现将本年度法治政府建设开展情况汇报如下:\n"
    report = parse_text(text)
    assert report.title == "大河乡人民政府关于法治政府建设的情况报告"
    assert report.report_year == 2025


def test_the_site_name_before_a_title_is_not_part_of_it():
    lines = ["左贡县人民政府", "政府信息公开", "碧土乡2024年法治政府建设情况报告", "碧土乡2024年法治政府建设情况报告"]
    title, start, end = find_title(lines, [normalize(l) for l in lines])
    assert (title, start) == ("碧土乡2024年法治政府建设情况报告", 2)


def test_a_title_run_into_the_body_is_cut_at_its_end():
    text = ("湖北省人民政府关于2023年度法治政府建设情况的报告2023年,省政府坚持以习近平新时代中国特色社会主义思想为指导,"
            "全面贯彻落实党的二十大精神,深入学习贯彻习近平法治思想,坚持依法行政,推动法治政府建设取得新成效。")
    report = parse_text(text)
    assert report.title == "湖北省人民政府关于2023年度法治政府建设情况的报告"
    assert (report.province, report.level, report.report_year) == ("湖北省", "province", 2023)


@pytest.mark.parametrize("title, genre", [
    ("某某县法治政府建设实施方案(2021—2025年)", "other"),
    ("某某市2023年法治政府建设工作要点", "other"),
    ("某某街道办事处2023年政府信息公开工作年度报告", "other"),
    ("政府工作报告", "other"),
    ("某某县人民政府办公室关于印发某某县2020年度法治政府建设工作安排的通知", "other"),
    ("某某镇2023年法治政府建设工作总结", "report"),
    ("某某市2025年法治政府建设情况", "report"),
    ("关于某某镇2024年法治政府建设工作总结及2025年工作安排的报告", "report"),
])
def test_genre_tells_reports_from_look_alikes(title, genre):
    assert parse_text(title + "\n正文第一段,内容很长很长。\n").genre == genre


def test_a_news_item_about_a_report_is_not_a_report():
    text = "中新网太原3月17日电 (记者 张雷杰)3月17日,2025年山西省法治政府建设情况报告发布。\n报告显示……\n"
    assert parse_text(text).genre == "other"


@pytest.mark.parametrize("value, expected", [
    ("2022-03-14 10:21", "2022-03-14"), ("2022年04月07日", "2022-04-07"), ("2021/5/14", "2021-05-14"),
    ("2099-01-01", None), ("2022-02-30", None), ("25.02.2016 10:00", None), ("20256月", None), (None, None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_header_reads_labels_with_spaces_brackets_and_flattened_tables():
    header = read_header([normalize(l) for l in [
        "  • 索 引 号:370403/2022-00022",
        "- [ 发布日期 ] 2026-02-12",
        "时间:2025-03-24      来源: 太原市司法局       字号:[ ]",
        "发布单位 湖南省交通运输厅 来源 厅法制处",
        "• 公文生成日期:2026-01-08",
    ]])
    assert header["索引号"] == "370403/2022-00022"
    assert header["发布日期"] == "2026-02-12"
    assert header["时间"] == "2025-03-24"
    assert header["来源"] == "太原市司法局"
    assert header["发布单位"] == "湖南省交通运输厅"
    assert "日期" not in header  # 公文生成日期 is a drafting timestamp, not 日期


def test_a_drafting_timestamp_alone_is_not_a_publication_date():
    text = "- 公文生成日期:2026-01-16\n区人大常委会:\n2025年,洛江区坚持依法行政。现将有关情况报告如下:\n"
    assert parse_text(text).publish_date is None


def test_the_year_reported_on_is_not_the_year_published_nor_a_plan_period():
    text = ("关于2025年法治政府建设情况的报告\n发布时间:2026-02-26\n"
            "2025年是“十四五”收官之年。我区落实《法治政府建设实施纲要(2021—2025年)》,现将有关情况报告如下:\n")
    report = parse_text(text)
    assert (report.report_year, report.publish_date) == (2025, "2026-02-26")
    assert (report.level, report.body) == ("county", "government")  # 我区, no place named: level only


@pytest.mark.parametrize("title, organisation", [
    ("眉山市东坡区人民政府关于2021年法治政府建设情况的报告", "眉山市东坡区人民政府"),
    ("关于浦东新区司法局2024年度法治政府建设情况的报告", "浦东新区司法局"),
    ("2021年度常庄街道法治政府建设工作报告", "常庄街道"),
    ("四川省交通运输厅2025年法治政府部门建设工作情况", "四川省交通运输厅"),
    ("[天政发〔2026〕7号]天水市人民政府关于2025年法治政府建设情况的报告", "天水市人民政府"),
    ("关于2025年法治政府建设情况的报告", None),
])
def test_the_organisation_a_title_names(title, organisation):
    assert organisation_in_title(title) == organisation


def test_the_body_names_the_author_when_there_is_no_title():
    text = ("2023年,岳池县坚持以习近平新时代中国特色社会主义思想为指导,推动各项工作全面纳入法治化轨道。现将有关工作情况报告如下。\n"
            "一、2023年推进法治政府建设主要举措和成效\n(一)优化转变政府职能。县司法局主要负责人列席县政府常务会议。\n")
    report = parse_text(text)
    assert (report.province, report.city, report.county) == ("四川省", "广安市", "岳池县")
    assert (report.level, report.body, report.report_year) == ("county", "government", 2023)


def test_places_named_in_passing_are_not_the_author():
    text = ("2023年,我市坚持依法行政,法治政府建设取得积极成效。上党区和武乡县被评为示范地区。\n"
            "一、主要举措\n(一)全市推进依法决策。\n")
    report = parse_text(text)
    assert report.county is None and report.province is None
    assert report.level == "city"


def test_an_addressee_naming_the_county_places_a_township_report_inside_it():
    text = ("中共渠县委员会、渠县人民政府:\n2024年,我乡法治政府建设工作在县委、县政府的正确领导下扎实推进。现将我乡法治政府建设工作开展情况报告如下:\n"
            "一、主要举措\n(一)强化组织领导。乡党委成立领导小组。\n")
    report = parse_text(text)
    assert (report.province, report.city, report.county, report.township) == ("四川省", "达州市", "渠县", None)
    assert report.level == "township" and report.division_code is None


def test_a_long_menu_and_a_channel_named_like_a_report_come_before_the_real_title(pages):
    report = parse_file(pages / "long_menu.html")
    assert report.title == "青川县人民政府关于2024年法治政府建设情况的报告"
    assert (report.province, report.city, report.county) == ("四川省", "广元市", "青川县")
    assert report.publish_date == "2025-03-20"
    assert not any("网站首页" in p.text or "ICP" in p.text for _, _, p in report.paragraphs())


def test_a_place_inside_a_cited_document_title_is_not_the_author():
    text = ("为贯彻落实《浙江省法治政府建设实施纲要》,推进依法行政,成效明显。\n"
            "一、主要举措\n(一)加强领导。完善制度。\n")
    report = parse_text(text)
    assert report.province is None and report.level is None


def test_a_department_report_names_its_jurisdiction_through_its_own_name():
    text = ("根据法治政府建设年度报告制度的要求,现将我局2022年度法治政府建设工作报告如下:\n"
            "一、落实法治政府建设任务\n我局印发《江门市交通运输局制定规范性文件工作规程》,建立规范性文件台账。\n")
    report = parse_text(text)
    assert (report.province, report.city, report.level, report.body) == ("广东省", "江门市", "city", "department")


def test_a_closing_paragraph_after_the_last_numbered_item_is_other(seed_path):
    report = parse_file(seed_path("004"))
    assert report.sections[-1].kind == "other" and report.sections[-1].heading is None
    assert report.sections[-1].paragraphs[0].text.startswith("2021年,街道法治建设取得阶段性成效")
    assert report.sections[-2].heading.startswith("七、") and len(report.sections[-2].paragraphs) == 3


@pytest.mark.parametrize("title, publisher", [
    ("关于成都市武侯区2023年法治政府建设情况的报告", "成都市武侯区人民政府"),
    ("柳城县2023年法治政府建设年度报告", "柳城县人民政府"),
    ("太原市2024年法治政府建设年度报告", "太原市人民政府"),
    ("碧土乡2024年法治政府建设情况报告", "碧土乡"),
    ("海滨街道2025年法治政府建设情况报告", "海滨街道"),
    ("关于浦东新区司法局2024年度法治政府建设情况的报告", "浦东新区司法局"),
])
def test_a_place_named_as_the_reporting_body_of_a_county_or_above_is_its_government(title, publisher):
    report = parse_text(title + "\n一、主要做法\n我们深入推进行政复议体制改革。")
    assert report.publisher == publisher
