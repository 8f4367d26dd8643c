"""The query layer's messages in the pages' language.

searchlib speaks English (the CLI and the JSON API show its words as they are); a Chinese page
shows the same message in Chinese, with the English term beside it where the UI already pairs
them (检索语法 Help, 同句 /s). One table, pattern -> Chinese, so a message reads the same on
every page. A message the table does not know yet is shown in English after a Chinese lead-in,
never dropped.
"""
from __future__ import annotations

import re

_QUOTE_HINT = '引号表示原文精确出现，如 "出庭应诉率"'

# (English pattern, Chinese template): a template's {name} is the pattern's group of that name.
MESSAGES: tuple[tuple[str, str], ...] = (
    (r'unbalanced quote: .*',
     f'引号不成对（unbalanced quote）：请补上右引号 "，或删去左引号。{_QUOTE_HINT}。'),
    (r"closed an unmatched '\('", "自动补上了缺少的右括号 )（unmatched bracket）。"),
    (r"ignored an unmatched '\)'", "忽略了多余的右括号 )（unmatched bracket）。"),
    (r"ignored an OR with nothing on one side", "OR（或）的一侧没有内容，已忽略这个 OR。"),
    (r"ignored a /s with nothing on one side", "/s（同句）的一侧没有内容，已忽略这个 /s。"),
    (r"/s joins words and quoted strings, not filters; read as AND",
     "/s（同句）只能连接词语和引号中的字符串，不能连接筛选条件；已按 AND（同段）处理。"),
    (r"ignored a dangling (?P<op>NOT|-)", "{op} 后面没有内容，已忽略。"),
    (r"read '(?P<word>\w+)' between Chinese words as the operator (?P<op>\w+)",
     "中文词语之间的小写 {word} 已按运算符 {op} 处理（运算符通常大写：OR、AND、NOT）。"),
    (r"ignored (?P<field>\S+): with no value", "筛选条件 {field}: 没有给出值，已忽略。"),
    (r"only the first (?P<n>\d+) terms are used", "检索项过多，只使用了前 {n} 个。"),
    (r"unknown value '(?P<value>.*)' for (?P<field>\w+): searched as words",
     "筛选条件{field_title}（{field}）没有“{value}”这个值，已按普通词语检索。"),
    (r"(?P<name>\S+): is not a filter of the query \((?P<names>.*)\): (?P<raw>.*) was searched as words",
     "“{name}:”不是检索式中的筛选条件（可用：年份: 省份: 城市: 区县: 乡镇: 层级: 主体: 章节: 文种: 标题:；"
     "发布机关、发布年份请用左侧筛选项），“{raw}”已按普通词语检索。"),
    (r"'(?P<word>.*)' is not in the English glossary .*",
     "英文“{word}”不在英文术语表（data/glossary_en.txt）中，已按原文检索；报告是中文，改用中文词能找到更多。"),
    (r"brackets nested deeper than (?P<n>\d+) levels were ignored", "括号嵌套超过 {n} 层，多出的括号已忽略。"),
    (r"query too long \((?P<n>\d+) characters; the limit is (?P<limit>\d+)\)",
     "检索式过长：共 {n} 字，上限 {limit} 字。请删减后重试。"),
    (r"query nested too deeply", "检索式的括号嵌套过深，请简化后重试。"),
    (r"no report in the index is from (?P<field>\w+) '(?P<value>.*)'",
     "索引中没有来自“{value}”的报告（{field_title}）：请检查地名，或用全称、简称（如 四川、四川省）。"),
    (r"ignored the wildcard \*.*", "已忽略通配符 *：检索词在更长的词中也能查到，无需通配符。"),
    (r"the query holds nothing to search for.*", "检索式中没有可检索的词（只有运算符、括号或空引号）。请输入要查找的词语。"),
    (r"cannot read published='(?P<raw>.*)' as a year or a range of years.*",
     "无法把发布年份 published={raw} 理解为年份或年份区间（如 2020-2022）。"),
    (r"cannot read (?P<name>\w+)='(?P<raw>.*)' as a filter", "无法把 {name}={raw} 理解为筛选条件。"),
    (r"unknown sort '(?P<sort>.*)'; use one of (?P<choices>.*)", "未知的排序方式 {sort}；可用：{choices}。"),
    (r"unknown boilerplate filter '(?P<mode>.*)'; use one of (?P<choices>.*)",
     "未知的模板段落筛选 {mode}；可用：{choices}。"),
    (r"the boilerplate filter needs the text reuse pass.*",
     "本索引尚未计算文本复用（管理员可运行 searchlib reuse --build），暂不能按模板段落筛选。"),
    (r"offset (?P<offset>\d+) is too deep.*", "翻页过深（第 {offset} 条之后）：请增加筛选条件缩小范围。"),
    (r"limit and offset must be whole numbers", "每页条数和起始位置须为整数。"),
    (r"limit and offset must not be negative", "每页条数和起始位置不能为负数。"),
    (r"a filter inside OR, NOT or /s in '(?P<q>.*)' narrows the matches but not the coverage.*",
     "“{q}”中有写在 OR、NOT 或 /s 之内的筛选条件：它只缩小匹配，不缩小计算比率所用的语料覆盖，"
     "比率会失真。请把筛选条件写在整个检索式上（如 年份:2021 …），或用上方的筛选项。"),
    (r"the queries compared in one table must share their filters.*",
     "同一张分布表中比较的检索式须使用相同的筛选条件（年份:、省份:、层级: 等），否则各自的比率分母不同。"
     "请把筛选条件只写一次（用筛选项），或按年份、地区分组比较。"),
    (r"cannot count by '(?P<by>.*)'; use one of (?P<choices>.*)", "未知的统计单元 {by}；可用：{choices}。"),
    (r"compare 1 to (?P<n>\d+) queries", "请给出 1 到 {n} 个检索式。"),
    (r"unknown concordance sort '(?P<sort>.*)'; use one of (?P<choices>.*)",
     "未知的索引行排序方式 {sort}；可用：{choices}。"),
    (r"context width must be between 0 and (?P<n>\d+) characters", "语境宽度须在 0 到 {n} 字之间。"),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), template) for pattern, template in MESSAGES)
UNKNOWN_LEAD = "检索式有问题"


def zh(message: str) -> str:
    """The Chinese of one of searchlib's messages (see the module docstring)."""
    text = str(message)
    for pattern, template in _COMPILED:
        found = pattern.fullmatch(text)
        if found:
            values = found.groupdict()
            if "field" in values:
                from webui.present import filter_title   # present imports this module
                values["field_title"] = filter_title(values["field"])
            return template.format(**values)
    return f"{UNKNOWN_LEAD}（{text}）"
