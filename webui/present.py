"""Presentation: labels, facet sidebars, report outlines, citations and serializers.

Nothing here searches; it turns the query layer's results into what pages
and JSON twins show.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath

from searchlib import fields
# The one CSV writer (searchlib.export), under the names the web's views and tests use.
from searchlib.export import PARAGRAPH_COLUMNS, csv_bytes, paragraph_number, spreadsheet_safe  # noqa: F401
from searchlib.fields import LEVEL_LABELS
from searchlib.query.parse import canonical_filter_value, has_terms, parse
from searchlib.query.rules import query_words
from searchlib.research.reuse import ReuseStore, paragraph_summary
from searchlib.query.search import BOILERPLATE_MIN_OTHER_REPORTS, MAX_QUERY_CHARS, Results
from searchlib.research.stats import METRIC_LABELS
from searchlib.query.suggest import Suggestion
from searchlib.query.tiers import TIER_LABELS, describe

from webui.messages import zh
from webui.params import KWIC_MAX_WIDTH, SearchState

UNKNOWN = "unknown"   # what the query layer's facets call a missing value

# Value labels (LEVEL_LABELS …), facet titles and meanings: searchlib.fields.
SORT_LABELS = {"relevance": "相关度", "newest": "年份从新到旧", "oldest": "年份从旧到新", "published": "发布日期从新到旧"}

# (URL parameter, facet key in Results.facets, Chinese title, what it means), from the field registry.
FACETS = tuple((f.param, f.name, f.label, f.meaning) for f in (fields.BY_NAME[name] for name in fields.FACETS))
PLACE_PARAMS = fields.PLACE_FIELDS
FACET_PREVIEW = 8     # values shown before "更多"


def value_label(param: str, value) -> str:
    if value is None or value == UNKNOWN:
        return "未标注"
    return fields.value_labels(param).get(str(value), str(value))


def filter_label(param: str, value: str) -> str:
    """How a URL filter reads in a chip; aliases (章节=存在问题) are shown by their meaning."""
    canonical = canonical_filter_value(param, value) if fields.value_labels(param) else None
    if canonical and "|" in canonical:
        return "、".join(value_label(param, v) for v in canonical.split("|"))
    return value_label(param, canonical or value)


def locality(record) -> str:
    """省 市 区县 乡镇, without repeating a municipality's name (天津市 天津市)."""
    return fields.place(record)


# --- the facet sidebar ----------------------------------------------------------------

@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    link: dict[str, str] | None    # URL args that toggle this value; None: cannot be filtered on


@dataclass
class Facet:
    param: str
    title: str
    values: list[FacetValue]
    selected: bool

    @property
    def preview(self) -> list[FacetValue]:
        return self.values[:FACET_PREVIEW]

    @property
    def more(self) -> list[FacetValue]:
        return self.values[FACET_PREVIEW:]


def _is_selected(param: str, value, current: str | None) -> bool:
    if not current:
        return False
    if param in PLACE_PARAMS:   # 四川 selects 四川省
        return str(value) == current or str(value).startswith(current)
    if param == "year":
        return str(value) == canonical_filter_value("year", current)
    if param in ("publisher", "published"):
        return str(value) == current
    canonical = canonical_filter_value(param, current) or current
    return str(value) in canonical.split("|")


def _single_known(pairs) -> bool:
    return len([v for v, _ in pairs if v != UNKNOWN]) == 1


def facets(results: Results, state: SearchState) -> list[Facet]:
    """The sidebar: every facet with counts; places drill down province → city → county."""
    out: list[Facet] = []
    for param, key, title, _ in FACETS:
        pairs = results.facets.get(key) or []
        if not pairs:
            continue
        parent = fields.BY_NAME[key].nested_under   # city once a province is chosen (or the only one)
        if parent and not (parent in state.filters or _single_known(results.facets.get(parent, []))):
            continue
        if param == "genre" and len(pairs) < 2 and "genre" not in state.filters:
            continue   # one genre everywhere says nothing
        current = state.filters.get(param)
        values = []
        for value, count in pairs:
            selected = _is_selected(param, value, current)
            if value == UNKNOWN:
                link = None  # the query layer cannot filter on a missing value
            elif selected:
                link = state.without_filter(param)
            else:
                link = state.with_filter(param, str(value))
            values.append(FacetValue(str(value), value_label(param, value), count, selected, link))
        out.append(Facet(param, title, values, selected=bool(current)))
    if (control := boilerplate_facet(results, state)) is not None:
        out.append(control)
    return out


