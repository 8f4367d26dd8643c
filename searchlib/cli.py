"""The ``searchlib`` command: a thin layer over the library.

Every expected failure (a bad file, a missing index, an unreadable query)
ends in one line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import re
import sys
import time
from pathlib import Path

from searchlib import __version__, fields
from searchlib.config import CORPUS_DIR, default_index_dir
from searchlib.fields import FIELDS, FILTER_PARAMS
from searchlib.serving import (SERVERS, THREADS_PER_WORKER, check_can_listen, default_server, default_workers,
                               run_gunicorn, run_waitress)

EXIT_OK = 0
EXIT_PARTIAL = 1      # the command ran, but some inputs were skipped
EXIT_USAGE = 2        # the request itself cannot be carried out
EXIT_INTERNAL = 70

DESCRIPTION = """\
Full-text search over China's local-government annual reports on building
rule-of-law government (法治政府建设报告), paragraph by paragraph.

  searchlib index                      build the index from data/corpus/
  searchlib search 行政复议             search it
  searchlib search '"出庭应诉率"' --year 2021 --json
  searchlib serve                      the web UI on http://127.0.0.1:8000/

The index lives in index/ under the project, or wherever $SEARCHLIB_INDEX or
--index points.
"""

QUERY_HELP = """\
query syntax:
  行政复议 纠错           both words, anywhere in the paragraph (AND is the default)
  "治政"                  exact string: every paragraph whose text contains it
  复议 OR 诉讼, 复议 | 诉讼  either word (a lowercase or between Chinese words too)
  复议 -诉讼, 复议 NOT 诉讼  without the second
  (复议 | 诉讼) 纠错       grouping
  行政复议 /s 纠错        both within one sentence (同句); /p (同段) is the default
  -(复议 | 诉讼)          none of them
  year:2019-2021 province:四川 level:county|township section:problems body:department title:诸暨
  年份:2021 省份:四川 章节:存在问题   (Chinese aliases)
  year:2019,2021 层级:县级、乡镇      (several values: any of them)
  year:2019-  year:-2018            (from 2019 on; up to 2018)
  -省份:四川                          (without that province; filters under NOT)
