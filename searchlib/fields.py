"""The field registry: every field of a paragraph document, declared once.

A field's entry says how the index keeps it (its Whoosh type, stored or not), whether it is a facet, how a researcher
filters on it (the query language's ``name:value`` with its Chinese aliases, the URL parameter of every page, the
``--name`` option of every query command), and its Chinese label. The index schema, the facet columns, the facet and
filter lists of the query layer, the web's URL reader and sidebar and the CLI's options are all read from here, so a
field added here is added everywhere and no copy can drift (tests/test_help_and_filters.py checks the CLI and the web
independently).

This module imports nothing of ours and no Whoosh at import time: the query parser reads it too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# How a filter is applied: "query" as a term of the query language (year:2021 works in the query too),
# "column" to the matches by their facet column (no term for it in the query language).
QUERY, COLUMN = "query", "column"


@dataclass(frozen=True)
class Field:
    name: str                      # the name in the index, in stored fields and in Results.facets
    index: str | None = None       # Whoosh type: id | unique_id | int | stored | words | bigrams; None: derived
    stored: bool = True
    report: bool = False           # the report's value, the same on each of its paragraphs
    column: bool = False           # kept as a facet column (searchlib.index.facetstore)
    facet: bool = False            # counted in the results' facets (in this order: the sidebar's)
    nested_under: str | None = None  # a facet shown once this filter is chosen (city once a province is)
    param: str | None = None       # the filter's name in URLs, on the command line and in the query language
    applied: str | None = None     # QUERY | COLUMN (see above); None: not a filter
    aliases: tuple[str, ...] = ()  # other names the query language takes (年份:2021)
    label: str = ""                # Chinese: facet title, filter chip, help page
    meaning: str = ""              # Chinese: what the facet means (help page)
    option_help: str = ""          # the CLI option's help
    metavar: str | None = None
    values: dict[str, str] = field(default_factory=dict)   # stored value -> Chinese label
    phrase: bool = False           # words fields: positions kept for phrases
    boost: float = 1.0


LEVEL_LABELS = {"national": "中央", "province": "省级", "city": "市级", "county": "县级", "township": "乡镇级"}
BODY_LABELS = {"government": "政府", "department": "部门"}
SECTION_LABELS = {"achievements": "做法与成效", "problems": "存在问题", "plans": "下一步安排",
                  "leadership": "负责人履职", "other": "其他"}
GENRE_LABELS = {"report": "法治政府建设报告", "other": "其他文件"}

# The filters and facets come first, in the order the sidebar shows them.
FIELDS: tuple[Field, ...] = (
    Field("report_year", "int", report=True, column=True, facet=True, param="year", applied=QUERY,
          aliases=("年份", "年度", "年"), label="年份", meaning="报告所总结的年度（不是发布日期）。",
          option_help="report year, or a range: 2019-2021"),
    Field("province", "id", report=True, column=True, facet=True, param="province", applied=QUERY,
          aliases=("省份", "省"), label="省份", meaning="报告主体所在的省级行政区。",
          option_help="province (short names work: 四川)"),
    Field("city", "id", report=True, column=True, facet=True, nested_under="province", param="city", applied=QUERY,
          aliases=("城市", "市"), label="城市", meaning="地级行政区；选定省份后出现。",
          option_help="city or prefecture"),
    Field("county", "id", report=True, column=True, facet=True, nested_under="city", param="county", applied=QUERY,
          aliases=("区县", "县", "区"), label="区县", meaning="县级行政区；选定城市后出现。",
          option_help="county or district"),
    Field("township", "id", report=True, column=True, param="township", applied=QUERY,
          aliases=("乡镇", "街道"), label="乡镇", meaning="乡镇或街道。", option_help="township or subdistrict"),
    Field("level", "id", report=True, column=True, facet=True, param="level", applied=QUERY,
          aliases=("层级", "级别"), label="层级", meaning="报告主体的行政层级：省级、市级、县级、乡镇级。",
          option_help="province | city | county | township (several with |)", values=LEVEL_LABELS),
    Field("body", "id", report=True, column=True, facet=True, param="body", applied=QUERY,
          aliases=("主体", "机关"), label="主体", meaning="由一级政府还是由政府部门出具。",
          option_help="government | department", values=BODY_LABELS),
    Field("section_kind", "id", column=True, facet=True, param="section", applied=QUERY,
          aliases=("章节", "部分"), label="章节",
          meaning="段落所在的章节类型：做法与成效、存在问题、下一步安排、负责人履职、其他。",
          option_help="achievements | problems | plans | leadership | other (or 存在问题 …)", values=SECTION_LABELS),
    Field("genre", "id", report=True, column=True, facet=True, param="genre", applied=QUERY,
          aliases=("类型", "文种"), label="文种", meaning="法治政府建设报告，或混入语料的其他文件。",
          option_help="report (a rule-of-law government report) | other (a plan, a notice, news)",
          values=GENRE_LABELS),
    Field("publisher", "stored", report=True, column=True, facet=True, param="publisher", applied=COLUMN,
          label="发布机关", meaning="报告署名的发布机关（按报告原文）。",
          option_help="the publishing body, as the report names it (苏州市吴江区人民政府)"),
    Field("publish_year", None, stored=False, report=True, column=True, facet=True, param="published",
          applied=COLUMN, label="发布年份", meaning="报告发布日期所在的年份（报告所总结的年度见“年份”）。",
          option_help="publication year, or a range: 2021-2022", metavar="YEAR"),
    Field("title", "words", report=True, param="title", applied=QUERY, aliases=("标题",), label="标题",
          boost=2.0),
    # Kept, not filtered on.
    Field("pid", "unique_id"),
    Field("doc_id", "id", report=True, column=True),
    Field("position", "int"),
    Field("text", "words", phrase=True),
    Field("exact", "bigrams", stored=False, phrase=True),
    Field("heading", "words", boost=1.5),
    Field("publish_date", "id", report=True, column=True),
    Field("division_code", "id", report=True),
    Field("source", "stored", report=True),
    Field("url", "stored", report=True),
    Field("fetched_at", "stored", report=True),
    Field("sources", "stored"),
    Field("text_digest", "id"),
)
BY_NAME = {f.name: f for f in FIELDS}
BY_PARAM = {f.param: f for f in FIELDS if f.param}

# The province -> city -> county -> township chain.
PLACE_FIELDS = ("province", "city", "county", "township")
# Filters a page's URL and every query command take (title: only in the query language).
FILTER_PARAMS = tuple(f.param for f in FIELDS if f.applied and f.name != "title")
QUERY_FILTERS = tuple(f.param for f in FIELDS if f.applied == QUERY and f.name != "title")
# URL parameter -> facet column, for filters applied by column.
COLUMN_FILTERS = {f.param: f.name for f in FIELDS if f.applied == COLUMN}
# Query-language filter -> indexed field.
FILTER_TO_FIELD = {f.param: f.name for f in FIELDS if f.applied == QUERY}
# Every name the query language takes for a filter (the parameter itself and its aliases) -> parameter.
QUERY_ALIASES = {name: f.param for f in FIELDS if f.applied == QUERY for name in (f.param, *f.aliases)}
FACETS = tuple(f.name for f in FIELDS if f.facet)
NESTED_FACETS = {f.name: BY_NAME[f.nested_under].param for f in FIELDS if f.nested_under}
FACET_COLUMNS = tuple(f.name for f in FIELDS if f.column)
REPORT_FIELDS = tuple(f.name for f in FIELDS if f.report and f.stored)


def label(param: str) -> str:
    """The Chinese name of a filter (URL parameter), or the parameter itself if it has none."""
    found = BY_PARAM.get(param)
    return found.label if found and found.label else param


def value_labels(param: str) -> dict[str, str]:
    found = BY_PARAM.get(param)
    return found.values if found else {}


def place(record, sep: str = " ") -> str:
    """Where a report is from, province to township, each name once (天津市 天津市 is 天津市).

    ``record``: a stored-fields dict or any object with those attributes. ``sep=""`` writes the
    name as one word (四川省眉山市东坡区), as tables and citations do.
    """
    get = record.get if isinstance(record, dict) else (lambda key: getattr(record, key, None))
    return sep.join(dict.fromkeys(value for key in PLACE_FIELDS if (value := get(key))))


def whoosh_fields(words, bigrams) -> dict:
    """The index schema's fields: ``words`` analyzes text into words, ``bigrams`` into character pairs."""
    from whoosh.fields import ID, NUMERIC, STORED, TEXT

    make = {
        "id": lambda f: ID(stored=f.stored),
        "unique_id": lambda f: ID(stored=f.stored, unique=True),
        "int": lambda f: NUMERIC(int, stored=f.stored),
        "stored": lambda f: STORED(),
        "words": lambda f: TEXT(analyzer=words, stored=f.stored, phrase=f.phrase,
                                **({"field_boost": f.boost} if f.boost != 1.0 else {})),
        "bigrams": lambda f: TEXT(analyzer=bigrams, stored=f.stored, phrase=f.phrase),
    }
    return {f.name: make[f.index](f) for f in FIELDS if f.index}