BOILERPLATE_TITLE = "模板段落"
BOILERPLATE_LABELS = {"hide": "隐藏模板段落", "only": "只看模板段落"}
BOILERPLATE_MEANING = (f"与另外 {BOILERPLATE_MIN_OTHER_REPORTS} 份或更多报告相同或几乎相同（八成以上文字相同）的段落，"
                       "多为照抄的套话。可隐藏它们，只看各地自己的表述；或只看它们。")


def boilerplate_facet(results: Results, state: SearchState) -> Facet | None:
    """Hide or show only template paragraphs, with how many matches each choice leaves.

    Shown only when the index has its text reuse pass (the query layer then counts them).
    """
    counts = dict(results.facets.get("boilerplate") or [])
    if not counts:
        return None
    values = []
    for mode, label in BOILERPLATE_LABELS.items():
        selected = state.boilerplate == mode
        link = state.args(boilerplate=None if selected else mode)
        values.append(FacetValue(mode, label, counts.get(mode, 0), selected, link))
    return Facet("boilerplate", BOILERPLATE_TITLE, values, selected=bool(state.boilerplate))


@dataclass
class Chip:
    param: str
    label: str
    remove: dict[str, str]


def chips(state: SearchState) -> list[Chip]:
    out = [Chip(param, f"{filter_title(param)}：{filter_label(param, value)}",
                state.without_filter(param))
           for param, value in state.filters.items()]
    if state.boilerplate:
        out.append(Chip("boilerplate", BOILERPLATE_LABELS.get(state.boilerplate, state.boilerplate),
                        state.args(boilerplate=None)))
    return out


# --- text reuse ---------------------------------------------------------------------------

def reuse_of(store: ReuseStore | None, pids, limit: int) -> dict[str, dict]:
    """For each paragraph shared with another report: the earliest ``limit`` others, how many more,
    and the earliest of all (paragraphs shared with no other report are left out: they say nothing)."""
    if store is None:
        return {}
    return {pid: paragraph_summary(store, pid, limit) for pid in pids if store.shared_count(pid)}


def similarity_label(jaccard: float) -> str:
    return "相同" if jaccard >= 1.0 else f"{jaccard:.0%} 相似"


def facet_unit(results) -> str:
    """What the facet counts count: paragraphs, those matching strictly when something was searched for."""
    return "同段含全部检索词的段落数" if has_terms(results.query) else "段落数"


def tier_line(results) -> str:
    """The line that says how the reports of a tiered result divide (empty for other results)."""
    return describe(results.tiers, words=has_terms(results.query)) if results.tiers is not None else ""


def concept_notes(results, state: SearchState) -> list[dict]:
    """Per concept of a tiered result: how it was looked for, and a link that searches it as typed only
    (quoted: no parts, no thesaurus), so every expansion can be switched off per word; for a run of several
    words, that its words count anywhere in one paragraph, and how many paragraphs write it as typed."""
    notes = []
    for used in results.concepts:
        ways = []
        written = used.get("as_written")
        by_words = (f"按词匹配：{'、'.join(query_words(used['concept']))} 在同一段即算，原样连写的 {written} 段"
                    if written is not None else "")
        if used["parts"]:
            ways.append("拆分 " + " + ".join(used["parts"]))
        if used["synonyms"]:
            ways.append("同义 " + "、".join(used["synonyms"][:8]) + ("等" if len(used["synonyms"]) > 8 else ""))
        if used["pieces"]:
            ways.append("部分 " + "、".join(used["pieces"]))
        if used["related"]:
            ways.append("相关 " + "、".join(used["related"][:8]) + ("等" if len(used["related"]) > 8 else ""))
        if used["common"]:
            ways.append("常见词 " + "、".join(used["common"]) + "（仅含它们的报告列在最后）")
        concept = used["concept"]
        off = None
        # A concept of several words (an English phrase joined from the glossary) is quoted whole only in English
        # (it then finds only the English words themselves).
        quotable = " " not in concept or concept.isascii()
        if (ways or by_words) and quotable and not concept.startswith('"') and concept in state.q:
            off = state.args(q=state.q.replace(concept, f'"{concept}"', 1))
        notes.append({"concept": ("+" if used["required"] else "") + concept, "ways": ways, "off": off,
                      "by_words": by_words})
    return notes


