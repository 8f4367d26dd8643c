"""A search page's whole state, read from and written back to its URL.

Field names in URLs are English (q, the filters of searchlib.fields: year, province, city, county,
township, level, body, section, genre, publisher, published; then boilerplate, sort, group, page,
limit); defaults are left out so that links stay short and every distinct page has one canonical URL.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from werkzeug.datastructures import MultiDict

from searchlib.fields import FILTER_PARAMS, PLACE_FIELDS
from searchlib.research import kwic, stats
from searchlib.query.search import BOILERPLATE_MODES, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, MODES, SORTS, SearchRequest

# FILTER_PARAMS (year, province … published): searchlib.fields, the same filters as every CLI command.
# Results are reports (in tiers, the default) or paragraphs; "report" is the default and left out of URLs.
GROUPS = ("report", "paragraph")
DEFAULT_GROUP = "report"
DEFAULT_MODE = MODES[0]
MAX_PARAM_CHARS = 100        # a place name or a year range is never longer
MAX_API_LIMIT = 100          # hits per page (HTML or /api/search); /export.* is for more

# Choosing a place clears the places below it: a city of another province would match nothing.
PLACE_CHILDREN = {place: PLACE_FIELDS[i + 1:] for i, place in enumerate(PLACE_FIELDS)}



class ParamError(ValueError):
    """A URL parameter we cannot honour; the message is shown to the researcher (Chinese)."""


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    group: str = DEFAULT_GROUP   # "report" (in tiers) | "paragraph"
    mode: str = DEFAULT_MODE     # "fuzzy" | "strict" (every concept in one paragraph, as typed)
    page: int = 1
    limit: int = 20
    boilerplate: str = ""     # "hide" | "only" template paragraphs (see searchlib.query.search)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def active(self) -> bool:
        """Whether there is anything to search for (a query or a filter)."""
        return bool(self.q.strip() or self.filters)

    def search_request(self, *, limit: int | None = None, offset: int | None = None) -> SearchRequest:
        return SearchRequest(q=self.q, sort=self.sort, limit=self.limit if limit is None else limit,
                             offset=self.offset if offset is None else offset, boilerplate=self.boilerplate or None,
                             group=self.group == "report", mode=self.mode, **self.filters)

    # --- links to neighbouring states ------------------------------------------------

    def args(self, **changes) -> dict[str, str]:
        """URL arguments of this state with ``changes`` applied (None removes); page resets unless given."""
        values: dict[str, object] = {"q": self.q, **self.filters, "boilerplate": self.boilerplate,
                                     "sort": self.sort, "group": self.group, "mode": self.mode, "limit": self.limit}
        values["page"] = changes.pop("page", 1)
        if "group" in changes and "limit" not in changes and self.limit == page_size(self.group):
            changes["limit"] = page_size(changes["group"] or DEFAULT_GROUP)   # the other view's own page size
        values.update(changes)
        defaults = {"sort": "relevance", "page": 1, "limit": page_size(values["group"] or DEFAULT_GROUP),
                    "group": DEFAULT_GROUP, "mode": DEFAULT_MODE}
        out: dict[str, str] = {}
        for name in ("q",) + FILTER_PARAMS + ("boilerplate", "sort", "group", "mode", "page", "limit"):
            value = values.get(name)
            if value in (None, "") or defaults.get(name) == value:
                continue
            out[name] = str(value)
        return out

    def with_filter(self, name: str, value: str) -> dict[str, str]:
        cleared = {child: None for child in PLACE_CHILDREN.get(name, ())}
        return self.args(**{name: value, **cleared})

    def without_filters(self) -> dict[str, str]:
        return self.args(**dict.fromkeys(self.filters), boilerplate=None)

    def same_query(self) -> dict[str, str]:
        """The query, filters and boilerplate choice alone: what the search, KWIC and stats views share."""
        return {k: v for k, v in self.args().items() if k == "q" or k in FILTER_PARAMS or k == "boilerplate"}

    def without_filter(self, name: str) -> dict[str, str]:
        cleared = {child: None for child in PLACE_CHILDREN.get(name, ())}
        return self.args(**{name: None, **cleared})


def page_size(group: str) -> int:
    """Results on one page: fewer reports than paragraphs, as each report shows its best paragraphs."""
    return current_app.config["REPORT_PAGE_SIZE" if group == "report" else "PAGE_SIZE"]


def read_query(q: str) -> str:
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError(f"检索式过长：共 {len(q)} 字，上限 {MAX_QUERY_CHARS} 字。请删减后重试。")
    return q


def read_filters(args: MultiDict) -> dict[str, str]:
    """The search filters of a query string (year, place, level, ...), as every view reads them. A filter given twice
    (year=2021&year=2022) takes either value, as year=2021|2022 does: the second was dropped without a word."""
    filters: dict[str, str] = {}
    for name in FILTER_PARAMS:
        value = "|".join(v.strip() for v in args.getlist(name) if v.strip())
        if len(value) > MAX_PARAM_CHARS:
            raise ParamError(f"筛选条件 {name} 过长（上限 {MAX_PARAM_CHARS} 字）。")
        if value:
            filters[name] = value
    return filters


def read_boilerplate(args: MultiDict) -> str:
    value = args.get("boilerplate", "")
    if value and value not in BOILERPLATE_MODES:
        raise ParamError(f"未知的模板段落筛选 boilerplate={value[:20]}；可用：{'、'.join(BOILERPLATE_MODES)}。")
    return value


def read_state(args: MultiDict) -> SearchState:
    """The state in a request's query string; ParamError when a value cannot be used."""
    q = read_query(args.get("q", ""))
    filters = read_filters(args)
    boilerplate = read_boilerplate(args)
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise ParamError(f"未知的排序方式 sort={sort}；可用：{'、'.join(SORTS)}。")
    group = args.get("group", "") or DEFAULT_GROUP
    if group not in GROUPS:
        raise ParamError(f"未知的分组方式 group={group[:20]}；可用：{'、'.join(GROUPS)}。")
    mode = args.get("mode", "") or DEFAULT_MODE
    if mode not in MODES:
        raise ParamError(f"未知的匹配方式 mode={mode[:20]}；可用：{'、'.join(MODES)}（模糊、精确）。")
    page = whole_number(args.get("page"), 1, "page")
    limit = whole_number(args.get("limit"), page_size(group), "limit")
    max_limit = min(MAX_API_LIMIT, MAX_LIMIT)
    if not 1 <= limit <= max_limit:
        raise ParamError(f"每页条数 limit 须在 1 到 {max_limit} 之间；更多结果请用导出（CSV/JSON）。")
    max_page = current_app.config["MAX_PAGE"]
    if page < 1:
        raise ParamError("页码 page 须从 1 开始。")
    if page > max_page or (page - 1) * limit > MAX_OFFSET:
        raise ParamError(f"翻页过深：最多翻到第 {max_page} 页。请增加筛选条件缩小范围，或导出全部结果（CSV）。")
    return SearchState(q=q, filters=filters, sort=sort, group=group, mode=mode, page=page, limit=limit,
                       boilerplate=boilerplate)