Full-width quotes, brackets and digits (“ ” （ ） １２３) and traditional
characters work the same as their plain forms. A query is at most 500 characters.
"""


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def _manifest_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", metavar="FILE", type=Path, default=None,
                        help="a CSV with the columns path,url and optionally fetched_at (paths relative to it): "
                             "where each file was fetched from. A manifest.csv inside an indexed folder is "
                             "read without this option")


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", metavar="DIR", type=Path, default=None,
                        help="index directory (default: $SEARCHLIB_INDEX or index/ under the project)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="searchlib", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"searchlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("parse", help="parse report files and print them as JSON Lines",
                       description="Parse report files (.txt, .html, .pdf, .docx, files without an extension, WARC "
                                   "crawls; any common Chinese encoding) and print one JSON object per report: "
                                   "metadata, sections and paragraphs with their ids.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="report files, folders or WARC files")
    p.add_argument("--pretty", action="store_true", help="indent the JSON (one object spans several lines)")
    _manifest_arg(p)

    p = sub.add_parser("index", help="build or update the index",
                       description="Parse report files (.txt, .html, .pdf, .docx, files without an extension) and "
                                   "WARC files, and index their paragraphs. Without --rebuild the reports are added "
                                   "to the existing index (a report already there is replaced). Every input is "
                                   "accounted for: files not read are named with the reason, copies of one report "
                                   "(the same text) become one report with every source, and an older version of a "
                                   "report (same body, title and year) that a newer one replaces is named. The "
                                   "index is never left half-written.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help=f"report files, folders or WARC files (default: {CORPUS_DIR})")
    _index_arg(p)
    _manifest_arg(p)
    p.add_argument("--json", action="store_true",
                   help="print the job's summary as JSON (reports, every skip, merge and replacement)")
    p.add_argument("--rebuild", action="store_true", help="build a fresh index that replaces the old one")
    reuse_choice = p.add_mutually_exclusive_group()
    reuse_choice.add_argument("--no-reuse", action="store_true",
                              help="skip the text-reuse pass (paragraphs shared between reports); "
                                   "`searchlib reuse --build` runs it later")
    reuse_choice.add_argument("--reuse", action="store_true",
                              help="run the text-reuse pass even past the size where it is skipped by default "
                                   "(120k paragraphs on a fresh build: it needs several GB there)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("delete", help="remove reports from the index",
                       description="Remove whole reports (all their paragraphs) from the index, by doc_id "
                                   "(shown by `searchlib parse` and in every search hit). One atomic change.")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    _index_arg(p)

    p = sub.add_parser("optimize", help="merge the index into one segment (after many updates)",
                       description="Merge all segments into one and drop deleted paragraphs. Searches get a "
                                   "little faster after many incremental updates; takes about as long as a "
                                   "rebuild. The old index keeps answering until the new one is ready.")
    _index_arg(p)

    p = _query_command(sub, "search", help="search the index",
                       description="Search the indexed reports. By default the answer is reports in tiers: "
                                   "those with a paragraph holding every concept as typed, then those holding "
                                   "every concept somewhere (also through its parts or a thesaurus entry), then "
                                   "those holding some, last those holding only a part most reports have (法治 of 法治讲座); "
                                   "each with its best paragraphs. --strict keeps the first "
                                   "tier; --paragraphs lists matching paragraphs instead.")
    p.add_argument("--sort", default="relevance", choices=["relevance", "newest", "oldest", "published"],
                   help="relevance; report year (newest, oldest); or publication date, latest first (published)")
    p.add_argument("--boilerplate", choices=["hide", "only"],
                   help="hide paragraphs that 5 or more reports share (templates), or show only them; "
                        "needs `searchlib reuse --build`")
    p.add_argument("--paragraphs", action="store_true",
                   help="list matching paragraphs (every concept in one paragraph) instead of reports")
    p.add_argument("--group", action="store_true",
                   help="one entry per report (the default; kept for scripts that ask for it)")
    p.add_argument("--strict", action="store_true",
                   help="only reports with a paragraph holding every concept as typed: no parts, no thesaurus, "
                        "no partial matches (the search before tiers)")
    p.add_argument("--limit", type=int, default=10, help="reports (or paragraphs) to show (default 10)")
    p.add_argument("--offset", type=int, default=0, help="hits to skip (for paging)")
    _csv_json_args(p, csv_help="print the results as CSV for a spreadsheet (UTF-8 with BOM, CRLF): one row per "
                               "report, or per paragraph with --paragraphs; the same columns as the web's exports",
                   json_help="print the result set as JSON", links=True)

    p = sub.add_parser("serve", help="serve the web UI (builds the index first if there is none)",
                       description="Serve the web UI with a production WSGI server: gunicorn's worker processes "
                                   "(one per core by default; they share the index's pages through the page "
                                   "cache), or waitress's threads in one process where gunicorn cannot run "
                                   "(--server waitress). If the index does not exist yet it is built from the "
                                   "bundled corpus first.")
    _index_arg(p)
    p.add_argument("--host", default=os.environ.get("SEARCHLIB_HOST", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=_port, default=os.environ.get("SEARCHLIB_PORT", "8000"),
                   help="port, 1-65535 (default 8000)")
    p.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                   help=f"reports to index when there is no index yet (default: {CORPUS_DIR})")
    p.add_argument("--base-url", default=None, metavar="URL",
                   help="the site's public address, used in permalinks, citations and exports (default: "
                        "$SEARCHLIB_BASE_URL, else http://HOST:PORT/); never taken from a request's Host header")
    p.add_argument("--server", choices=SERVERS, default=None,
                   help=f"gunicorn (worker processes; the default where it runs) or waitress (threads in one "
                        f"process); default here: {default_server()}")
    p.add_argument("--workers", type=int, default=None,
                   help="gunicorn worker processes (default: one per core, here "
                        f"{default_workers()}; each holds its own caches, ~0.4 GB at 1M paragraphs)")
    p.add_argument("--threads", type=int, default=None,
                   help=f"threads per gunicorn worker (default {THREADS_PER_WORKER}), or waitress's threads "
                        "(default 8)")
    p.add_argument("--check-port", action="store_true",
                   help="only check that HOST:PORT can be listened on, then exit (0 if so; make serve does "
                        "this first, whichever server it then runs)")
    _add_research_commands(sub)
    return parser


# --- research tools (issue 7): concordance, distribution, text reuse ------------

def _filter_args(parser: argparse.ArgumentParser, *, own: tuple[str, ...] = ()) -> None:
    """The filters every query command takes (searchlib.fields: the web's URL parameters, the query's year: …).

    ``own``: filters the command declares itself, with a meaning of its own (stats' --genre has "all").
    """
    for f in FIELDS:
        if f.param in FILTER_PARAMS and f.param not in own:
            parser.add_argument(f"--{f.param}", metavar=f.metavar, help=f.option_help)


def _research_filters(args) -> dict[str, str]:
    return {n: getattr(args, n) for n in FILTER_PARAMS if getattr(args, n, None)}


def _query_command(sub, name: str, help: str, description: str,
                   query_help: str | None = None) -> argparse.ArgumentParser:
    """A command that reads the index through a query and the filters: its QUERY (optional when
    ``query_help`` says what leaving it out means), --index, the filters, and the query syntax as epilog."""
    p = sub.add_parser(name, help=help, description=description, epilog=QUERY_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    if query_help is None:
        p.add_argument("query", metavar="QUERY", help="the query (see syntax below)")
    else:
        p.add_argument("query", nargs="?", default="", metavar="QUERY", help=query_help)
    _index_arg(p)
    _filter_args(p)
    return p


def _add_research_commands(sub) -> None:
    p = _query_command(sub, "kwic", help="concordance: every occurrence of the query in context",
                       description="Every occurrence of the query's words as left context | match | right "
                                   "context, aligned, with the paragraph's permalink.")
    p.add_argument("--width", type=int, default=20, help="characters of context on each side (default 20)")
    p.add_argument("--sort", default="left", choices=["left", "right", "year", "region"],
                   help="order rows by the left context (read backwards), the right context, the year or the place "
                        "(default left)")
    p.add_argument("--limit", type=int, default=None, help="at most this many rows (default: all)")
    _csv_json_args(p, csv_help="print CSV for a spreadsheet (UTF-8 with BOM, CRLF)", links=True)

    p = sub.add_parser("stats", help="distribution of hits by year or place, against coverage",
                       description="Matching paragraphs and reports per year (or province, city, county), "
                                   "with the corpus's coverage of each cell and rates per 100 reports and per "
                                   "10,000 characters. Cells with no reports are gaps. Up to four queries.")
    p.add_argument("queries", nargs="+", metavar="QUERY", help="one to four queries to compare")
    _index_arg(p)
    _filter_args(p, own=("genre",))
    p.add_argument("--by", default="year", choices=["year", "province", "city", "county"],
                   help="the cells: report years (default), or provinces, cities or counties")
    p.add_argument("--genre", default=None, choices=["report", "other", "all"],
                   help="which files count: reports (the default; plans, notices and news are left out), "
                        "other (only those), or all")
    p.add_argument("--metric", default="per_100_reports",
                   choices=["per_100_reports", "per_10k_chars", "reports", "paragraphs"],
                   help="the number shown in the table's last column and in the chart")
    _csv_json_args(p, csv_help="print CSV for a spreadsheet (UTF-8 with BOM, CRLF)")
    p.add_argument("--svg", type=Path, metavar="FILE", help="also write the chart as SVG to FILE")

    p = sub.add_parser("reuse", help="text reuse: which paragraphs of a report appear in other reports",
                       description="Which paragraphs of report DOC_ID appear verbatim or nearly verbatim "
                                   "(>= 80% of 5-character shingles shared) in other reports, and where first. "
                                   "--build runs the reuse pass over the index (it is stored beside it).")
    p.add_argument("doc_id", nargs="?", metavar="DOC_ID", help="the report's id (as in search results)")
    _index_arg(p)
    p.add_argument("--build", action="store_true", help="compute reuse over the whole index first")
    p.add_argument("--json", action="store_true", help="print JSON")


    p = _query_command(sub, "indicators", help="numeric facts the reports state (出庭应诉率, 行政复议案件 …)",
                       description="Numeric facts read from the reports at index time (the list, with the "
                                   "patterns that read each, is data/indicators.toml): one row per fact with "
                                   "its report, place, year, value, unit and sentence. QUERY and the filters "
                                   "narrow the paragraphs, as in `searchlib search`.",
                       query_help="only facts in paragraphs matching this query (default: all)")
    p.add_argument("--indicator", metavar="KEY", help="one indicator (see --list), e.g. appearance_rate")
    p.add_argument("--list", action="store_true", help="list the indicators and exit")
    p.add_argument("--table", action="store_true", help="place x year table of --indicator instead of rows")
    p.add_argument("--build", action="store_true",
                   help="(re)read the facts of the whole index first (index jobs do this themselves)")
    _csv_json_args(p, links=True)

    p = _query_command(sub, "compliance", help="publication compliance: reports published by the deadline or late",
                       description="Each report's publication date against the deadline (default 1 April of the "
                                   "year after the year reported on, as the 2019 督察工作规定 sets): on time, late "
                                   "by N days, or no date shown; shares by year x province and by level over the "
                                   "reports whose date is known, with the unknown beside them. Only reports are "
                                   "judged (plans, notices and news have no deadline) unless --genre all or other.",
                       query_help="only reports with a paragraph matching this query (default: all)")
    p.add_argument("--deadline", default="04-01", metavar="MM-DD",
                   help="month and day of the following year (default 04-01)")
    p.add_argument("--part", default="summary",
                   choices=["summary", "reports", "late", "year_province", "level", "year_level"],
                   help="what to print (default: totals, shares by level and the late reports)")
    _csv_json_args(p, csv_help="print the chosen part as CSV (UTF-8 with BOM)", json_help="print everything as JSON",
                   links=True)

    p = _query_command(sub, "diffusion", help="term diffusion: the first year each place mentions a query",
                       description="For QUERY, the first report year in which each province (or, with --province, "
                                   "each city or county under it) mentions it, with that report; the number of "
                                   "places that have mentioned it by each year, beside how many places the corpus "
                                   "holds reports from (coverage), so a late first year is not mistaken for a gap.")
    p.add_argument("--by", default="province", choices=["province", "city", "county"],
                   help="the places (city and county need --province)")
    _csv_json_args(p, csv_help="print the places as CSV (UTF-8 with BOM)", links=True)
    p.add_argument("--svg", type=Path, metavar="FILE", help="also write the chart as SVG to FILE")

    p = _query_command(sub, "collocates", help="words most associated with a query within +-N words (LL, MI)",
                       description="Words that occur within SPAN words of the query's words (same paragraph) "
                                   "more often than chance, with the co-occurrence count O, the word's frequency "
                                   "C under the filters, expected E, mutual information and log-likelihood.")
    p.add_argument("--span", type=int, default=5, help="words on each side (1-10, default 5)")
    p.add_argument("--sort", default="ll", choices=["ll", "mi", "count"],
                   help="order by log-likelihood (default), mutual information or co-occurrence count")
    p.add_argument("--min", type=int, default=2, dest="min_together", help="least co-occurrences (default 2)")
    _word_list_args(p)

    p = _query_command(sub, "frequency", help="frequency list of the words under the filters",
                       description="The most frequent words (as the indexer segmented them; no punctuation) of "
                                   "the paragraphs QUERY and the filters select, with counts per 10,000 words.",
                       query_help="only paragraphs matching it (default: all)")
    _word_list_args(p)

    p = _query_command(sub, "keyness", help="keywords of one part of the corpus against another (log-likelihood)",
                       description="Words relatively more (LL > 0) or less (LL < 0) frequent in the target (QUERY "
                                   "and the filters) than in the reference (the --ref-* options; none: the rest "
                                   "of the corpus). E.g. --section problems --ref-section achievements, or "
                                   "--year 2021 --ref-year 2019.",
                       query_help="the target's query (default: none)")
    for name in ("q",) + FILTER_PARAMS:
        p.add_argument(f"--ref-{name}", metavar=name.upper(), help=f"the reference's {name}")
    _word_list_args(p)

    p = sub.add_parser("similar", help="paragraphs most similar to a passage (or to a paragraph by --pid)",
                       description="The paragraphs most like TEXT (or like paragraph --pid, or the text of --file; "
                                   "- reads standard input): Jaccard similarity of 5-character shingles after "
                                   "normalization, as the text-reuse pass measures it, so a lightly edited copy is "
                                   "found; a paragraph holding >= 80% of the text's shingles is listed too.")
    p.add_argument("text", nargs="?", default="", metavar="TEXT", help="the passage (or use --pid / --file)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--pid", help="compare with this paragraph of the index")
    p.add_argument("--file", type=Path, metavar="FILE", help="read the passage from FILE (UTF-8; - for stdin)")
    p.add_argument("--order", default="similarity", choices=["similarity", "earliest"],
                   help="most similar first (default), or earliest report first")
    p.add_argument("--min", type=float, default=0.3, dest="min_similarity", help="least similarity (default 0.3)")
    p.add_argument("--limit", type=int, default=20, help="paragraphs to list (default 20)")
    _csv_json_args(p, links=True)


def _word_list_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=100, help="words to list (default 100)")
    parser.add_argument("--min-chars", type=int, default=1, help="shortest word to list, in characters (default 1)")
    _csv_json_args(parser)


def _csv_json_args(parser: argparse.ArgumentParser, csv_help: str = "print CSV (UTF-8 with BOM)",
                   json_help: str = "print JSON", links: bool = False) -> None:
    """--csv (the one CSV writer: BOM, CRLF, formula-safe) or --json, not both; ``links``: rows carry
    links, which --base-url makes absolute (as the web's CSV twin has them)."""
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help=csv_help)
    out.add_argument("--json", action="store_true", help=json_help)
    if links:
        parser.add_argument("--base-url", default="", metavar="URL",
                            help="with --csv: make links absolute, e.g. http://127.0.0.1:8000/")


# --- commands -------------------------------------------------------------------

def cmd_parse(args) -> int:
    from searchlib.ingest.inputs import ManifestError, find_inputs
    from searchlib.ingest.report import parse_item
    from searchlib.ingest.source import SourceError

    try:
        found = find_inputs(args.files, manifest=args.manifest)
    except ManifestError as exc:
        raise CliError(str(exc)) from None
    for path, reason in found.problems:
        _warn(f"skipped {path}: {reason}")
    for note in found.notes:
        _warn(f"note: {note}")
    failed = len(found.problems)
    for item in found.items:
        try:
            report = parse_item(item)
        except SourceError as exc:
            _warn(f"skipped {exc.path}: {exc.reason}")
            failed += 1
            continue
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2 if args.pretty else None), flush=True)
    if not found.items and not failed:
        raise CliError("no report files (.txt, .html, .pdf, .docx, WARC) found in the given paths")
    return EXIT_PARTIAL if failed else EXIT_OK