SUGGESTION_LABELS = {"words": "按词检索，不要求原文连续出现", "same_report": "同篇即可，不要求同段",
                     "same_paragraph": "同段即可，不要求同句",
                     "exact": "按原文字符串精确检索，不受分词影响",
                     "fuzzy": "改用模糊检索（按报告分层列出，含部分匹配）"}


def _suggestion_label(s: Suggestion) -> str:
    if s.kind == "drop":
        return f"去掉“{s.dropped}”"
    if s.kind == "no_filter":
        name, _, value = s.dropped.partition(":")
        return f"去掉筛选条件“{fields.label(name)}:{value}”"
    return SUGGESTION_LABELS[s.kind]


def suggestion_items(suggestions: list[Suggestion], state: SearchState) -> list[dict]:
    """Each suggested variant (searchlib.query.suggest) as the page shows it: why, the query, what it finds in this
    view, and the page's URL arguments with only the query changed (every filter and choice kept)."""
    items = []
    for s in suggestions:
        if s.view == "paragraphs":
            count = f"{s.paragraphs} 段（{s.reports} 份报告）"
        elif s.view == "tiers":
            every = "其余" if s.kind == "drop" else "全部"
            where = f"其中 {s.same_paragraph} 份同段，{s.paragraphs} 段" if s.paragraphs else "不在同一段"
            count = f"{s.reports} 份报告含{every}检索词（{where}）"
            if s.partial:
                count = (f"{count}，另 {s.partial} 份部分匹配" if s.reports
                         else f"{s.partial} 份报告部分匹配（没有一份含全部检索词）")
        else:
            count = f"{s.reports} 份报告（{s.paragraphs} 段）"
        items.append({**s.to_json(), "count": count, "label": _suggestion_label(s),
                      "args": state.args(q=s.q, **s.changes)})
    return items


# --- reports and paragraphs ------------------------------------------------------------

REPORT_KEYS = fields.REPORT_FIELDS   # every report-level field the index stores


def report_meta(stored: dict) -> dict:
    """The report-level fields carried by any of its paragraphs."""
    meta = {key: stored.get(key) for key in REPORT_KEYS}
    meta["locality"] = locality(stored)
    meta["label"] = title_label(meta)
    # The file's name says what it is; the server's directories are nobody's business.
    if meta["source"]:
        meta["source"] = PurePath(meta["source"]).name
    meta["sources"] = [{"file": PurePath(s.get("path") or "").name, "url": s.get("url"),
                        "fetched_at": s.get("fetched_at")} for s in stored.get("sources") or []]
    return meta


def title_label(meta: dict) -> str:
    """The report's title, or an honest label in its place: what is known (place, year), bracketed
    as a title supplied by the cataloguer, and saying the page has none."""
    if meta.get("title"):
        return meta["title"]
    place = "".join((locality(meta) or "").split())
    year = f"{meta['report_year']}年" if meta.get("report_year") else ""
    known = place + year
    kind = "报告" if meta.get("genre") in (None, "report") else "文件"   # a news item or a notice is no report
    return f"[{known}{kind}（原文无题名）]" if known else "[无题名]"


def paragraph_record(stored: dict) -> dict:
    return {"pid": stored["pid"], "doc_id": stored["doc_id"], "position": stored.get("position", 0),
            "paragraph_number": paragraph_number(stored.get("position", 0)), "section_kind": stored.get("section_kind"),
            "section_heading": stored.get("heading"), "text": stored.get("text", ""),
            "url": f"/p/{stored['pid']}"}


