"""The query language, parsed: what each piece of syntax means as a tree."""
from hypothesis import given, strategies as st

from searchlib.query.parse import (MAX_DEPTH, And, Exact, Filter, Not, Or, SameReport, SameSentence, Words,
                             canonical_filter_value,
                             parse, query_text)


def tree(q):
    parsed = parse(q)
    assert parsed.fatal is None
    return parsed.tree


def test_words_are_anded():
    assert tree("行政复议 纠错") == And((Words("行政复议"), Words("纠错")))


def test_enumeration_marks_between_words_separate_them_as_a_space_does():
    # Researchers list topics the way reports do: 行政复议、行政诉讼.
    expected = And((Words("行政复议"), Words("行政诉讼")))
    for typed in ("行政复议、行政诉讼", "行政复议，行政诉讼", "行政复议；行政诉讼", "行政复议。行政诉讼", "行政复议, 行政诉讼"):
        assert tree(typed) == expected
    assert tree('"双随机、一公开"') == Exact("双随机、一公开")   # inside quotes they are text


def test_or_and_bar_mean_the_same():
    assert tree("复议 OR 诉讼") == tree("复议 | 诉讼") == Or((Words("复议"), Words("诉讼")))


def test_and_binds_tighter_than_or():
    assert tree("a OR b c") == Or((Words("a"), And((Words("b"), Words("c")))))


def test_not_and_leading_minus_mean_the_same():
    assert tree("复议 NOT 诉讼") == tree("复议 -诉讼") == And((Words("复议"), Not(Words("诉讼"))))


def test_minus_before_a_bracket_or_a_quote_negates_it():
    assert tree("复议 -(诉讼 | 应诉)") == And((Words("复议"), Not(Or((Words("诉讼"), Words("应诉"))))))
    assert tree('复议 -"行政诉讼"') == And((Words("复议"), Not(Exact("行政诉讼"))))


def test_minus_before_a_filter_excludes_what_it_names_and_a_plus_changes_nothing():
    assert tree("复议 -省份:四川") == tree("复议 NOT 省份:四川") == tree("复议 －省份:四川") \
        == And((Words("复议"), Not(Filter("province", "四川"))))
    assert tree("复议 -year:2021") == And((Words("复议"), Not(Filter("year", "2021"))))
    assert tree("复议 +year:2021") == tree("复议 year:2021") == And((Words("复议"), Filter("year", "2021")))


def test_a_not_only_query_is_kept():
    assert tree("-诉讼") == Not(Words("诉讼"))


def test_double_negation_cancels():
    assert tree("NOT -诉讼") == Words("诉讼")


def test_quotes_make_an_exact_string():
    assert tree('"出庭应诉率"') == Exact("出庭应诉率")


def test_full_width_operators_and_quotes_read_the_same_as_plain_ones():
    assert tree("“出庭应诉率” （复议｜诉讼） －撤销") == tree('"出庭应诉率" (复议|诉讼) -撤销')
    assert tree("行政复议 ／ｓ 纠错") == tree("行政复议 /s 纠错")
    assert tree("年份：２０２１") == tree("year:2021")


def test_same_sentence_operator():
    assert tree("行政复议 /s 纠错") == SameSentence((Words("行政复议"), Words("纠错")))
    assert tree("a /s b /s c") == SameSentence((Words("a"), Words("b"), Words("c")))


def test_same_sentence_works_inside_brackets_and_with_or_groups():
    assert tree("(a /s b) OR c") == Or((SameSentence((Words("a"), Words("b"))), Words("c")))
    assert tree("(复议 | 诉讼) /s 纠错") == SameSentence((Or((Words("复议"), Words("诉讼"))), Words("纠错")))


def test_paragraph_scope_operator_is_plain_and():
    assert tree("a /p b") == tree("a b")


def test_same_sentence_with_a_filter_degrades_to_and_with_a_note():
    parsed = parse("复议 /s year:2021")
    assert parsed.tree == And((Words("复议"), Filter("year", "2021")))
    assert any("/s" in p for p in parsed.problems)


def test_field_filters_and_their_chinese_aliases():
    assert tree("年份:2021 省份:四川 章节:存在问题") == tree("year:2021 province:四川 section:problems")
    assert tree("year:2019-2021") == Filter("year", "2019-2021")
    assert tree("year:2021-2019") == Filter("year", "2019-2021")
    assert tree("年份:2019年至2021年") == Filter("year", "2019-2021")
    assert tree("level:county|township") == Filter("level", "county|township")
    assert tree("层级:乡镇") == Filter("level", "township")
    assert tree("body:部门") == Filter("body", "department")
    assert tree('title:"法治政府"') == Filter("title", "法治政府")