def whole_number(raw: str | None, default: int, name: str) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParamError(f"{name} 须为整数（收到 {raw[:20]!r}）。") from None


# --- the research views: concordance (/kwic) and distribution (/stats) ---------------------

# The concordance's and the distribution's choices and limits are the library's, as on the command line.
KWIC_SORTS = kwic.SORTS
KWIC_DEFAULT_WIDTH = kwic.DEFAULT_WIDTH
KWIC_MAX_WIDTH = kwic.MAX_WIDTH   # characters of context on each side


@dataclass(frozen=True)
class KwicState:
    """A concordance: the search's query, filters and boilerplate choice, plus sort and context width."""
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    boilerplate: str = ""
    sort: str = "left"
    width: int = KWIC_DEFAULT_WIDTH

    def search_request(self) -> SearchRequest:
        return SearchRequest(q=self.q, boilerplate=self.boilerplate or None, **self.filters)

    def args(self, **changes) -> dict[str, str]:
        values = {"q": self.q, **self.filters, "boilerplate": self.boilerplate, "sort": self.sort,
                  "width": self.width, **changes}
        defaults = {"sort": "left", "width": KWIC_DEFAULT_WIDTH}
        return {name: str(values[name]) for name in ("q",) + FILTER_PARAMS + ("boilerplate", "sort", "width")
                if values.get(name) not in (None, "") and defaults.get(name) != values.get(name)}

    def same_query(self) -> dict[str, str]:
        return {k: v for k, v in self.args().items() if k not in ("sort", "width")}

    def without_filters(self) -> dict[str, str]:
        return self.args(**dict.fromkeys(self.filters), boilerplate=None)


def read_kwic_state(args: MultiDict) -> KwicState:
    sort = args.get("sort", "") or "left"
    if sort not in KWIC_SORTS:
        raise ParamError(f"未知的排序方式 sort={sort[:20]}；索引行可按 {'、'.join(KWIC_SORTS)} 排序。")
    width = whole_number(args.get("width"), KWIC_DEFAULT_WIDTH, "width")
    if not 1 <= width <= KWIC_MAX_WIDTH:
        raise ParamError(f"语境宽度 width 须在 1 到 {KWIC_MAX_WIDTH} 字之间。")
    return KwicState(q=read_query(args.get("q", "")), filters=read_filters(args),
                     boilerplate=read_boilerplate(args), sort=sort, width=width)


