"""Indicators: numeric facts the reports state (出庭应诉率 100%, 行政复议案件 107 件 …), with their sentence.

What is read is declared once, in ``data/indicators.toml`` (name, aliases, unit, patterns; the file explains the pattern
shorthands). Precision comes first: a pattern puts the number right after the indicator's own words, with no other
number and no clause break between, so 出庭应诉率未达100% and the 36 个部门 before 聘用52名法律顾问 are never read.

Index time. Every index job (build, update, delete, optimize) ends in :func:`build_for_generation` on the new
generation, before it goes live: the facts of each segment's paragraphs go into ``indicators.sqlite`` beside the Whoosh
index. Facts depend only on a paragraph's text, so segments the previous generation already covered are copied, not read
again: an update reads only its new segment. Rows are keyed by pid, not by document number (a merge renumbers).

Query time. :func:`facts` answers a request (the search layer's query and filters, plus an
indicator): the paragraphs the request matches, intersected with the paragraphs that state a fact.
Report metadata (place, year, body, level) is read from the index, so it is never stale.
"""
from __future__ import annotations

import re
import sqlite3
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from searchlib import fields
from searchlib.analysis import SENTENCE_END_CHARS, normalize
from searchlib.config import DATA_DIR
from searchlib.research.population import PerSearcher, is_empty, matched_docnums, reports_only
from searchlib.index.storage import atomic_write

DEFINITIONS = DATA_DIR / "indicators.toml"
FILE_NAME = "indicators.sqlite"
SCHEMA_VERSION = "2"

_SHORTHANDS = {
    "{NUM}": r"(?<![\d.,])(?P<value>\d+(?:\.\d+)?)(?![\d])",
    "{GAP}": r"[^\d,;:。、!?\n]{0,12}?",
    "{VERB}": r"(?:首次|均|始终|继续|依然|仍)?(?:达到了|达到|达|为|是|实现|保持在|保持|稳定在|提升至|提升到|提高至|提高到|"
              r"上升至|上升到|增至|升至)?",
}
_SENTENCE = re.compile(f"[^{re.escape(SENTENCE_END_CHARS)}]+[{re.escape(SENTENCE_END_CHARS)}]?")
RATE_UNIT = "%"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    aliases: tuple[str, ...]
    unit: str
    patterns: tuple[re.Pattern, ...]

    def to_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "aliases": list(self.aliases), "unit": self.unit,
                "patterns": [p.pattern for p in self.patterns]}


def _expand(pattern: str) -> str:
    for short, long in _SHORTHANDS.items():
        pattern = pattern.replace(short, long)
    return pattern


def parse_definitions(text: str) -> tuple[Indicator, ...]:
    """The indicators of a TOML text in the layout of ``data/indicators.toml``; ValueError when malformed."""
    data = tomllib.loads(text)
    out = []
    for entry in data.get("indicator", []):
        try:
            patterns = tuple(re.compile(_expand(p)) for p in entry["patterns"])
            indicator = Indicator(entry["key"], entry["name"], tuple(entry["aliases"]), entry["unit"], patterns)
        except (KeyError, re.error) as exc:
            raise ValueError(f"indicator {entry.get('key', '?')}: {exc}") from None
        if any("value" not in p.groupindex for p in patterns):
            raise ValueError(f"indicator {indicator.key}: every pattern must capture {{NUM}}")
        out.append(indicator)
    if len({i.key for i in out}) != len(out):
        raise ValueError("indicator keys must be unique")
    return tuple(out)


@lru_cache(maxsize=1)
def definitions() -> tuple[Indicator, ...]:
    return parse_definitions(DEFINITIONS.read_text(encoding="utf-8"))


def by_key() -> dict[str, Indicator]:
    return {i.key: i for i in definitions()}


def definitions_digest() -> str:
    """Changes when the list changes: a sidecar written under another list is rebuilt in full."""
    import hashlib
    return hashlib.sha1(DEFINITIONS.read_bytes()).hexdigest()[:16]


# --- extraction -------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_ALIASES: dict[int, tuple[tuple, re.Pattern]] = {}