def test_a_filter_takes_several_values_as_researchers_list_them():
    assert tree("year:2019,2021") == tree("年份:2019、2021") == tree("year:2019|2021") == Filter("year", "2019|2021")
    assert tree("year:2019..2021") == Filter("year", "2019-2021")
    assert tree("层级:县级,乡镇") == Filter("level", "county|township")
    assert tree("省份:四川、重庆") == Filter("province", "四川|重庆")
    assert parse("行政复议 year:,").tree == Words("行政复议")   # nothing but separators is no value
    # A title is free text: a comma is part of it.
    assert tree('title:"法治政府,建设"') == Filter("title", "法治政府,建设")


def test_a_year_filter_may_be_open_at_either_end():
    assert tree("year:2019-") == tree("年份:2019年以来") == tree("year:2019..") == Filter("year", "2019-")
    assert tree("year:-2018") == tree("year:..2018") == Filter("year", "-2018")
    assert query_text(tree("a year:2019-")) == "a year:2019-"
    from searchlib.query.parse import year_bounds, years_of
    assert year_bounds("2019-") == (2019, None) and year_bounds("-2018") == (None, 2018)
    assert year_bounds("2019-2021") == (2019, 2021) and year_bounds("2021") == (2021, 2021)
    assert years_of("2019-|2015-2016") == [2015, 2016]   # an open range lists no year


def test_the_advanced_form_joins_everything_to_be_found_by_its_scope():
    from webui.views.meta import advanced_query
    same_report = advanced_query({"all": "法律顾问 村居", "scope": "d", "any": "复议 诉讼", "none": "信访"})
    assert same_report == "(法律顾问 /d 村居 /d (复议 OR 诉讼)) -信访"
    assert isinstance(tree(same_report).children[0], SameReport)
    assert advanced_query({"all": "出庭应诉率", "year_from": "2023"}) == "出庭应诉率 year:2023-"
    assert advanced_query({"all": "出庭应诉率", "year_to": "2020"}) == "出庭应诉率 year:-2020"
    assert advanced_query({"all": "出庭应诉率", "year_from": "2019", "year_to": "2023"}) == "出庭应诉率 year:2019-2023"


def test_a_lowercase_operator_between_chinese_words_is_the_operator_with_a_note():
    parsed = parse("行政复议 or 行政诉讼")
    assert parsed.tree == Or((Words("行政复议"), Words("行政诉讼")))
    assert parsed.problems == ["read 'or' between Chinese words as the operator OR"]
    assert tree("行政复议 not 诉讼") == And((Words("行政复议"), Not(Words("诉讼"))))
    assert tree('"复议" and 诉讼') == And((Exact("复议"), Words("诉讼")))
    # Between Latin words it is a word: English queries keep their phrases.
    assert tree("law or regulation") == And((Words("law"), Words("or"), Words("regulation")))
    assert parse("law or regulation").problems == []
    assert tree("复议 or") == And((Words("复议"), Words("or")))


def test_a_filter_value_that_means_nothing_is_searched_as_words_with_a_note():
    parsed = parse("year:去年")
    assert parsed.tree == Words("去年")
    assert parsed.problems


def test_unknown_field_names_are_words_with_a_note_naming_the_filters_there_are():
    assert tree("foo:bar") == Words("foo:bar")
    [note] = parse("发布机关:常庄街道 法律顾问").problems
    assert note.startswith("发布机关: is not a filter of the query (year province") and "searched as words" in note
    assert parse("http://www.gov.cn 普法").problems == [] and parse("12:00 会议").problems == []


def test_the_sidebar_labels_of_values_are_values_of_the_filter():
    assert tree("文种:其他文件") == Filter("genre", "other")
    assert tree("章节:下一步安排 层级:乡镇级") == And((Filter("section", "plans"), Filter("level", "township")))


def test_canonical_values_drop_meaningless_alternatives():
    assert canonical_filter_value("level", "county|nowhere") == "county"
    assert canonical_filter_value("section", "nowhere") is None


def test_unbalanced_quote_is_the_one_fatal_problem():
    assert parse('"行政复议').fatal
    assert parse('title:"法治').fatal