def cmd_index(args) -> int:
    from searchlib.index.indexing import build_index
    from searchlib.ingest.inputs import ManifestError

    paths = args.paths or [CORPUS_DIR]
    index_dir = args.index or default_index_dir()
    try:
        summary = build_index(paths, index_dir, rebuild=args.rebuild,
                              progress=None if args.quiet or args.json else _progress_bar,
                              stage=None if args.quiet or args.json else _StageLines(),
                              reuse=False if args.no_reuse else (True if args.reuse else None),
                              manifest=args.manifest)
    except ManifestError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        _print_json(summary.to_dict())
        return EXIT_PARTIAL if summary.skipped else EXIT_OK
    for verb, pairs in (("skipped", summary.skipped), ("merged", summary.merged), ("replaced", summary.replaced),
                        ("updated", summary.updated), ("kept apart", summary.separate)):
        for path, why in pairs:
            _warn(f"{verb} {path}: {why}")
    for note in summary.notes:
        _warn(f"note: {note}")
    rate = summary.paragraphs / summary.seconds if summary.seconds else 0
    accounted = [f"{len(summary.merged)} merged as copies" if summary.merged else "",
                 f"{len(summary.replaced)} older version(s) replaced" if summary.replaced else "",
                 f"{len(summary.skipped)} file(s) skipped" if summary.skipped else ""]
    print(f"indexed {_counted(summary.reports, 'report')}, {_counted(summary.paragraphs, 'paragraph')} in "
          f"{summary.seconds:.1f} s "
          f"({rate:.0f} paragraphs/s) into {index_dir}"
          + "".join(f"; {part}" for part in accounted if part)
          + (f" (of {summary.inputs} inputs)" if summary.inputs != summary.reports else ""))
    if summary.reuse:
        print(_reuse_line(summary.reuse))
    return EXIT_PARTIAL if summary.skipped else EXIT_OK