def _any_alias(indicators: tuple[Indicator, ...]) -> re.Pattern:
    """One pattern of every alias of ``indicators`` (kept per list: hashing the list costs more).

    Longer aliases first, and an alias inside another (出庭应诉率 in 负责人出庭应诉率) belongs to the
    same indicator, so the set of aliases a sentence names is exact."""
    kept = _ALIASES.get(id(indicators))
    if kept is None or kept[0] is not indicators:
        aliases = sorted({a for i in indicators for a in i.aliases}, key=len, reverse=True)
        kept = _ALIASES[id(indicators)] = (indicators, re.compile("|".join(map(re.escape, aliases))))
    return kept[1]


@dataclass(frozen=True)
class Fact:
    indicator: str
    value: float
    unit: str
    sentence: str          # the sentence as the report writes it (not normalized)
    start: int             # the value's characters in the paragraph text
    end: int


def extract(text: str, indicators: tuple[Indicator, ...] | None = None) -> list[Fact]:
    """Every fact stated in a paragraph, in reading order.

    Patterns run on the normalized text (same length as the original, see
    :func:`searchlib.analysis.normalize`), so offsets and the sentence are cut from the original.
    """
    indicators = definitions() if indicators is None else indicators
    found: dict[tuple[str, int], Fact] = {}
    # Most paragraphs name no indicator: one search of all the aliases (traditional characters and
    # full-width forms folded first) settles them; only the rest are cut into sentences.
    if not _DIGIT.search(text):
        return []
    norm = normalize(text)
    aliases = _any_alias(indicators)
    if not aliases.search(norm):
        return []
    for sentence in _SENTENCE.finditer(norm):
        piece = sentence.group()
        named = set(aliases.findall(piece))
        if not named or not _DIGIT.search(piece):
            continue
        wanted = [i for i in indicators if any(a in named for a in i.aliases)]
        base = sentence.start()
        original = text[base:sentence.end()].strip()
        for indicator in wanted:
            for pattern in indicator.patterns:
                for m in pattern.finditer(piece):
                    value = float(m.group("value"))
                    if indicator.unit == RATE_UNIT and value > 100:
                        continue
                    start = base + m.start("value")
                    found.setdefault((indicator.key, start),
                                     Fact(indicator.key, value, indicator.unit, original, start,
                                          base + m.end("value")))
    return sorted(found.values(), key=lambda f: (f.start, f.indicator))


# --- the sidecar: written at index time --------------------------------------------------

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE segment (name TEXT PRIMARY KEY);
CREATE TABLE fact (segment TEXT NOT NULL, local INTEGER NOT NULL, pid TEXT NOT NULL, indicator TEXT NOT NULL,
                   value REAL NOT NULL, unit TEXT NOT NULL, sentence TEXT NOT NULL, start INTEGER NOT NULL,
                   end INTEGER NOT NULL);