def test_stray_operators_and_brackets_degrade_with_notes():
    for q, expected in [("a OR", Words("a")), ("OR a", Words("a")), ("a /s", Words("a")), ("(a", Words("a")),
                        ("a)", Words("a")), ("NOT", None), ("()", None)]:
        parsed = parse(q)
        assert parsed.fatal is None and parsed.tree == expected, q


def test_deep_brackets_are_read_flat_not_recursed_into():
    q = "(" * 200 + "a" + ")" * 200
    parsed = parse(q)
    assert parsed.fatal is None and parsed.tree == Words("a")
    assert any(str(MAX_DEPTH) in p for p in parsed.problems)


@given(st.text(max_size=200))
def test_parsing_never_raises_on_any_text(text):
    parse(text)


@given(st.lists(st.sampled_from(['"', "“", "”", "(", "（", ")", "）", "-", "－", "|", "OR", "NOT", "AND", "/s", " ",
                                 "year:", "省份:", "复议", "纠错", "2021", ":", "／ｓ"]), max_size=40))
def test_parsing_never_raises_on_operator_soup(pieces):
    parse("".join(pieces))


# --- a tree written back as a query (searchlib.query.suggest rewrites queries this way) ----------------

def test_a_tree_is_written_back_with_the_brackets_its_reading_needs():
    for q, written in [("行政复议 纠错", "行政复议 纠错"), ("(a /s b) OR c", "a /s b OR c"),
                       ("(复议 | 诉讼) /s 纠错", "(复议 OR 诉讼) /s 纠错"), ("a /d b 年份:2021", "(a /d b) year:2021"),
                       ('+纠错 "出庭应诉率" -(诉讼 | 应诉)', '+纠错 "出庭应诉率" -(诉讼 OR 应诉)'),
                       ("(a b) /s c", "(a b) /s c"),
                       ('层级:乡镇|县级 标题:"法治 政府" a', 'level:township|county title:"法治 政府" a')]:
        assert query_text(tree(q)) == written, q
        assert tree(written) == tree(q)


def test_a_tree_the_language_cannot_say_is_not_written():
    # An unknown filter value is read as a word; this one would read back as the OR operator.
    assert parse("year:OR a").tree == And((Words("OR"), Words("a")))
    assert query_text(parse("year:OR a").tree) is None


@given(st.lists(st.sampled_from(['"复议"', "(", ")", "-", "-(", "|", "OR", "NOT", "/s", "/d", "+纠错", "year:2021",
                                 "省份:四川", "复议", "纠错", "出庭应诉率", "level:county|township", '"法治 政府"']),
                max_size=30))
def test_every_tree_read_from_typed_words_and_operators_is_written_back_as_itself(pieces):
    parsed = parse(" ".join(pieces))
    if parsed.fatal or parsed.tree is None:
        return
    written = query_text(parsed.tree)
    assert written is not None, parsed.tree
    assert parse(written).tree == parsed.tree


def test_the_advanced_form_is_filled_in_from_the_search_it_was_opened_from():
    from werkzeug.datastructures import MultiDict
    from webui.views.meta import advanced_fields, advanced_query
    fields = advanced_fields("行政复议 纠错 year:2019-2021 -信访 层级:县级", MultiDict({"province": "四川"}))
    assert {k: fields[k] for k in ("all", "none", "year_from", "year_to", "level", "province", "scope")} == {
        "all": "行政复议 纠错", "none": "信访", "year_from": "2019", "year_to": "2021", "level": "county",
        "province": "四川", "scope": "p"}
    # Written back, it is the same search.
    assert parse(advanced_query(fields)).tree == parse("行政复议 纠错 -信访 year:2019-2021").tree
    same_report = advanced_fields("法律顾问 /d 村居", MultiDict())
    assert (same_report["all"], same_report["scope"]) == ("法律顾问 村居", "d")
    # More than the form can say stays whole in 包含全部词.
    assert advanced_fields("a /s b OR c", MultiDict())["all"] == "a /s b OR c"
    assert advanced_fields("(a /d b) c", MultiDict())["all"] == "(a /d b) c"


def test_a_wildcard_is_dropped_with_a_note_since_words_are_found_inside_longer_ones():
    parsed = parse("法治* 建设")
    assert parsed.tree == And((Words("法治"), Words("建设")))
    assert parsed.problems == ["ignored the wildcard *: a word is found inside longer words without one"]
    assert parse("*").tree is None
    assert tree('"a*b"') == Exact("a*b")                    # in quotes it is a character
    assert parse("镇上有没有执法队？").problems == []          # a question mark is no wildcard