@dataclass
class Section:
    anchor: str
    heading: str | None
    kind: str | None
    paragraphs: list[dict]


def outline(paragraphs: list[dict]) -> list[Section]:
    """A report's paragraphs (reading order) cut into its sections, for the table of contents."""
    sections: list[Section] = []
    for stored in paragraphs:
        heading, kind = stored.get("heading"), stored.get("section_kind")
        if not sections or (sections[-1].heading, sections[-1].kind) != (heading, kind):
            sections.append(Section(f"s{len(sections) + 1}", heading, kind, []))
        sections[-1].paragraphs.append(stored)
    return sections


def author(meta: dict) -> str:
    """主要责任者 of a citation: the publisher the page names, else, for a government's report, the government of its
    place when the place is pinned to one division (a division code), else 佚名: never an author from a guessed place,
    nor a government for a news article or a notice found on its site."""
    if meta.get("publisher"):
        return meta["publisher"]
    if meta.get("body") != "government" or not meta.get("division_code") or meta.get("genre") not in (None, "report"):
        return "佚名"
    township, county, city, province = (meta.get(k) for k in ("township", "county", "city", "province"))
    if township:
        return township + ("办事处" if township.endswith("街道") else "人民政府")
    if county:   # 成都市武侯区人民政府: a district's name is only unique within its city
        return (city if city and city != county else "") + county + "人民政府"
    if city or province:
        return (city or province) + "人民政府"
    return "佚名"


def citation(meta: dict, paragraph_number: int | None, url: str, cited_on: dt.date | None = None) -> str:
    """A GB/T 7714-2015 reference to an online report ([EB/OL]), located at one paragraph.

    The standard's order for electronic resources is
    主要责任者. 题名[EB/OL]. 出版年: 引文页码(更新或修改日期)[引用日期]. 获取和访问路径.
    Reports have no pages, so the locator is the paragraph: 第N段. Without a locator (the whole
    report) the year is left out, as in the standard's example (更新或修改日期)[引用日期].
    The access path is the page's original URL when it is known, else ``url`` (our permalink).
    """
    cited_on = cited_on or dt.date.today()
    url = meta.get("url") or url
    title = title_label(meta)
    published = meta.get("publish_date")
    updated = f"({published})" if published else ""
    if paragraph_number:   # the locator needs the year it belongs to
        year = published[:4] if published else "[出版年不详]"
        where = f"{year}: 第{paragraph_number}段{updated}"
    else:                  # the whole report: the standard's own short form, e.g. (2001-12-19)[2002-04-15]
        where = updated
    return f"{author(meta)}. {title}[EB/OL]. {where}[{cited_on.isoformat()}]. {url}."


def _known_author(meta: dict) -> str | None:
    name = author(meta)
    return None if name == "佚名" else name


def ris_entry(meta: dict, paragraph_number: int | None, url: str, cited_on: dt.date | None = None) -> str:
    """One RIS record (Zotero, EndNote): the report, located at a paragraph; only what is known."""
    cited_on = cited_on or dt.date.today()
    # A report is RPRT; a plan, notice or news article found among them is a web page (ELEC), not a report.
    lines = [f"TY  - {'RPRT' if meta.get('genre') in (None, 'report') else 'ELEC'}", f"TI  - {title_label(meta)}"]
    if name := _known_author(meta):
        lines.append(f"AU  - {name}")
    if meta.get("publish_date"):
        lines += [f"PY  - {meta['publish_date'][:4]}", f"DA  - {meta['publish_date'].replace('-', '/')}"]
    if meta.get("locality"):
        lines.append(f"CY  - {''.join(meta['locality'].split())}")
    if paragraph_number:
        lines.append(f"N1  - 第{paragraph_number}段; 段落链接 {url}")
    lines += [f"UR  - {meta.get('url') or url}", f"Y2  - {cited_on.isoformat()}"]
    if meta.get("fetched_at"):
        lines.append(f"N1  - 采集于 {meta['fetched_at']}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def _bib(value: str) -> str:
    return value.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}")


