"""The query-language help (with its JSON twin) and the health check for monitoring."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from searchlib.query.search import MAX_LIMIT, MAX_OFFSET
from searchlib.query.parse import (BODY_ALIASES, FIELD_ALIASES, LEVEL_ALIASES, MAX_QUERY_CHARS, SECTION_ALIASES, And,
                                   Exact, Filter, Not, Or, SameReport, SameSentence, Words, canonical_filter_value,
                                   parse, year_bounds)

from webui import present
from webui.params import MAX_API_LIMIT, STATS_MAX_QUERIES
from webui.store import library

bp = Blueprint("meta", __name__)

# (what it is, example query, what it finds): every example is a link to its search.
SYNTAX = (
    ("多个词", "行政复议 纠错", "默认按报告分层列出：同一段含两个词的报告在前，同一报告含两个词的其次，只含其一的最后；"
     "每个词还按其拆分词、同义词查找（“理解为”下方逐一列出，可逐词关闭）。"),
    ("精确模式", "行政复议 纠错", "把“匹配”选为“精确”（URL 加 mode=strict，命令行 --strict）：只要同一段含全部检索词的报告。"),
    ("必含 +", "法律顾问 +村居", "加号开头的词必须出现，不含它的报告不列出。"),
    ("同篇 /d", "行政复议 /d 法律顾问", "两个词出现在同一份报告中（可在不同段落）。"),
    ("英文", "administrative reconsideration", "常用英文术语按中文词检索（如 行政复议）。"),
    ("精确字符串", '"出庭应诉率"', "段落原文包含这串字，不受分词影响；全角引号“”也可以。"),
    ("跨词精确", '"治政"', "即使“治政”跨越了分词边界（法治/政府），也能找到。"),
    ("同句 /s", "行政复议 /s 纠错", "两个词出现在同一句话中（按 。！？； 断句）。"),
    ("或 OR", "复议 OR 诉讼", "任一个词出现即可；也可写作 复议 | 诉讼；中文词之间的小写 or 也按 OR 处理。"),
    ("非 NOT", "复议 NOT 诉讼", "包含前者但不含后者；也可写作 复议 -诉讼。"),
    ("分组", "(复议 | 诉讼) 纠错", "括号改变组合顺序。"),
    ("年份", "year:2019-2021 法律顾问", "报告年度，可写单年、区间、几年（year:2019,2021）或开放区间（year:2019- 即 2019 年以来）；中文写法 年份:2021。其他筛选也可用逗号、顿号或 | 列出几个值。"),
    ("省份", "province:四川 行政执法", "地名可用简称；中文写法 省份:四川。"),
    ("层级", "level:county 出庭应诉", "province / city / county / township；中文写法 层级:县级。"),
    ("主体", "body:department 执法", "government（政府）或 department（部门）；中文写法 主体:部门。"),
    ("章节", "章节:存在问题 执法", "只在某类章节中检索：成效、存在问题、下一步、履职。"),
    ("繁体与全角", "行政復議", "繁体、全角字母数字与简体、半角等同处理。"),
    ("通配符", "法治*", "不需要：检索词在更长的词中也能查到（法治 查到 法治政府）；* 会被忽略并提示。"),
)


# The research views of one query (issue 7): (path, name, what it shows, example URL).
VIEWS = (
    ("/kwic", "索引行 KWIC",
     "检索词的每一处出现：左侧语境 | 检索词 | 右侧语境，对齐排列；sort=left|right|year|region 排序，width= 语境字数"
     "（1–100，默认 20）；每行链接到该段的永久链接。参数与 /search 相同（q、年份、地区等筛选、boilerplate）。",
     "/kwic?q=行政复议&sort=right"),
    ("/stats", "分布 stats",
     "一个或几个检索式（重复 q：q=…&q=…，至多 4 个）按 by=year|province|city|county 统计匹配段落数、匹配报告数，"
     "与语料覆盖（该格的报告数、字数）对照，给出每百份报告、每万字的比率；语料中无报告的格子是空缺，不是零。"
     "图表为 SVG（metric= 选择指标），可下载放入论文。",
     "/stats?q=行政复议&q=出庭应诉&by=year"),
)


def aliases() -> dict[str, list[str]]:
    """For each filter field, the Chinese names a query may use for it."""
    out: dict[str, list[str]] = {}
    for alias, name in FIELD_ALIASES.items():
        if alias != name:
            out.setdefault(name, []).append(alias)
    return out


def help_content() -> dict:
    return {
        "syntax": [{"name": n, "query": q, "meaning": m} for n, q, m in SYNTAX],
        "field_aliases": aliases(),
        "value_aliases": {"section": _grouped(SECTION_ALIASES), "level": _grouped(LEVEL_ALIASES),
                          "body": _grouped(BODY_ALIASES)},
        "facets": [{"param": p, "title": t, "meaning": m} for p, _, t, m in present.FACETS],
        "views": [{"path": p, "name": n, "meaning": m, "example": e} for p, n, m, e in VIEWS],
        "boilerplate": {"param": "boilerplate", "values": present.BOILERPLATE_LABELS,
                        "meaning": present.BOILERPLATE_MEANING},
        # Every request is bounded by these (a request past one gets a 400 that says what to do instead).
        "limits": {"query_chars": MAX_QUERY_CHARS, "pages": current_app.config["MAX_PAGE"],
                   "page_size": current_app.config["PAGE_SIZE"], "api_limit": min(MAX_API_LIMIT, MAX_LIMIT),
                   "api_offset": MAX_OFFSET, "export_rows": current_app.config["EXPORT_LIMIT"],
                   "kwic_paragraphs": current_app.config["KWIC_MAX_PARAGRAPHS"],
                   "kwic_rows": current_app.config["KWIC_MAX_ROWS"], "stats_queries": STATS_MAX_QUERIES},
    }


def _grouped(table: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alias, value in table.items():
        if alias != value:
            out.setdefault(value, []).append(alias)
    return out


@bp.get("/help")
def help_page():
    return render_template("help.html", help=help_content())


# The advanced form's scopes: how its "all of these words" are joined.
SCOPES = {"p": ("同段", " "), "d": ("同篇", " /d "), "s": ("同句", " /s ")}


def advanced_query(form) -> str:
    """The query string the advanced form describes, in the query language a researcher can read and edit. The scope
    joins everything that must be found (the words, the exact phrase, the either-or group): 同篇 is all of them in
    one report, not the first word in one report with the rest in one paragraph."""
    joiner = SCOPES.get(form.get("scope", "p"), SCOPES["p"])[1]
    found = list(form.get("all", "").split())
    if form.get("phrase", "").strip():
        found.append('"' + form["phrase"].strip().replace('"', "") + '"')
    anyof = form.get("any", "").split()
    if anyof:
        found.append("(" + " OR ".join(anyof) + ")" if len(anyof) > 1 else anyof[0])
    excluded = ["-" + w for w in form.get("none", "").split()]
    joined = joiner.join(found)
    # Bracketed before a NOT: 同篇/同句 binds looser than a word, so -x would join the last member.
    parts = [f"({joined})" if excluded and len(found) > 1 and joiner.strip() else joined] if found else []
    parts.extend(excluded)
    lo, hi = form.get("year_from", "").strip(), form.get("year_to", "").strip()
    if lo and hi:
        parts.append(f"year:{lo}-{hi}" if lo != hi else f"year:{lo}")
    elif lo or hi:
        parts.append(f"year:{lo}-" if lo else f"year:-{hi}")   # from a year on, or up to one
    return " ".join(p for p in parts if p)


# The form's own fields besides the words; every other argument of a search rides along unchanged (hidden).
ADVANCED_FILTERS = ("province", "level", "section")
CARRIED = ("city", "county", "township", "body", "genre", "boilerplate", "sort", "group")


def advanced_fields(q: str, args) -> dict[str, str]:
    """The form filled in from a search (its query string and URL filters), where the form can say the query; a query
    it cannot split into its fields stays whole in 包含全部词."""
    fields = {name: args.get(name, "").strip() for name in (*ADVANCED_FILTERS, "mode")}
    fields.update(year_from="", year_to="", all=q, phrase="", any="", none="", scope="p")
    if args.get("year"):
        first, last = _years(args["year"])
        fields.update(year_from=first, year_to=last)
    parsed = parse(q)
    tree = parsed.tree
    if parsed.fatal or tree is None:
        return fields
    members = list(tree.children) if isinstance(tree, And) else [tree]
    words, phrases, anyof, none, scope = [], [], [], [], "p"
    for member in members:
        if isinstance(member, (SameReport, SameSentence)) and scope == "p" and \
                all(isinstance(c, (Words, Exact)) for c in member.children):
            scope = "d" if isinstance(member, SameReport) else "s"
            words += [c.text for c in member.children if isinstance(c, Words)]
            phrases += [c.text for c in member.children if isinstance(c, Exact)]
        elif isinstance(member, Words) and not member.required:
            words.append(member.text)
        elif isinstance(member, Exact) and not phrases:
            phrases.append(member.text)
        elif isinstance(member, Or) and not anyof and all(isinstance(c, Words) for c in member.children):
            anyof = [c.text for c in member.children]
        elif isinstance(member, Not) and isinstance(member.child, Words):
            none.append(member.child.text)
        elif isinstance(member, Filter) and member.field == "year" and "|" not in member.value:
            fields["year_from"], fields["year_to"] = _years(member.value)
        elif isinstance(member, Filter) and member.field in ADVANCED_FILTERS and "|" not in member.value \
                and not fields[member.field]:
            fields[member.field] = member.value
        else:
            return fields   # more than the form can say: the query stays whole
    positive = [m for m in members if not isinstance(m, (Not, Filter))]
    if scope != "p" and len(positive) > 1:
        return fields   # 同篇 over some of the words only: the form's scope covers all of them
    fields.update(all=" ".join(words), phrase=" ".join(phrases), any=" ".join(anyof), none=" ".join(none),
                  scope=scope)
    return fields


def _years(value: str) -> tuple[str, str]:
    canonical = canonical_filter_value("year", value)
    if canonical is None or "|" in canonical:
        return "", ""
    first, last = year_bounds(canonical)
    return (str(first) if first else ""), (str(last) if last else "")


@bp.get("/advanced")
def advanced_page():
    """高级检索: a form that writes an ordinary query string and sends the researcher to its search URL."""
    args = request.args
    if args.get("go"):
        query = advanced_query(args)
        target = {"q": query or None}
        for name in (*ADVANCED_FILTERS, *CARRIED):
            if args.get(name, "").strip():
                target[name] = args[name].strip()
        if args.get("mode") == "strict":
            target["mode"] = "strict"
        return redirect(url_for("search.search_page", **{k: v for k, v in target.items() if v}))
    q = args.get("q", "")
    return render_template("advanced.html", q=q, scopes=SCOPES, fields=advanced_fields(q, args),
                           carried={name: args[name] for name in CARRIED if args.get(name)},
                           levels=LEVEL_ALIASES, sections=SECTION_ALIASES)


@bp.get("/api/help")
def api_help():
    return jsonify(help_content())


@bp.get("/healthz")
def healthz():
    """200 with the index's size when searches can be answered; 503 otherwise (see webui.errors)."""
    return jsonify(status="ok", **library().stats())