def _reuse_line(figures: dict) -> str:
    return (f"reuse pass: {figures['paragraphs']} paragraphs, {figures['distinct_texts']} distinct texts, "
            f"{figures['verified_pairs']} similar pairs verified of {figures['candidate_pairs']} candidates "
            f"in {figures['seconds_total']:.1f} s")


def cmd_delete(args) -> int:
    from searchlib.index.indexing import delete_reports

    index_dir = args.index or default_index_dir()
    summary = delete_reports(index_dir, args.doc_ids)
    for doc_id in summary.missing:
        _warn(f"no report {doc_id} in the index")
    for note in summary.notes:
        _warn(f"note: {note}")
    print(f"deleted {len(summary.deleted)} reports ({summary.paragraphs} paragraphs) in {summary.seconds:.1f} s")
    return EXIT_PARTIAL if summary.missing else EXIT_OK


def cmd_optimize(args) -> int:
    from searchlib.index.indexing import optimize_index

    index_dir = args.index or default_index_dir()
    notes: list[str] = []
    paragraphs = optimize_index(index_dir, notes)
    for note in notes:
        _warn(f"note: {note}")
    print(f"optimized {index_dir}: {paragraphs} paragraphs in one segment")
    return EXIT_OK


def cmd_search(args) -> int:
    from searchlib.query.suggest import suggest

    if args.limit < 0 or args.offset < 0:
        raise CliError("--limit and --offset must not be negative")
    request = _request(args, sort=args.sort, limit=args.limit, offset=args.offset, group=not args.paragraphs,
                       mode="strict" if args.strict else "fuzzy", boilerplate=args.boilerplate)
    with _library(args) as library:
        results = library.search(request)
        suggestions = suggest(library, request, results)
        data = results.to_json(library.reuse_store()) if args.json else None
        table = _search_csv(library, results, args.base_url) if args.csv else None
        stale_dictionary = library.dictionary_changed()
    if args.json:
        data["suggestions"] = [s.to_json() for s in suggestions]
        _print_json(data)
    elif args.csv:
        _write_csv(table)
    else:
        _print_results(results)
    if not args.json:   # finding little: other queries to try, one a line (off stdout when it holds a CSV)
        for suggestion in suggestions:
            print(suggestion.line(), file=sys.stderr if args.csv else sys.stdout)
    for problem in results.problems:
        _warn(f"note: {problem}")
    if stale_dictionary:
        from searchlib.index.storage import DICTIONARY_CHANGED
        _warn(f"note: {DICTIONARY_CHANGED}")
    return EXIT_OK


def _search_csv(library, results, base_url: str) -> str:
    """The hits as the web exports them: a paragraph a row, or (grouped) a report a row."""
    from searchlib import export
    reports: dict[str, dict] = {}
    if results.groups is not None:
        return export.csv_text(export.REPORT_COLUMNS, [
            export.report_row(g, library.paragraph(g.best.pid) or {}, base_url) for g in results.groups])
    rows = [export.paragraph_row(hit, reports.setdefault(hit.doc_id, library.paragraph(hit.pid) or {}), base_url)
            for hit in results.hits]
    return export.csv_text(export.PARAGRAPH_COLUMNS, rows)


def _library(args):
    """The index --index names (default: $SEARCHLIB_INDEX or index/), to use in a with-statement."""
    from searchlib.query.search import Library

    return Library(args.index or default_index_dir())


