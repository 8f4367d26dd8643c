"""clean: page furniture dropped, injected text cut out, documented patterns only."""
from __future__ import annotations

import pytest

from searchlib.ingest.clean import CleaningRules, clean_lines, default_rules, load_rules, tidy


def cleaned(text: str) -> list[str]:
    return clean_lines(text)


@pytest.mark.parametrize("furniture", [
    "当前位置:首页 > 专题目录 > 法治政府建设",
    "当前位置: 信息公开首页 > 政务公开 > 镇街 > 常庄街道",
    "您当前所在位置: 首页 > 政务公开 > 总结公报",
    "首页/ 政府信息公开 / 法定主动公开内容 / 目标责任考核 / 正文",
    "首页 > 审计资讯 > 区内新闻 > 正文",
    "當前位置:首頁 > 政務公開",  # traditional script
])
def test_breadcrumbs_are_dropped(furniture):
    assert cleaned(furniture + "\n正文第一段。") == ["正文第一段。"]


@pytest.mark.parametrize("furniture", [
    "打印页面    关闭页面", "【打印】", "【关闭】", "扫一扫在手机上查看当前页面", "• 扫一扫在手机打开当前页",
    "用微信扫描二维码", "分享至好友和朋友圈", "- 分享到 :", "×", "字号:", "【字体:", "[字体: ]", "大", "中", "小",
    "今天是:2019年10月31日 星期三", "今天是,欢迎访问广州市从化区政府网", "关怀版关怀版 网站支持IPv6",
    "无障碍访问 长者模式 智能问答", "中文域名:天津市宝坻区人民政府.政务", "联系我们| 网站地图| 微信",
    "蜀ICP备12002995号川公网安备 51140202000234号", "主办单位:中共眉山市东坡区委办公室",
    "全国各省市政府网站", "天津市各区政府网站", "滨海新区政府系统网站", "重点链接", "| | | |",
    "• 736916951/2024-000784", "粤交法〔2023〕9号", "签发人:李静",
])
def test_page_widgets_and_footers_are_dropped(furniture):
    assert cleaned("正文第一段。\n" + furniture) == ["正文第一段。"]


@pytest.mark.parametrize("header", [
    "  • 索 引 号:370403/2022-00022", "  • 主题分类:法治政府建设年报", "  • 发布机构:常庄街道",
    "  • 成文时间:2022年04月07日", "  • 文  号:", "  • 效力状态:有效", "- [ 发文字号 ] 鸡鸣委文〔2026〕3号",
    "日期:2022-03-14    来源:新民乡综治中心", "发布日期: 2021-05-14 15:28      来源: 新城镇",
    "责任编辑:东坡区司法局  文章来源:东坡区司法局   发布日期:2022-03-02  点击:",
    "索引号 430S00/2023-018790 文号", "发布单位 湖南省交通运输厅 来源 厅法制处",
])
def test_header_table_lines_are_not_paragraphs(header):
    assert cleaned(header + "\n正文第一段。") == ["正文第一段。"]


def test_prev_next_links_end_the_document():
    text = "最后一段。\n上一条:某某报告 下一条:某某统计表\n关闭\n后面的任何内容"
    assert cleaned(text) == ["最后一段。"]


def test_a_related_articles_heading_before_the_article_is_a_sidebar_not_the_end_of_the_page():
    text = "首页政务公开\n相关文章\n某某县2023年法治政府建设年度报告\n正文第一段。\n相关文章\n别的报告"
    assert cleaned(text) == ["首页政务公开", "某某县2023年法治政府建设年度报告", "正文第一段。"]


def test_a_related_articles_heading_with_no_running_text_after_it_still_ends_the_page():
    text = "某某县2023年法治政府建设年度报告\n附件:年度报告.pdf\n相关文章\n别县2019年法治政府建设工作报告"
    assert cleaned(text) == ["某某县2023年法治政府建设年度报告", "附件:年度报告.pdf"]


def test_gambling_spam_spliced_mid_sentence_is_cut_out():
    line = "今年以来,东坡区坚持以习近平新时代雷速体育_中国足彩网¥在线直播特色社会主义思想为指导。"
    assert cleaned(line) == ["今年以来,东坡区坚持以习近平新时代中国特色社会主义思想为指导。"]


