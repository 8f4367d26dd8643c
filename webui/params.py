"""A search page's whole state, read from and written back to its URL.

Field names in URLs are English (q, year, province, city, county, township,
level, body, section, genre, sort, group, page, limit); defaults are left out
so that links stay short and every distinct page has one canonical URL.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from flask import current_app
from werkzeug.datastructures import MultiDict

from searchlib.search import MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, SORTS, SearchRequest

FILTER_PARAMS = ("year", "province", "city", "county", "township", "level", "body", "section", "genre")
GROUPS = ("report",)
MAX_PARAM_CHARS = 100        # a place name or a year range is never longer
MAX_API_LIMIT = 100          # hits per page (HTML or /api/search); /export.* is for more

# Choosing a place clears the places below it: a city of another province would match nothing.
PLACE_CHILDREN = {"province": ("city", "county", "township"), "city": ("county", "township"),
                  "county": ("township",), "township": ()}

_REQUEST_FIELDS = {f.name for f in dataclasses.fields(SearchRequest)}


class ParamError(ValueError):
    """A URL parameter we cannot honour; the message is shown to the researcher (Chinese)."""


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    group: str = ""
    page: int = 1
    limit: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def active(self) -> bool:
        """Whether there is anything to search for (a query or a filter)."""
        return bool(self.q.strip() or self.filters)

    def search_request(self, *, limit: int | None = None, offset: int | None = None) -> SearchRequest:
        kwargs = dict(q=self.q, sort=self.sort, limit=self.limit if limit is None else limit,
                      offset=self.offset if offset is None else offset, **self.filters)
        # The query layer is gaining report grouping; pass it along once it understands it.
        if self.group and "group" in _REQUEST_FIELDS:
            kwargs["group"] = self.group
        return SearchRequest(**kwargs)

    # --- links to neighbouring states ------------------------------------------------

    def args(self, **changes) -> dict[str, str]:
        """URL arguments of this state with ``changes`` applied (None removes); page resets unless given."""
        values: dict[str, object] = {"q": self.q, **self.filters, "sort": self.sort, "group": self.group,
                                     "limit": self.limit}
        values["page"] = changes.pop("page", 1)
        values.update(changes)
        defaults = {"sort": "relevance", "page": 1, "limit": current_app.config["PAGE_SIZE"]}
        out: dict[str, str] = {}
        for name in ("q",) + FILTER_PARAMS + ("sort", "group", "page", "limit"):
            value = values.get(name)
            if value in (None, "") or defaults.get(name) == value:
                continue
            out[name] = str(value)
        return out

    def with_filter(self, name: str, value: str) -> dict[str, str]:
        cleared = {child: None for child in PLACE_CHILDREN.get(name, ())}
        return self.args(**{name: value, **cleared})

    def without_filters(self) -> dict[str, str]:
        return self.args(**dict.fromkeys(self.filters))

    def without_filter(self, name: str) -> dict[str, str]:
        cleared = {child: None for child in PLACE_CHILDREN.get(name, ())}
        return self.args(**{name: None, **cleared})


def read_state(args: MultiDict) -> SearchState:
    """The state in a request's query string; ParamError when a value cannot be used."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError(f"检索式过长：共 {len(q)} 字，上限 {MAX_QUERY_CHARS} 字。请删减后重试。")
    filters: dict[str, str] = {}
    for name in FILTER_PARAMS:
        value = args.get(name, "").strip()
        if len(value) > MAX_PARAM_CHARS:
            raise ParamError(f"筛选条件 {name} 过长（上限 {MAX_PARAM_CHARS} 字）。")
        if value:
            filters[name] = value
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise ParamError(f"未知的排序方式 sort={sort}；可用：{'、'.join(SORTS)}。")
    group = args.get("group", "")
    if group and group not in GROUPS:
        raise ParamError(f"未知的分组方式 group={group}；可用：{'、'.join(GROUPS)}。")
    page_size = current_app.config["PAGE_SIZE"]
    page = _whole_number(args.get("page"), 1, "page")
    limit = _whole_number(args.get("limit"), page_size, "limit")
    max_limit = min(MAX_API_LIMIT, MAX_LIMIT)
    if not 1 <= limit <= max_limit:
        raise ParamError(f"每页条数 limit 须在 1 到 {max_limit} 之间；更多结果请用导出（CSV/JSON）。")
    max_page = current_app.config["MAX_PAGE"]
    if page < 1:
        raise ParamError("页码 page 须从 1 开始。")
    if page > max_page or (page - 1) * limit > MAX_OFFSET:
        raise ParamError(f"翻页过深：最多翻到第 {max_page} 页。请增加筛选条件缩小范围，或导出全部结果（CSV）。")
    return SearchState(q=q, filters=filters, sort=sort, group=group, page=page, limit=limit)


def _whole_number(raw: str | None, default: int, name: str) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParamError(f"{name} 须为整数（收到 {raw[:20]!r}）。") from None