def _request(args, **params):
    """The command's QUERY (if it takes one) and filters as the library's request."""
    from searchlib.query.search import SearchRequest

    return SearchRequest(q=getattr(args, "query", ""), **_research_filters(args), **params)


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _print_tsv(columns, records: list[dict]) -> None:
    """Records as a tab-separated table for the terminal, "—" in empty cells."""
    print("\t".join(columns))
    for r in records:
        print("\t".join("—" if r.get(c) in (None, "") else str(r[c]) for c in columns))


def _excerpt(text: str, width: int) -> str:
    return text[:width] + "…" if len(text) > width else text


def _write_table(args, columns, records) -> None:
    """Records as the web's CSV twin of the page writes them (the one CSV writer, searchlib.export);
    their links absolute under --base-url when given."""
    from searchlib.export import csv_text, with_absolute_urls

    _write_csv(csv_text(columns, with_absolute_urls(records, getattr(args, "base_url", "") or "")))


def _write_csv(text: str) -> None:
    """A CSV as bytes: its BOM and CRLF line ends reach the file whatever the terminal's encoding."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


# glibc gives each thread that allocates under contention its own malloc arena (up to 8 per
# core), and each arena keeps the freed pages of the big NumPy arrays a heavy query makes. On a
# 1M-paragraph index bench/server.py measured the server's private memory at 872 MB with the
# default and 416 MB with two arenas (RSS 1.8 -> 1.4 GB), answer times unchanged.
SERVE_MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def _limit_malloc_arenas(count: int) -> None:
    """Cap glibc's malloc arenas before the server starts its threads; elsewhere, nothing to do."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, count)
    except (OSError, AttributeError):
        pass


def cmd_serve(args) -> int:
    from searchlib.index.indexing import IndexMissing, build_index, resolve_index_dir

    from webui.public import BaseUrlError, checked_base_url, default_base_url

    _limit_malloc_arenas(SERVE_MALLOC_ARENAS)
    for name in ("workers", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise CliError(f"--{name} must be at least 1")
    # Take the port's measure before anything is built or announced: a busy port is one line with the
    # way out, not a server that says it is serving and then fails (gunicorn would retry for 5 s).
    try:
        check_can_listen(args.host, args.port)
    except OSError as exc:
        raise CliError(_listen_problem(args.host, args.port, exc)) from None
    if args.check_port:
        return EXIT_OK
    try:
        base_url = checked_base_url(args.base_url or default_base_url(args.host, args.port))
    except BaseUrlError as exc:
        raise CliError(str(exc)) from None

    index_dir = args.index or default_index_dir()
    try:
        resolve_index_dir(index_dir)
    except IndexMissing:
        print(f"no index at {index_dir} yet: building it from {args.corpus} …", file=sys.stderr)
        summary = build_index([args.corpus], index_dir, rebuild=True, progress=_progress_bar, stage=_StageLines())
        for path, reason in summary.skipped:
            _warn(f"skipped {path}: {reason}")
        print(f"indexed {summary.reports} reports, {summary.paragraphs} paragraphs", file=sys.stderr)
    from webui import create_app

    from searchlib.query.search import Library

    config = {"INDEX_DIR": str(index_dir), "BASE_URL": base_url}
    server = args.server or default_server()
    if server == "gunicorn":
        # Checked once here (an index that cannot be read is one line now, not one per worker), and let
        # go of: gunicorn's master serves nothing, and an index held open keeps old generations on disk.
        Library(index_dir).close()
        create_app({**config, "OPEN_INDEX_EAGERLY": False})
    print(f"searchlib {__version__} serving {index_dir} on http://{args.host}:{args.port}/ as {base_url} "
          f"with {server} (Ctrl-C stops)", file=sys.stderr, flush=True)
    if server == "gunicorn":
        workers = args.workers or default_workers()
        run_gunicorn(config, args.host, args.port, workers=workers, threads=args.threads or THREADS_PER_WORKER)
    else:
        run_waitress(config, args.host, args.port, threads=args.threads or 8)
    return EXIT_OK


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use: the port is taken by another program (is searchlib "
                f"already running there?); serve on another port: make serve PORT={port + 1}")
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}); try another: make serve PORT={port + 1}"


def cmd_kwic(args) -> int:
    from searchlib.research import kwic

    if args.limit is not None and args.limit < 0:
        raise CliError("--limit must not be negative")
    from searchlib.query.parse import has_terms

    with _library(args) as library:
        rows = kwic.concordance(library, _request(args), width=args.width, sort=args.sort)
    if not has_terms(args.query):
        _warn("note: a concordance lists the occurrences of words or strings: this query has none (filters alone "
              "have no occurrences); give the words to look for")
    shown = rows if args.limit is None else rows[:args.limit]
    if args.csv:
        _write_csv(kwic.to_csv(shown, base_url=args.base_url))
    elif args.json:
        _print_json({"query": args.query, "total": len(rows), "width": args.width, "sort": args.sort,
                     "rows": [r.to_dict() for r in shown]})
    else:
        print(f"{len(rows)} occurrences of {args.query!r}" + (f", showing {len(shown)}" if len(shown) < len(rows)
                                                               else ""))
        for line in kwic.format_lines(shown, args.width):
            print(line)
    return EXIT_OK


def cmd_stats(args) -> int:
    from searchlib.research import stats

    if len(args.queries) > stats.MAX_QUERIES:
        raise CliError(f"compare at most {stats.MAX_QUERIES} queries")
    with _library(args) as library:
        table = stats.distribution(library, args.queries, by=args.by, filters=_research_filters(args))
    if args.svg:
        args.svg.write_text(stats.to_svg(table, metric=args.metric), encoding="utf-8")
    if args.csv:
        _write_csv(stats.to_csv(table))
    elif args.json:
        print(stats.to_json(table))
    else:
        print("\n".join(stats.format_table(table, metric=args.metric)))
    return EXIT_OK