STATS_BY = stats.BY
STATS_METRICS = stats.METRICS
STATS_MAX_QUERIES = stats.MAX_QUERIES


@dataclass(frozen=True)
class StatsState:
    """A distribution: up to four queries (the URL repeats q: ?q=复议&q=诉讼), filters, cells and metric.

    Repeating ``q`` keeps the first query in the very parameter /search uses, so
    a link from a search to its distribution is the same URL with another path.
    """
    queries: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    by: str = "year"
    metric: str = "per_100_reports"

    def args(self, **changes) -> dict[str, object]:
        """URL arguments (for url_for: ``q`` is a list, one entry per query) with ``changes`` applied."""
        values = {**self.filters, "by": self.by, "metric": self.metric, **changes}
        defaults = {"by": "year", "metric": "per_100_reports"}
        out: dict[str, object] = {"q": list(values.pop("queries", self.queries))}
        for name in FILTER_PARAMS + ("by", "metric"):
            if values.get(name) not in (None, "") and defaults.get(name) != values.get(name):
                out[name] = str(values[name])
        return out

    def cleared_filters(self) -> dict[str, None]:
        return dict.fromkeys(self.filters)

    def same_query(self) -> dict[str, str]:
        """The first query and the filters: what a search or a concordance can take over."""
        return {**({"q": self.queries[0]} if self.queries else {}), **self.filters}


def read_stats_state(args: MultiDict) -> StatsState:
    queries = tuple(read_query(q) for q in args.getlist("q") if q.strip())
    if len(queries) > STATS_MAX_QUERIES:
        raise ParamError(f"最多同时比较 {STATS_MAX_QUERIES} 个检索式（收到 {len(queries)} 个）。")
    by = args.get("by", "") or "year"
    if by not in STATS_BY:
        raise ParamError(f"未知的统计单元 by={by[:20]}；可用：{'、'.join(STATS_BY)}。")
    metric = args.get("metric", "") or "per_100_reports"
    if metric not in STATS_METRICS:
        raise ParamError(f"未知的指标 metric={metric[:20]}；可用：{'、'.join(STATS_METRICS)}。")
    return StatsState(queries=queries, filters=read_filters(args), by=by, metric=metric)


# --- the research tools of issue 22: indicators, compliance, diffusion, collocates, similar ---------

@dataclass(frozen=True)
class ToolState:
    """A research tool's page: the search's query, filters and boilerplate choice, plus the tool's own
    options (indicator, deadline, window …), which are left out of links when at their defaults."""
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    boilerplate: str = ""
    options: dict[str, object] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)

    def search_request(self, **changes) -> SearchRequest:
        filters = {**self.filters, **changes}
        return SearchRequest(q=self.q, boilerplate=self.boilerplate or None,
                             **{k: v for k, v in filters.items() if v})

    def args(self, **changes) -> dict[str, str]:
        values = {"q": self.q, **self.filters, "boilerplate": self.boilerplate, **self.options, **changes}
        names = ("q",) + FILTER_PARAMS + ("boilerplate",) + tuple(self.options)
        return {name: str(values[name]) for name in names
                if values.get(name) not in (None, "") and self.defaults.get(name) != values.get(name)}

    def same_query(self) -> dict[str, str]:
        return {k: v for k, v in self.args().items() if k == "q" or k in FILTER_PARAMS or k == "boilerplate"}

    def without_filters(self) -> dict[str, str]:
        return self.args(**dict.fromkeys(self.filters), boilerplate=None)

    @property
    def active(self) -> bool:
        return bool(self.q.strip() or self.filters or self.boilerplate)


def read_tool_state(args: MultiDict, options: dict[str, object] | None = None,
                    defaults: dict[str, object] | None = None) -> ToolState:
    """The shared part of a tool's URL (q, filters, boilerplate) and its own options, already read."""
    return ToolState(q=read_query(args.get("q", "")), filters=read_filters(args), boilerplate=read_boilerplate(args),
                     options=dict(options or {}), defaults=dict(defaults or {}))


def read_choice(args: MultiDict, name: str, choices, default: str, what: str) -> str:
    value = args.get(name, "") or default
    if value not in choices:
        raise ParamError(f"未知的{what} {name}={value[:30]}；可用：{'、'.join(c for c in choices if c)}。")
    return value


def read_bounded(args: MultiDict, name: str, default: int, low: int, high: int, what: str) -> int:
    value = whole_number(args.get(name), default, name)
    if not low <= value <= high:
        raise ParamError(f"{what} {name} 须在 {low} 到 {high} 之间。")
    return value