def test_a_watermark_is_cut_at_the_start_and_mid_word_without_eating_the_text():
    line = ("秘书之家—全网资源每日更新www.mishuzj.com湖北省人民政府关于2023年度法治政府建设情况的报告"
            "二是扛牢法治建设第一秘书之家—全网资源每日更新www.mishuzj.com责任人职责。")
    assert cleaned(line) == ["湖北省人民政府关于2023年度法治政府建设情况的报告二是扛牢法治建设第一责任人职责。"]


def test_content_farm_ad_and_paywall_markers_are_cut():
    assert cleaned("公文汇 www.gwhui.com\n正文。") == ["正文。"]
    assert cleaned("(开头部分已省略)\n正文。") == ["正文。"]
    assert cleaned("开展法治建设“...") == ["开展法治建设“"]


def test_injected_pinyin_is_cut_but_ordinary_brackets_stay():
    assert cleaned("法治政府建設(shè)實施綱要,現(xiàn)印發(fā)給你們。") == ["法治政府建設實施綱要,現印發給你們。"]
    assert cleaned("将重大行政决策程 (略) 政府常务会学法议题(a)。") == ["将重大行政决策程(略)政府常务会学法议题(a)。"]


def test_bullets_and_table_pipes_are_stripped_from_content():
    assert cleaned("| 天津市滨海新区新村街道2025年度法治政府建设情况报告 |") == ["天津市滨海新区新村街道2025年度法治政府建设情况报告"]
    assert cleaned("  • 黑龙江省司法厅关于2023年法治政府建设情况的报告") == ["黑龙江省司法厅关于2023年法治政府建设情况的报告"]


def test_body_sentences_that_mention_furniture_words_are_kept():
    kept = [
        "推进适老化改造和无障碍环境建设,保障老年人权益。",
        "群众可通过扫一扫政务服务二维码办理事项,全年办理业务一千余件,群众满意率达到百分之九十九以上。",
        "(三)大力推进城区综合执法。",
    ]
    assert cleaned("\n".join(kept)) == kept


def test_terminal_escape_sequences_are_cut_out_of_the_text():
    line = "2023年，深入推进依法行政\x1b[2J\x1b[31m，全年办理行政复议案件5件。\x1b[0m"
    assert cleaned(line) == ["2023年，深入推进依法行政，全年办理行政复议案件5件。"]
    assert cleaned("\x1b]0;窗口标题\x07一、主要工作\x1b[1;32m") == ["一、主要工作"]


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x08", "\x0e", "\x1b", "\x1f", "\x7f", "\x80", "\x9b", "\x9f"])
def test_control_characters_are_removed_but_tabs_and_line_breaks_still_separate(control):
    assert cleaned(f"依法{control}行政。\r\n通过ISO\t9001认证。") == ["依法行政。", "通过ISO 9001认证。"]


def test_tidy_removes_typesetting_spaces_but_keeps_words_apart():
    assert tidy("  《法治政府建设实施纲要(2021—2025 年)》  ") == "《法治政府建设实施纲要(2021—2025年)》"
    assert tidy("锚定 “政府行为全面纳入法治轨道” 的总目标") == "锚定“政府行为全面纳入法治轨道”的总目标"
    assert tidy("Hello   world") == "Hello world"


def test_every_pattern_in_the_file_compiles_and_each_section_is_used():
    rules = default_rules()
    assert rules.drop_line and rules.remove_inline and rules.end_of_document


def test_a_pattern_outside_a_section_is_an_error(tmp_path):
    bad = tmp_path / "patterns.txt"
    bad.write_text("^当前位置\n", encoding="utf-8")
    with pytest.raises(ValueError, match="outside a"):
        load_rules(bad)


def test_rules_come_from_the_file_not_from_code(tmp_path):
    custom = tmp_path / "patterns.txt"
    custom.write_text("[drop-line]\n^广告\n[remove-inline]\n水印\n", encoding="utf-8")
    rules = load_rules(custom)
    assert clean_lines("广告位招租\n正文水印内容。\n当前位置:首页", rules) == ["正文内容。", "当前位置:首页"]


def test_the_combined_fast_check_decides_exactly_as_the_single_patterns(seed_path):
    rules = default_rules()
    slow = CleaningRules(rules.drop_line, rules.remove_inline, rules.end_of_document)
    text = "\n".join(seed_path(n).read_text(encoding="utf-8") for n in ("000", "001", "002", "003", "004"))
    for line in text.splitlines():
        folded = tidy(line)
        assert bool(slow.any_drop.search(folded)) == any(p.search(folded) for p in rules.drop_line), line
        assert bool(slow.any_inline.search(folded)) == any(p.search(folded) for p in rules.remove_inline), line