def cmd_reuse(args) -> int:
    from searchlib.research import reuse
    from searchlib.export import paragraph_number

    index_dir = args.index or default_index_dir()
    if not args.build and not args.doc_id:
        raise CliError("give a DOC_ID, or --build to compute reuse for the index")
    if args.build:
        figures = reuse.build(index_dir)
        print(_reuse_line(figures), file=sys.stderr)
        if not args.doc_id:
            return EXIT_OK
    store = reuse.open_store(index_dir)
    if store is None:
        raise CliError("no reuse data for the current index: run `searchlib reuse --build`")
    try:
        with _library(args) as library:
            if not library.report(args.doc_id):
                raise CliError(f"no report with doc_id {args.doc_id!r} in the index")
            found = store.report_reuse(args.doc_id)
            texts = {r.pid: (library.paragraph(r.pid) or {}).get("text", "") for r in found}
    finally:
        store.close()
    if args.json:
        _print_json({"doc_id": args.doc_id, "paragraphs": [
            {"pid": r.pid, "position": r.position, "paragraph_number": paragraph_number(r.position),
             "text": texts[r.pid], "shared_count": r.shared_count,
             "earliest": r.earliest.to_dict(), "also_in": [o.to_dict() for o in r.also_in]} for r in found]})
        return EXIT_OK
    print(f"{len(found)} paragraph(s) of report {args.doc_id} appear in other reports")
    for r in found:
        text = texts[r.pid]
        first = r.earliest
        origin = "this report" if first.doc_id == args.doc_id else f"{first.year or '年份不详'} {first.locality}"
        print(f"\n¶{paragraph_number(r.position)} /p/{r.pid}  also in {r.shared_count} other report(s); "
              f"earliest: {origin}")
        print("    " + _excerpt(text, 70))
        for o in r.also_in:
            same = "identical" if o.jaccard == 1.0 else f"{o.jaccard:.0%} alike"
            print(f"    - {o.year or '----'} {o.locality or '地区不详'} ({same}) {o.url}")
    return EXIT_OK


def cmd_indicators(args) -> int:
    from searchlib.research import indicators

    if args.list:
        if args.json:
            _print_json([i.to_dict() for i in indicators.definitions()])
        else:
            for i in indicators.definitions():
                print(f"{i.key:34} {i.unit:2} {i.name}  ({'、'.join(i.aliases)})")
        return EXIT_OK
    if args.table and not args.indicator:
        raise CliError("--table needs --indicator KEY (see --list)")
    index_dir = args.index or default_index_dir()
    if args.build:
        figures = indicators.build(index_dir)
        print(f"indicators: {figures['facts']} facts from {figures['paragraphs_read']} paragraphs "
              f"in {figures['seconds']:.1f} s", file=sys.stderr)
    try:
        with _library(args) as library:
            rows = indicators.facts(library, _request(args), args.indicator)
    except indicators.IndicatorsMissing as exc:
        raise CliError(str(exc)) from None
    if args.table:
        table = indicators.pivot(rows, args.indicator)
        columns, records = indicators.pivot_records(table)
        if args.csv:
            _write_table(args, columns, records)
        elif args.json:
            _print_json(table.to_dict())
        else:
            _print_tsv(columns, records)
        return EXIT_OK
    if args.csv:
        _write_table(args, indicators.CSV_COLUMNS, [r.to_dict() for r in rows])
    elif args.json:
        _print_json({"query": args.query, "indicator": args.indicator, "total": len(rows),
                     "rows": [r.to_dict() for r in rows]})
    else:
        print(f"{len(rows)} fact(s)")
        for r in rows:
            print(f"{r.year or '----'} {r.place or '地区不详'}  {r.indicator_name} = {r.value}{r.unit}  {r.url}")
            print("    " + _excerpt(r.sentence, 80))
    return EXIT_OK


def cmd_compliance(args) -> int:
    from searchlib.research import compliance

    with _library(args) as library:
        result = compliance.compliance(library, _request(args), deadline=args.deadline)
    if args.json:
        _print_json(result.to_dict())
        return EXIT_OK
    if args.csv:
        columns, records = compliance.part(result, "reports" if args.part == "summary" else args.part)
        _write_table(args, columns, records)
        return EXIT_OK
    if args.part != "summary":
        _print_tsv(*compliance.part(result, args.part))
        return EXIT_OK
    t = result.totals
    print(f"deadline: {result.deadline} of the following year; {t.reports} report(s): {t.on_time} on time, "
          f"{t.late} late, {t.unknown} unknown (no date {t.no_date}, no year {t.no_year})"
          + (f"; on time {t.on_time_share}% of {t.known} with a known date" if t.known else ""))
    for s in result.by_level:
        print(f"  level {s.key[0]:9} {s.on_time}/{s.known} on time" + (f" ({s.on_time_share}%)" if s.known else "")
              + f", {s.unknown} unknown")
    for r in result.late:
        print(f"late by {r.days_late:>4} day(s): {r.year} {r.place or '地区不详'} published {r.publish_date} "
              f"(deadline {r.deadline})  {r.url}")
    return EXIT_OK


def cmd_diffusion(args) -> int:
    from searchlib.research import diffusion

    with _library(args) as library:
        result = diffusion.diffusion(library, _request(args), by=args.by)
    if args.svg:
        args.svg.write_text(diffusion.to_svg(result), encoding="utf-8")
    if args.csv:
        _write_table(args, diffusion.CSV_COLUMNS, diffusion.place_records(result))
    elif args.json:
        _print_json(result.to_dict())
    else:
        print(f"{len(result.places)} place(s) mention {args.query!r}")
        for m in result.places:
            print(f"  {m.year}  {m.place}  ({m.reports} report(s))  first: {m.title or m.doc_id}  {m.url}")
        print("year  new  cumulative  coverage  covered(cumulative)")
        for p in result.years:
            print(f"{p.year}  {p.new:>3}  {p.cumulative:>10}  {p.coverage:>8}  {p.covered_cumulative:>19}")
    return EXIT_OK


def _word_command(args, compute, columns: tuple[str, ...], rows_of) -> int:
    from dataclasses import asdict

    with _library(args) as library:
        result = compute(library)
    records = [asdict(r) for r in rows_of(result)]
    if args.csv:
        _write_table(args, columns, records)
    elif args.json:
        _print_json(result.to_dict())
    else:
        _print_tsv(columns, records)
    if not records:
        # A header alone read as an answer: say why there is nothing (on stderr: a CSV stays clean).
        _warn("note: nothing to list: no paragraph matches the query and filters (or, for keyness, the target and "
              "the reference are the same), or no word passes --min / --min-chars; try fewer conditions")
    return EXIT_OK