def bibtex_entry(meta: dict, paragraph_number: int | None, url: str, cited_on: dt.date | None = None,
                 key: str | None = None) -> str:
    """One BibTeX @misc entry; the author in double braces (a body's name, not a person's). Its key is the report's
    id and the paragraph's number: several paragraphs of one report in one file must not share a key."""
    cited_on = cited_on or dt.date.today()
    entries = [("title", "{" + _bib(title_label(meta)) + "}")]
    if name := _known_author(meta):
        entries.append(("author", "{{" + _bib(name) + "}}"))
    if meta.get("publish_date"):
        entries += [("year", "{" + meta["publish_date"][:4] + "}"), ("date", "{" + meta["publish_date"] + "}")]
    entries += [("url", "{" + (meta.get("url") or url) + "}"), ("urldate", "{" + cited_on.isoformat() + "}")]
    notes = [f"第{paragraph_number}段, {url}"] if paragraph_number else []
    if meta.get("fetched_at"):
        notes.append(f"采集于 {meta['fetched_at']}")
    if notes:
        entries.append(("note", "{" + _bib("; ".join(notes)) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in entries)
    if key is None:
        key = (meta.get("doc_id") or "report") + (f"-p{paragraph_number}" if paragraph_number else "")
    return f"@misc{{{key},\n{body}\n}}\n"


# (suffix, content type, one entry) of each citation export.
CITATION_FORMATS = {
    "txt": ("text/plain; charset=utf-8", lambda meta, n, url: citation(meta, n, url) + "\n"),
    "ris": ("application/x-research-info-systems; charset=utf-8", ris_entry),
    "bib": ("application/x-bibtex; charset=utf-8", bibtex_entry),
}


# --- JSON and CSV ----------------------------------------------------------------------

def search_json(results: Results, reuse_store: ReuseStore | None = None, reuse_limit: int = 5) -> dict:
    """The CLI's ``--json`` shape: one serializer in the query layer, so the two cannot drift."""
    return results.to_json(reuse_store, reuse_limit)


EXPORT_COLUMNS = PARAGRAPH_COLUMNS


# --- moving between the views of one query ----------------------------------------------

VIEWS = (("search", "search.search_page", "段落", "search"), ("kwic", "research.kwic_page", "索引行", "KWIC"),
         ("stats", "research.stats_page", "分布", "stats"))


def without_every_file(args: dict[str, str]) -> dict[str, str]:
    """A distribution's arguments for a view that counts every file unless a genre is chosen: genre=all, the
    distribution's "every file", is no genre there (and refused as one)."""
    return {k: v for k, v in args.items() if not (k == "genre" and v == "all")}


def view_links(args: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(view, Chinese name, English name, URL) of the same query in each view.

    The distribution has no boilerplate filter (its coverage counts every
    paragraph), so its link leaves that choice out.
    """
    from flask import url_for

    out = []
    for view, endpoint, name, english in VIEWS:
        kept = {k: v for k, v in args.items() if not (view == "stats" and k == "boilerplate")}
        if view != "stats":
            kept = without_every_file(kept)
        out.append((view, name, english, url_for(endpoint, **kept)))
    return out


KWIC_SORT_LABELS = {"left": "按左侧语境", "right": "按右侧语境", "year": "按年份", "region": "按地区"}
BY_LABELS = {"year": "年份", "province": "省份", "city": "城市", "county": "区县"}


def filter_title(param: str) -> str:
    return fields.label(param)


def query_notes(q: str) -> list[str]:
    """What the parser noted about a query (an auto-closed bracket, an ignored OR …), in Chinese."""
    return [zh(note) for note in parse(q or "").problems]


def rate(value) -> str:
    """A rate as a table shows it: at most two decimals, no trailing zeros."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


# The research tools (issue 22): (endpoint, Chinese name, English name), in the nav of each tool page.
TOOL_LINKS = (("tools.indicators_page", "指标", "indicators"), ("tools.compliance_page", "发布时效", "compliance"),
              ("tools.diffusion_page", "扩散", "diffusion"), ("tools.collocates_page", "搭配", "collocates"),
              ("tools.frequency_page", "词频", "frequency"), ("tools.keyness_page", "关键词", "keyness"),
              ("tools.similar_page", "相似段落", "similar"))
STATUS_LABELS = {"on_time": "按时", "late": "逾期", "no_date": "无发布日期", "no_year": "年度不详"}

# What each page is for, shown at its top (base.html, "本页说明"): endpoint -> one paragraph. Every HTML page
# has one (tests/test_help_and_filters.py); the query syntax itself is on /help, linked from each.
PAGE_HELP = {
    "search.search_page": "输入检索词，默认按报告分层列出结果（也可按段落列出）；左侧分面按年份、地区、层级、章节等筛选，"
                          "分面数字是同段含全部检索词的段落数（精确计数，不含第二至四层）。每个段落都有永久链接，可直接引用；"
                          "结果可导出为 CSV 或 JSON。",
    "meta.help_page": "检索式的写法、筛选字段及其中文别名、各页面与接口，以及每个请求的上限。",
    "meta.advanced_page": "用表单组合检索条件（全部词、精确短语、任一词、排除词、年份、地区、层级、章节），"
                          "生成普通检索式并转到结果页，之后可直接修改检索式。",
    "reading.paragraph_page": "一个段落及其所在报告与章节。下方给出引文（GB/T 7714、RIS、BibTeX）和与其他报告相同或相似的出处；"
                              "本页链接永久有效。",
    "reading.report_page": "整份报告，按章节分段显示；段落编号（¶）与引文、导出中的编号一致，点击段落编号得到它的永久链接。",
    "research.kwic_page": "索引行（KWIC）：检索词的每一处出现，左侧语境 | 检索词 | 右侧语境对齐排列，可按左右语境、年份、地区排序；"
                          "检索式与筛选条件和检索页相同。",
    "research.stats_page": "分布：一个或几个检索式按年份或地区统计匹配的段落和报告，并与语料覆盖对照（每百份报告、每万字）；"
                           "语料中没有报告的格子是缺口，不是零。",
    "tools.indicators_page": "指标：建索引时从报告原句读出的数值（如出庭应诉率），按地区和年份列出或成表，每个数值链接到原句所在段落。",
    "tools.compliance_page": "发布时效：每份报告的发布日期与截止日期（默认次年 4 月 1 日）相比，是按时、逾期若干天，还是未标发布日期。",
    "tools.diffusion_page": "扩散：各地第一次在报告中提到检索词的年份，以及逐年累计提到的地区数，与语料覆盖的地区数对照。",
    "tools.frequency_page": "词频：检索式和筛选条件选出的段落中最常见的词，及每万词的频率。",
    "tools.keyness_page": "关键词：目标（检索式和筛选条件）与参照（ref_ 开头的条件，不给则为其余语料）相比，显著偏多（LL > 0）"
                          "或偏少的词。",
    "tools.collocates_page": "搭配：在检索词前后若干词之内、比偶然更常出现的词，给出共现次数、互信息和对数似然。",
    "tools.similar_page": "相似段落：与一段文字（或某个段落）最相似的段落，按 5 字片段的 Jaccard 相似度计算，稍加改动的照抄也能找到。",
}

GLOBALS = {"PAGE_HELP": PAGE_HELP, "SORT_LABELS": SORT_LABELS, "TOOL_LINKS": TOOL_LINKS, "STATUS_LABELS": STATUS_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "view_links": view_links, "KWIC_SORT_LABELS": KWIC_SORT_LABELS,
           "KWIC_MAX_WIDTH": KWIC_MAX_WIDTH, "BY_LABELS": BY_LABELS, "METRIC_LABELS": METRIC_LABELS,
           "BOILERPLATE_LABELS": BOILERPLATE_LABELS, "filter_title": filter_title, "filter_label": filter_label,
           "TIER_LABELS": TIER_LABELS, "query_notes": query_notes, "MAX_QUERY_CHARS": MAX_QUERY_CHARS,
           "without_every_file": without_every_file}
FILTERS = {"locality": locality, "level_label": lambda v: value_label("level", v),
           "body_label": lambda v: value_label("body", v), "section_label": lambda v: value_label("section", v),
           "genre_label": lambda v: value_label("genre", v), "similarity": similarity_label,
           "rate": rate, "zh": zh}
