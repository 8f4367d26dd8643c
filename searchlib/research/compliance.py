"""Publication compliance: was each report published by the deadline?

The 2019 《法治政府建设与责任落实督察工作规定》 has a government publish its report on the year's
rule-of-law work by 1 April of the following year; that is the default deadline, and another month
and day (of the following year) can be given. Each report is then

- ``on_time``  published on or before the deadline,
- ``late``     published after it (``days_late`` days),
- ``no_date``  the page shows no publication date,
- ``no_year``  the report does not say which year it covers (so it has no deadline).

Shares are counted over the reports whose status is known (on time or late), with the unknown
ones (no date, no year) shown beside them, never counted as late or on time.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields

from searchlib import fields
from searchlib.research.population import matched_docnums, report_fields, reports_only
from searchlib.query.parse import QueryError

DEFAULT_DEADLINE = "04-01"
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
UNKNOWN_PLACE = "不详"


def parse_deadline(text: str) -> tuple[int, int]:
    """'04-01' -> (4, 1): a month and day of the year after the report's year; QueryError if not one."""
    m = _MONTH_DAY.match((text or "").strip())
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        try:
            dt.date(2001, month, day)          # not a leap year: 02-29 would be a deadline only sometimes
            return month, day
        except ValueError:
            pass
    raise QueryError(f"a deadline is a month and day like 04-01 (of the following year), not {text!r}")


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass
class ReportStatus:
    doc_id: str
    title: str | None
    place: str
    province: str | None
    level: str | None
    body: str | None
    year: int | None
    publish_date: str | None
    deadline: str | None
    status: str
    days_late: int | None
    url: str

    def to_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class Share:
    """One group (a year and province, or a level): its reports by status and the on-time share."""
    key: tuple
    reports: int = 0
    on_time: int = 0
    late: int = 0
    no_date: int = 0
    no_year: int = 0

    @property
    def known(self) -> int:
        return self.on_time + self.late

    @property
    def unknown(self) -> int:
        return self.no_date + self.no_year

    @property
    def on_time_share(self) -> float | None:
        """On time / known, in percent; None when no report of the group has a known status."""
        return round(self.on_time / self.known * 100, 1) if self.known else None

    def to_dict(self) -> dict:
        return {"key": list(self.key), "reports": self.reports, "known": self.known, "on_time": self.on_time,
                "late": self.late, "unknown": self.unknown, "no_date": self.no_date, "no_year": self.no_year,
                "on_time_share": self.on_time_share}


@dataclass
class Compliance:
    deadline: str                                  # MM-DD of the following year
    reports: list[ReportStatus]
    by_year_province: list[Share] = field(default_factory=list)
    by_level: list[Share] = field(default_factory=list)
    by_year_level: list[Share] = field(default_factory=list)
    totals: Share = field(default_factory=lambda: Share(("all",)))

    @property
    def late(self) -> list[ReportStatus]:
        return sorted((r for r in self.reports if r.status == "late"),
                      key=lambda r: (-(r.days_late or 0), r.year or 0, r.place))

    def to_dict(self) -> dict:
        return {"deadline": self.deadline, "totals": self.totals.to_dict(),
                "by_year_province": [s.to_dict() for s in self.by_year_province],
                "by_level": [s.to_dict() for s in self.by_level],
                "by_year_level": [s.to_dict() for s in self.by_year_level],
                "late": [r.to_dict() for r in self.late], "reports": [r.to_dict() for r in self.reports]}


def status_of(year: int | None, publish_date: str | None, deadline: tuple[int, int]) -> tuple[str, int | None, str | None]:
    """(status, days late, the deadline date) of a report of ``year`` published on ``publish_date``."""
    if year is None:
        return "no_year", None, None
    due = dt.date(year + 1, *deadline)
    published = _date(publish_date)
    if published is None:
        return "no_date", None, due.isoformat()
    late = (published - due).days
    return ("late", late, due.isoformat()) if late > 0 else ("on_time", None, due.isoformat())


def compliance(library, request, deadline: str = DEFAULT_DEADLINE) -> Compliance:
    """Every report with a paragraph ``request`` matches (all reports under its filters when it has no
    words), its status against ``deadline``, and the shares by year x province and by level. Only reports are due
    (a news article or a plan is neither on time nor late): see population.reports_only."""
    month_day = parse_deadline(deadline)
    request = reports_only(request)
    searcher, docnums = matched_docnums(library, request)
    out: list[ReportStatus] = []
    for stored, _ in report_fields(library, searcher, docnums):
        status, days, due = status_of(stored.get("report_year"), stored.get("publish_date"), month_day)
        out.append(ReportStatus(
            doc_id=stored["doc_id"], title=stored.get("title"), place=fields.place(stored, sep=""),
            province=stored.get("province"), level=stored.get("level"), body=stored.get("body"),
            year=stored.get("report_year"), publish_date=stored.get("publish_date"), deadline=due,
            status=status, days_late=days, url=f"/d/{stored['doc_id']}"))
    out.sort(key=lambda r: (r.year is None, r.year or 0, r.province or "", r.place, r.doc_id))
    result = Compliance(deadline=f"{month_day[0]:02d}-{month_day[1]:02d}", reports=out)
    result.by_year_province = _shares(out, lambda r: (r.year, r.province or UNKNOWN_PLACE))
    result.by_level = _shares(out, lambda r: (r.level or UNKNOWN_PLACE,))
    result.by_year_level = _shares(out, lambda r: (r.year, r.level or UNKNOWN_PLACE))
    result.totals = _shares(out, lambda r: ("all",))[0] if out else Share(("all",))
    return result


def _shares(reports: list[ReportStatus], key) -> list[Share]:
    groups: dict[tuple, Share] = {}
    for r in reports:
        k = key(r)
        share = groups.setdefault(k, Share(k))
        share.reports += 1
        setattr(share, r.status, getattr(share, r.status) + 1)
    # Years in order, the unknown (None) last; names in code-point order.
    return sorted(groups.values(), key=lambda s: [(v is None, v if isinstance(v, int) else 0, v if isinstance(v, str)
                                                   else "") for v in s.key])


REPORT_COLUMNS = tuple(f.name for f in dataclass_fields(ReportStatus))
SHARE_COLUMNS = ("key", "reports", "known", "on_time", "late", "on_time_share", "unknown", "no_date", "no_year")


def share_records(shares: list[Share], names: tuple[str, ...]) -> list[dict]:
    """Flat rows for a CSV: the key split into named columns."""
    return [dict(zip(names, s.key)) | {k: v for k, v in s.to_dict().items() if k != "key"} for s in shares]


# The parts of shares: the Compliance attribute and the names of its key's columns.
_SHARE_PARTS = {"year_province": ("by_year_province", ("year", "province")), "level": ("by_level", ("level",)),
                "year_level": ("by_year_level", ("year", "level"))}
PARTS = ("reports", "late", *_SHARE_PARTS)


def part(result: Compliance, name: str) -> tuple[tuple[str, ...], list[dict]]:
    """(columns, records) of one part of the result, as a CSV or a terminal table shows it."""
    if name in ("reports", "late"):
        return REPORT_COLUMNS, [r.to_dict() for r in getattr(result, name)]
    if name in _SHARE_PARTS:
        attribute, keys = _SHARE_PARTS[name]
        return keys + SHARE_COLUMNS[1:], share_records(getattr(result, attribute), keys)
    raise QueryError(f"unknown part {name!r}; use one of {', '.join(PARTS)}")