def cmd_collocates(args) -> int:
    from searchlib.research import wordstats

    request = _request(args)
    return _word_command(args, lambda lib: wordstats.collocates(lib, request, span=args.span, sort=args.sort,
                                                                limit=args.limit, min_together=args.min_together),
                         wordstats.COLLOCATE_COLUMNS, lambda r: r.collocates)


def cmd_frequency(args) -> int:
    from searchlib.research import wordstats

    request = _request(args)
    return _word_command(args, lambda lib: wordstats.frequency(lib, request, limit=args.limit,
                                                               min_chars=args.min_chars),
                         wordstats.FREQUENCY_COLUMNS, lambda r: r.words)


def cmd_keyness(args) -> int:
    from searchlib.query.search import SearchRequest
    from searchlib.research import wordstats

    target = _request(args)
    given = {name: getattr(args, f"ref_{name}") for name in ("q",) + FILTER_PARAMS if getattr(args, f"ref_{name}")}
    if not given and not (args.query or _research_filters(args)):
        raise CliError("say what to compare: a target (QUERY or filters) and/or a reference (--ref-*)")
    reference = SearchRequest(**given) if given else None
    return _word_command(args, lambda lib: wordstats.keyness(lib, target, reference, limit=args.limit,
                                                             min_chars=args.min_chars),
                         wordstats.KEYNESS_COLUMNS, lambda r: r.words)


def cmd_similar(args) -> int:
    from searchlib.research import similar

    text = args.text
    if args.file:
        try:
            text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from None
    if not (text.strip() or args.pid):
        raise CliError("give a passage (TEXT or --file) or --pid")
    with _library(args) as library:
        result = similar.similar(library, _request(args), text=text, pid=args.pid,
                                 limit=args.limit, min_similarity=args.min_similarity, order=args.order)
    if args.csv:
        _write_table(args, similar.CSV_COLUMNS, [p.to_dict() for p in result.passages])
    elif args.json:
        _print_json(result.to_dict())
    else:
        found_by = f" found by {'、'.join(result.words)}" if result.words else ""
        print(f"{len(result.passages)} similar paragraph(s) (compared {result.candidates}{found_by})")
        for p in result.passages:
            # A paragraph listed because it holds the passage shows how much of it (its Jaccard is low by nature).
            held = f"  holds {p.containment:.0%} of the passage" if p.containment > p.similarity else ""
            print(f"{p.similarity:6.1%}  {p.year or '----'} {p.place or '地区不详'}  {p.url}{held}")
            print("        " + _excerpt(p.text, 70))
    return EXIT_OK


# --- output ---------------------------------------------------------------------

_MARK = re.compile(r"</?mark>")


def _terminal_snippet(html_snippet: str, color: bool) -> str:
    import html

    if color:
        text = html_snippet.replace("<mark>", "\x1b[1;33m").replace("</mark>", "\x1b[0m")
    else:
        text = html_snippet.replace("<mark>", "«").replace("</mark>", "»")
    return html.unescape(_MARK.sub("", text))


def _print_results(results) -> None:
    if results.groups is not None:
        _print_reports(results)
        return
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    shown = len(results.hits)
    first = results.offset + 1 if shown else 0
    print(f"{_counted(results.total, 'paragraph')} in {_counted(results.total_reports, 'report')} match "
          f"{results.query!r} "
          f"(read as: {results.understood or '-'}); showing {first}-{results.offset + shown}, "
          f"{results.took_ms:.0f} ms")
    for i, hit in enumerate(results.hits, start=first):
        place = fields.place(hit) or "地区不详"
        year = hit.report_year or "年份不详"
        print(f"\n[{i}] {year} · {place} · {hit.title or '（无题名）'}{_genre_mark(hit)}")
        if hit.section_heading or hit.section_kind:
            print(f"    § {hit.section_heading or ''} ({hit.section_kind})")
        print("    " + _terminal_snippet(hit.snippet, color))
        print(f"    {hit.url}")
    if results.total == 0:
        print("no paragraph matches. Try fewer words, the exact form in quotes, or drop a filter.")


def _genre_mark(hit) -> str:
    """The mark of a hit that is not a report (a plan, a notice, news), as the web shows it."""
    return " · [非报告 not a report]" if hit.genre and hit.genre != "report" else ""


def _print_reports(results) -> None:
    from searchlib.query.parse import has_terms
    from searchlib.query.tiers import TIER_LABELS, describe

    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    first = results.offset + 1 if results.groups else 0
    words = has_terms(results.query)
    counts = (describe(results.tiers, words=words) if results.tiers is not None
              else describe({1: results.total_reports}, words=words))
    print(f"{counts} (query {results.query!r}, read as: {results.understood or '-'}); "
          f"{_counted(results.total, 'paragraph')} match{'es' if results.total == 1 else ''} strictly; "
          f"showing reports {first}-{results.offset + len(results.groups)}, "
          f"{results.took_ms:.0f} ms")
    for used in results.concepts:
        ways = [f"{name} {w}" for name, w in (("parts", " + ".join(used["parts"])),
                                               ("thesaurus", "、".join(used["synonyms"][:6])),
                                               ("pieces", "、".join(used["pieces"])),
                                               ("related", "、".join(used["related"][:6])),
                                               ("common words", "、".join(used["common"]))) if w]
        written = used.get("as_written")
        by_words = (f"its words anywhere in one paragraph ({written} paragraph{'' if written == 1 else 's'} write it "
                    f"as typed); " if written is not None else "")
        if ways or by_words:
            also = f"also as {'; '.join(ways)} " if ways else ""
            print(f"  {used['concept']}: {by_words}{also}(quote it to switch this off)")
    tier = None
    for i, group in enumerate(results.groups, start=first):
        if group.tier != tier:
            tier = group.tier
            print(f"\n== tier {tier}: {TIER_LABELS[tier]}")
        hit = group.best
        place = fields.place(hit) or "地区不详"
        print(f"\n[{i}] {hit.report_year or '年份不详'} · {place} · {hit.title or '（无题名）'}{_genre_mark(hit)}"
              + (f" · {group.matches} paragraph(s) with every concept" if group.matches else ""))
        for paragraph in group.paragraphs:
            print("    " + _terminal_snippet(paragraph.snippet, color))
            print(f"    {paragraph.url}")
    if not results.groups and not results.total_groups:
        print("no report matches. Try fewer words, another word for the same thing, or drop a filter.")


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _port(text: str) -> int:
    """A TCP port, for argparse (which then says what is wrong in one line)."""
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _warn(message: str) -> None:
    print(f"searchlib: {message}", file=sys.stderr, flush=True)