"""


def _segment_name(reader) -> str:
    return reader.segment().segment_id()


def _previous(path: Path, digest: str) -> tuple[set[str], dict[str, list[tuple]]]:
    """Segments a sidecar already covers and their facts, when it was written under the same list."""
    if not path.exists():
        return set(), {}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta"))
            if meta.get("schema") != SCHEMA_VERSION or meta.get("definitions") != digest:
                return set(), {}
            covered = {name for (name,) in con.execute("SELECT name FROM segment")}
            rows: dict[str, list[tuple]] = {}
            for row in con.execute("SELECT segment, local, pid, indicator, value, unit, sentence, start, end "
                                   "FROM fact"):
                rows.setdefault(row[0], []).append(row)
            return covered, rows
        finally:
            con.close()
    except sqlite3.Error:
        return set(), {}


def build_for_generation(gen_dir: Path | str) -> dict:
    """Write ``indicators.sqlite`` for the committed Whoosh index in ``gen_dir``; figures of the pass.

    A generation cloned from the previous one holds a hard link to the previous sidecar: its
    segments are copied over and only new segments are read. The file is replaced atomically.
    """
    from whoosh import index as whoosh_index

    started = time.perf_counter()
    gen = Path(gen_dir)
    path = gen / FILE_NAME
    digest = definitions_digest()
    covered, old_rows = _previous(path, digest)
    ix = whoosh_index.open_dir(str(gen))
    rows: list[tuple] = []
    segments: list[str] = []
    read = copied = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            name = _segment_name(leaf)
            segments.append(name)
            if name in covered:
                rows.extend(old_rows.get(name, []))
                copied += 1
                continue
            # Segment-local document numbers never change (a segment is immutable; a deletion only
            # marks), so a fact finds its paragraph again by the segment's offset in any later index.
            for local, stored in leaf.iter_docs():
                read += 1
                for f in extract(stored.get("text", "")):
                    rows.append((name, local, stored["pid"], f.indicator, f.value, f.unit, f.sentence, f.start,
                                 f.end))
    with atomic_write(path) as tmp:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(SCHEMA)
            con.executemany("INSERT INTO segment VALUES (?)", ((s,) for s in segments))
            con.executemany("INSERT INTO fact VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            seconds = time.perf_counter() - started
            info = {"schema": SCHEMA_VERSION, "definitions": digest, "index_generation": ix.latest_generation(),
                    "paragraphs_read": read, "segments_copied": copied, "facts": len(rows),
                    "seconds": round(seconds, 3), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
            con.executemany("INSERT INTO meta VALUES (?, ?)", ((k, str(v)) for k, v in info.items()))
            con.commit()
        finally:
            con.close()
    return {"paragraphs_read": read, "segments_copied": copied, "facts": len(rows), "seconds": seconds}


def pass_for_generation(gen_dir: Path | str) -> dict | None:
    """The index-time hook: never fails the index job. On a failure the generation is left without
    a sidecar (the pages then name `searchlib indicators --build`)."""
    try:
        return build_for_generation(gen_dir)
    except Exception:  # noqa: BLE001 - the index itself is fine; the indicator views stay off
        (Path(gen_dir) / FILE_NAME).unlink(missing_ok=True)
        return None


def build(index_dir: Path | str) -> dict:
    """The pass over the live index (for ``searchlib indicators --build``): reads every paragraph."""
    from searchlib.index.indexing import resolve_index_dir

    live = resolve_index_dir(index_dir)
    (live / FILE_NAME).unlink(missing_ok=True)   # a hard link to the previous generation's file
    return build_for_generation(live)


# --- query time -----------------------------------------------------------------------------

class IndicatorsMissing(Exception):
    """The live index has no (or a stale) indicator table; the message names the command that builds it."""


MISSING_MESSAGE = ("this index has no indicator table (it was built before indicators existed, or under "
                   "another list of them): run `searchlib indicators --build`")


@dataclass
class Table:
    """The facts of one searcher, in the order pages list them, with each one's document number."""
    docnums: np.ndarray
    indicators: np.ndarray          # each fact's indicator key
    rows: list["Row"]


def _load(library, searcher) -> Table:
    """The live index's facts; IndicatorsMissing without a current sidecar."""
    from searchlib.index.indexing import resolve_index_dir

    path = resolve_index_dir(library.index_dir) / FILE_NAME
    if not path.exists():
        raise IndicatorsMissing(MISSING_MESSAGE)
    reader = searcher.reader()
    offsets = {_segment_name(leaf): offset for leaf, offset in reader.leaf_readers()}
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta"))
        covered = {name for (name,) in con.execute("SELECT name FROM segment")}
        if meta.get("schema") != SCHEMA_VERSION or meta.get("definitions") != definitions_digest() \
                or not set(offsets) <= covered:
            raise IndicatorsMissing(MISSING_MESSAGE)
        found = con.execute("SELECT segment, local, pid, indicator, value, unit, sentence, start FROM fact "
                            "WHERE segment IN (%s)" % ",".join("?" * len(offsets)), sorted(offsets)).fetchall()
    finally:
        con.close()
    deletions = reader.has_deletions()
    names = by_key()
    store = library.stored_fields(searcher)
    report_code = library.columns(searcher)["doc_id"].codes
    reports: dict[int, dict] = {}      # a report's fields, read once, from its first fact's paragraph
    kept: list[tuple[int, Row]] = []
    for segment, local, pid, key, value, unit, sentence, start in found:
        docnum = offsets[segment] + local
        if deletions and reader.is_deleted(docnum):
            continue
        code = int(report_code[docnum])
        report = reports.get(code)
        if report is None:
            report = reports[code] = _report_fields(store[docnum])
        kept.append((docnum, Row(indicator=key, indicator_name=names[key].name if key in names else key,
                                 value=_number(value), unit=unit, sentence=sentence, pid=pid, url=f"/p/{pid}",
                                 start=start, **report)))
    kept.sort(key=lambda item: (item[1].year is None, item[1].year or 0, item[1].place, item[1].doc_id or "",
                                item[0], item[1].start))
    return Table(docnums=np.array([d for d, _ in kept], dtype=np.int64),
                 indicators=np.array([r.indicator for _, r in kept], dtype=object), rows=[r for _, r in kept])