def _progress_bar(total: int):
    from tqdm import tqdm

    if not sys.stderr.isatty():
        return _ProgressLines(total)
    return tqdm(total=total, unit="file", desc="indexing", file=sys.stderr, leave=False)


class _ProgressLines:
    """Progress for a log, not a terminal (cron, nohup, a CI job): a line every PROGRESS_LINE_SECONDS, so a long
    build is seen to advance; a bar's carriage returns would pile up in the file."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self.started = self.said = time.monotonic()
        self.closed = False

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.said >= PROGRESS_LINE_SECONDS:
            self.said = now
            print(f"indexing: {self.done} of {self.total} files read ({now - self.started:.0f} s)", file=sys.stderr,
                  flush=True)

    def close(self) -> None:
        if not self.closed and time.monotonic() - self.started >= PROGRESS_LINE_SECONDS:
            print(f"indexing: all {self.total} files read ({time.monotonic() - self.started:.0f} s)",
                  file=sys.stderr, flush=True)
        self.closed = True


class _StageLines:
    """Says each step of a long build after its files are read (the bar is full and gone by then; the text-reuse
    pass alone takes minutes at 100k paragraphs). A build shorter than PROGRESS_LINE_SECONDS so far says nothing:
    its remaining steps are as short."""

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed >= PROGRESS_LINE_SECONDS:
            print(f"indexing: {text} … ({elapsed:.0f} s)", file=sys.stderr, flush=True)


# Without a terminal, a long build says how far it is this often.
PROGRESS_LINE_SECONDS = 15


# --- entry point ----------------------------------------------------------------

COMMANDS = {"parse": cmd_parse, "index": cmd_index, "delete": cmd_delete, "optimize": cmd_optimize,
            "search": cmd_search, "serve": cmd_serve,
            "kwic": cmd_kwic, "stats": cmd_stats, "reuse": cmd_reuse, "indicators": cmd_indicators,
            "compliance": cmd_compliance, "diffusion": cmd_diffusion,
            "collocates": cmd_collocates, "frequency": cmd_frequency, "keyness": cmd_keyness,
            "similar": cmd_similar}


# What to do about a fault of the machine rather than of the request, by errno.
_FAULT_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space (an index job needs room for a whole new generation "
                  "beside the live one) and run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space and run the command again",
    errno.EROFS: "the file system is read-only: give --index a writable folder (or remount it read-write)",
    errno.EACCES: "permission denied: check the owner and mode of the folder, or give --index another folder",
    errno.EPERM: "operation not permitted: check the owner and mode of the folder, or give --index another folder",
    errno.ENOTDIR: "a file stands where a folder is expected: give --index a folder",
    errno.EISDIR: "a folder stands where a file is expected",
    errno.ENOENT: "it does not exist",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) and run the command again",
    errno.ENFILE: "too many open files on this machine: close some programs and run the command again",
    errno.EIO: "the disk reported an input/output error: check the disk",
    errno.ENAMETOOLONG: "a file name is too long for this file system",
    errno.EADDRINUSE: "the port is taken by another program: choose another with --port",
    errno.EADDRNOTAVAIL: "this machine has no such address: give --host one of its addresses (or 0.0.0.0)",
}
# SQLite says the same things in words.
_SQLITE_FAULTS = {"database or disk is full": errno.ENOSPC, "readonly database": errno.EROFS,
                  "unable to open database file": errno.EACCES, "disk i/o error": errno.EIO}


def environment_fault(exc: BaseException, where: Path | str | None = None) -> str | None:
    """One line saying what failed and what to do, for a fault of the machine (full disk, read-only
    or forbidden folder …); None for anything else."""
    import sqlite3

    from searchlib.index.storage import cut_short

    if isinstance(exc, sqlite3.OperationalError):
        code = next((c for words, c in _SQLITE_FAULTS.items() if words in str(exc).lower()), None)
        path = None
    elif isinstance(exc, OSError):
        code, path = exc.errno, exc.filename
    elif cut_short(exc):
        from searchlib.index.storage import REBUILD_COMMAND
        return f"the index at {where} is damaged (one of its files ends early): rebuild it with `{REBUILD_COMMAND}`"
    else:
        return None
    advice = _FAULT_ADVICE.get(code)
    if advice is None:
        return None
    if code in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
        return f"cannot listen there: {advice}"
    place = path or where
    return f"cannot {'write' if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else 'use'} " \
           f"{place if place is not None else 'a file'}: {advice}"


def _undecodable_argument(argv: list[str]) -> str | None:
    """Arguments the terminal gave in another encoding than UTF-8 arrive with surrogates in them."""
    for position, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            return (f"argument {position} is not UTF-8 text ({raw[:16]!r}): set a UTF-8 locale "
                    "(e.g. LANG=C.UTF-8) or convert it, e.g. with iconv -f GBK -t UTF-8")
    return None


def main(argv: list[str] | None = None) -> int:
    from searchlib.index.indexing import IndexError_
    from searchlib.query.parse import QueryError
    from searchlib.ingest.source import SourceError

    argv = sys.argv[1:] if argv is None else argv
    undecodable = _undecodable_argument(argv)
    if undecodable:
        _warn(undecodable)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except (CliError,) as exc:
        _warn(str(exc))
        return exc.code
    except (IndexError_, QueryError, SourceError) as exc:
        _warn(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _warn("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last resort: one line, not a traceback
        fault = environment_fault(exc, getattr(args, "index", None) or default_index_dir())
        if fault is not None:
            _warn(fault)
            return EXIT_USAGE
        if os.environ.get("SEARCHLIB_DEBUG"):
            raise
        _warn(f"internal error: {type(exc).__name__}: {exc} (set SEARCHLIB_DEBUG=1 for details)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