def _report_fields(stored: dict) -> dict:
    named = ("doc_id", "title", "body", "level", "publish_date") + fields.PLACE_FIELDS
    return {**{key: stored.get(key) for key in named}, "place": fields.place(stored, sep=""),
            "year": stored.get("report_year")}


table = PerSearcher(_load)   # read once per searcher


@dataclass
class Row:
    """One fact with its report, as pages, JSON and CSV show it."""
    indicator: str
    indicator_name: str
    value: float
    unit: str
    sentence: str
    pid: str
    url: str
    doc_id: str
    title: str | None
    body: str | None
    level: str | None
    place: str
    province: str | None
    city: str | None
    county: str | None
    township: str | None
    year: int | None
    publish_date: str | None
    start: int = 0                 # where the value stands in the paragraph's text

    def to_dict(self) -> dict:
        return dict(vars(self))


CSV_COLUMNS = ("indicator", "indicator_name", "value", "unit", "year", "place", "province", "city", "county",
               "township", "level", "body", "title", "publish_date", "doc_id", "sentence", "pid", "url")


def facts(library, request, indicator: str | None = None) -> list[Row]:
    """The facts stated in the paragraphs ``request`` matches (its query, filters and boilerplate choice).

    ``indicator`` is a key of ``data/indicators.toml``; None gives every indicator. Only reports' facts unless the
    request names a genre (genre=all: every file's; see population.reports_only). Ordered by year, place, report, reading order.
    """
    from searchlib.query.parse import QueryError

    names = by_key()
    if indicator and indicator not in names:
        raise QueryError(f"unknown indicator {indicator!r}; use one of {', '.join(names)}")
    request = reports_only(request)   # a news article's figure is not what a report states
    searcher = library.searcher()
    data = table(library, searcher)
    chosen = np.ones(len(data.docnums), dtype=bool)
    if indicator:
        chosen &= data.indicators == indicator
    if not is_empty(request):
        chosen &= np.isin(data.docnums, matched_docnums(library, request)[1])
    return [data.rows[i] for i in np.flatnonzero(chosen).tolist()]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


@dataclass
class Pivot:
    """One indicator by place (rows) and year (columns); a cell lists the values its reports state."""
    indicator: str
    places: list[str]
    years: list[int | None]
    cells: dict[tuple[str, int | None], list]

    def to_dict(self) -> dict:
        return {"indicator": self.indicator, "places": self.places, "years": self.years,
                "cells": [{"place": p, "year": y, "values": v} for (p, y), v in self.cells.items()]}


def pivot_records(table: Pivot) -> tuple[list[str], list[dict]]:
    """The pivot as a spreadsheet: a place a row, a year a column (不详: year unknown); a cell lists its values."""
    def column(year) -> str:
        return str(year) if year is not None else "不详"

    columns = ["place"] + [column(y) for y in table.years]
    records = [{"place": p, **{column(y): "、".join(map(str, table.cells[(p, y)]))
                               for y in table.years if (p, y) in table.cells}} for p in table.places]
    return columns, records


def pivot(rows: list[Row], indicator: str) -> Pivot:
    """Place x year of one indicator's rows; a value stated twice in one cell is listed once."""
    cells: dict[tuple[str, int | None], list] = {}
    for r in rows:
        if r.indicator != indicator:
            continue
        values = cells.setdefault((r.place or "地区不详", r.year), [])
        if r.value not in values:
            values.append(r.value)
    places = sorted({p for p, _ in cells})
    years = sorted({y for _, y in cells}, key=lambda y: (y is None, y or 0))
    return Pivot(indicator, places, years, cells)
