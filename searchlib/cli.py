"""The ``searchlib`` command: a thin layer over the library.

Every expected failure (a bad file, a missing index, an unreadable query)
ends in one line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import sys
from pathlib import Path

from searchlib import __version__
from searchlib.config import CORPUS_DIR, default_index_dir

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
  复议 OR 诉讼, 复议 | 诉讼  either word
  复议 -诉讼, 复议 NOT 诉讼  without the second
  (复议 | 诉讼) 纠错       grouping
  行政复议 /s 纠错        both within one sentence (同句); /p (同段) is the default
  -(复议 | 诉讼)          none of them
  year:2019-2021 province:四川 level:county|township section:problems body:department title:诸暨
  年份:2021 省份:四川 章节:存在问题   (Chinese aliases)
Full-width quotes, brackets and digits (“ ” （ ） １２３) and traditional
characters work the same as their plain forms.
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
                       description="Parse report files (.txt or .html, any common Chinese encoding) and print "
                                   "one JSON object per file: metadata, sections and paragraphs with their ids.")
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

    p = sub.add_parser("search", help="search the index",
                       description="Search the paragraphs of the indexed reports.", epilog=QUERY_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", metavar="QUERY", help="the query (see syntax below)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--sort", default="relevance", choices=["relevance", "newest", "oldest"])
    p.add_argument("--boilerplate", choices=["hide", "only"],
                   help="hide paragraphs that 5 or more reports share (templates), or show only them; "
                        "needs `searchlib reuse --build`")
    p.add_argument("--group", action="store_true",
                   help="one entry per report: its best paragraph and how many of its paragraphs match")
    p.add_argument("--limit", type=int, default=10, help="hits (or reports, with --group) to show (default 10)")
    p.add_argument("--offset", type=int, default=0, help="hits to skip (for paging)")
    p.add_argument("--json", action="store_true", help="print the result set as JSON")

    p = sub.add_parser("serve", help="serve the web UI (builds the index first if there is none)",
                       description="Serve the web UI with a production WSGI server (waitress). If the index "
                                   "does not exist yet it is built from the bundled corpus first.")
    _index_arg(p)
    p.add_argument("--host", default=os.environ.get("SEARCHLIB_HOST", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=int(os.environ.get("SEARCHLIB_PORT", "8000")),
                   help="port (default 8000)")
    p.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                   help=f"reports to index when there is no index yet (default: {CORPUS_DIR})")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    _add_research_commands(sub)
    return parser


# --- research tools (issue 7): concordance, distribution, text reuse ------------

def _filter_args(parser: argparse.ArgumentParser) -> None:
    """The filters every query command takes, with the same meaning as in the query (year: …)."""
    parser.add_argument("--year", help="report year, or a range: 2019-2021")
    parser.add_argument("--province", help="province (short names work: 四川)")
    parser.add_argument("--city", help="city or prefecture")
    parser.add_argument("--county", help="county or district")
    parser.add_argument("--level", help="province | city | county | township (several with |)")
    parser.add_argument("--body", help="government | department")
    parser.add_argument("--section", help="achievements | problems | plans | leadership | other (or 存在问题 …)")


def _research_filters(args) -> dict[str, str]:
    names = ("year", "province", "city", "county", "level", "body", "section")
    return {n: getattr(args, n) for n in names if getattr(args, n)}


def _add_research_commands(sub) -> None:
    p = sub.add_parser("kwic", help="concordance: every occurrence of the query in context",
                       description="Every occurrence of the query's words as left context | match | right "
                                   "context, aligned, with the paragraph's permalink.", epilog=QUERY_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", metavar="QUERY")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--width", type=int, default=20, help="characters of context on each side (default 20)")
    p.add_argument("--sort", default="left", choices=["left", "right", "year", "region"])
    p.add_argument("--limit", type=int, default=None, help="at most this many rows (default: all)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV (for a spreadsheet)")
    out.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("stats", help="distribution of hits by year or place, against coverage",
                       description="Matching paragraphs and reports per year (or province, city, county), "
                                   "with the corpus's coverage of each cell and rates per 100 reports and per "
                                   "10,000 characters. Cells with no reports are gaps. Up to four queries.")
    p.add_argument("queries", nargs="+", metavar="QUERY", help="one to four queries to compare")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--by", default="year", choices=["year", "province", "city", "county"])
    p.add_argument("--genre", default=None, choices=["report", "other", "all"],
                   help="which files count: reports (the default; plans, notices and news are left out), "
                        "other (only those), or all")
    p.add_argument("--metric", default="per_100_reports",
                   choices=["per_100_reports", "per_10k_chars", "reports", "paragraphs"],
                   help="the number shown in the table's last column and in the chart")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV")
    out.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--svg", type=Path, metavar="FILE", help="also write the chart as SVG to FILE")

    p = sub.add_parser("reuse", help="text reuse: which paragraphs of a report appear in other reports",
                       description="Which paragraphs of report DOC_ID appear verbatim or nearly verbatim "
                                   "(>= 80%% of 5-character shingles shared) in other reports, and where first. "
                                   "--build runs the reuse pass over the index (it is stored beside it).")
    p.add_argument("doc_id", nargs="?", metavar="DOC_ID", help="the report's id (as in search results)")
    _index_arg(p)
    p.add_argument("--build", action="store_true", help="compute reuse over the whole index first")
    p.add_argument("--json", action="store_true", help="print JSON")


# --- commands -------------------------------------------------------------------

def cmd_parse(args) -> int:
    from searchlib.inputs import ManifestError, find_inputs
    from searchlib.report import parse_item
    from searchlib.source import SourceError

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
    from searchlib.indexing import build_index
    from searchlib.inputs import ManifestError

    paths = args.paths or [CORPUS_DIR]
    index_dir = args.index or default_index_dir()
    try:
        summary = build_index(paths, index_dir, rebuild=args.rebuild,
                              progress=None if args.quiet or args.json else _progress_bar,
                              reuse=False if args.no_reuse else (True if args.reuse else None),
                              manifest=args.manifest)
    except ManifestError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_PARTIAL if summary.skipped else EXIT_OK
    for path, reason in summary.skipped:
        _warn(f"skipped {path}: {reason}")
    for path, what in summary.merged:
        _warn(f"merged {path}: {what}")
    for path, what in summary.replaced:
        _warn(f"replaced {path}: {what}")
    for path, what in summary.updated:
        _warn(f"updated {path}: {what}")
    for path, why in summary.separate:
        _warn(f"kept apart {path}: {why}")
    for note in summary.notes:
        _warn(f"note: {note}")
    rate = summary.paragraphs / summary.seconds if summary.seconds else 0
    accounted = [f"{len(summary.merged)} merged as copies" if summary.merged else "",
                 f"{len(summary.replaced)} older version(s) replaced" if summary.replaced else "",
                 f"{len(summary.skipped)} file(s) skipped" if summary.skipped else ""]
    print(f"indexed {summary.reports} reports, {summary.paragraphs} paragraphs in {summary.seconds:.1f} s "
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
    from searchlib.indexing import delete_reports

    index_dir = args.index or default_index_dir()
    summary = delete_reports(index_dir, args.doc_ids)
    for doc_id in summary.missing:
        _warn(f"no report {doc_id} in the index")
    print(f"deleted {len(summary.deleted)} reports ({summary.paragraphs} paragraphs) in {summary.seconds:.1f} s")
    return EXIT_PARTIAL if summary.missing else EXIT_OK


def cmd_optimize(args) -> int:
    from searchlib.indexing import optimize_index

    index_dir = args.index or default_index_dir()
    paragraphs = optimize_index(index_dir)
    print(f"optimized {index_dir}: {paragraphs} paragraphs in one segment")
    return EXIT_OK


def cmd_search(args) -> int:
    from searchlib.search import Library, SearchRequest

    if args.limit < 0 or args.offset < 0:
        raise CliError("--limit and --offset must not be negative")
    library = Library(args.index or default_index_dir())
    try:
        request = SearchRequest(q=args.query, year=args.year, province=args.province, city=args.city,
                                county=args.county, level=args.level, body=args.body, section=args.section,
                                sort=args.sort, limit=args.limit, offset=args.offset, group=args.group,
                                boilerplate=args.boilerplate)
        results = library.search(request)
        data = results.to_json(library.reuse_store()) if args.json else None
    finally:
        library.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_results(results)
    for problem in results.problems:
        _warn(f"note: {problem}")
    return EXIT_OK


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
    from searchlib.indexing import IndexMissing, build_index, resolve_index_dir

    _limit_malloc_arenas(SERVE_MALLOC_ARENAS)

    index_dir = args.index or default_index_dir()
    try:
        resolve_index_dir(index_dir)
    except IndexMissing:
        print(f"no index at {index_dir} yet: building it from {args.corpus} …", file=sys.stderr)
        summary = build_index([args.corpus], index_dir, rebuild=True, progress=_progress_bar)
        for path, reason in summary.skipped:
            _warn(f"skipped {path}: {reason}")
        print(f"indexed {summary.reports} reports, {summary.paragraphs} paragraphs", file=sys.stderr)
    import waitress

    from webui import create_app

    app = create_app({"INDEX_DIR": str(index_dir)})
    print(f"searchlib {__version__} serving {index_dir} on http://{args.host}:{args.port}/ (Ctrl-C stops)",
          file=sys.stderr, flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="searchlib")
    return EXIT_OK


def cmd_kwic(args) -> int:
    from searchlib import kwic
    from searchlib.search import Library, SearchRequest

    if args.limit is not None and args.limit < 0:
        raise CliError("--limit must not be negative")
    library = Library(args.index or default_index_dir())
    try:
        rows = kwic.concordance(library, SearchRequest(q=args.query, **_research_filters(args)),
                                width=args.width, sort=args.sort)
    finally:
        library.close()
    shown = rows if args.limit is None else rows[:args.limit]
    if args.csv:
        kwic.write_csv(shown, sys.stdout)
    elif args.json:
        print(json.dumps({"query": args.query, "total": len(rows), "width": args.width, "sort": args.sort,
                          "rows": [r.to_dict() for r in shown]}, ensure_ascii=False, indent=2))
    else:
        print(f"{len(rows)} occurrences of {args.query!r}" + (f", showing {len(shown)}" if len(shown) < len(rows)
                                                               else ""))
        for line in kwic.format_lines(shown, args.width):
            print(line)
    return EXIT_OK


def cmd_stats(args) -> int:
    from searchlib import stats
    from searchlib.search import Library

    if len(args.queries) > stats.MAX_QUERIES:
        raise CliError(f"compare at most {stats.MAX_QUERIES} queries")
    library = Library(args.index or default_index_dir())
    try:
        filters = {**_research_filters(args), **({"genre": args.genre} if args.genre else {})}
        table = stats.distribution(library, args.queries, by=args.by, filters=filters)
    finally:
        library.close()
    if args.svg:
        args.svg.write_text(stats.to_svg(table, metric=args.metric), encoding="utf-8")
    if args.csv:
        sys.stdout.write(stats.to_csv(table))
    elif args.json:
        print(stats.to_json(table))
    else:
        print("\n".join(stats.format_table(table, metric=args.metric)))
    return EXIT_OK


def cmd_reuse(args) -> int:
    from searchlib import reuse
    from searchlib.search import Library

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
    library = Library(index_dir)
    try:
        if not library.report(args.doc_id):
            raise CliError(f"no report with doc_id {args.doc_id!r} in the index")
        found = store.report_reuse(args.doc_id)
        texts = {r.pid: (library.paragraph(r.pid) or {}).get("text", "") for r in found}
    finally:
        library.close()
        store.close()
    if args.json:
        print(json.dumps({"doc_id": args.doc_id, "paragraphs": [
            {"pid": r.pid, "position": r.position, "text": texts[r.pid], "shared_count": r.shared_count,
             "earliest": r.earliest.to_dict(), "also_in": [o.to_dict() for o in r.also_in]} for r in found]},
            ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{len(found)} paragraph(s) of report {args.doc_id} appear in other reports")
    for r in found:
        text = texts[r.pid]
        first = r.earliest
        origin = "this report" if first.doc_id == args.doc_id else f"{first.year or '年份不详'} {first.locality}"
        print(f"\n§{r.position} /p/{r.pid}  also in {r.shared_count} other report(s); earliest: {origin}")
        print("    " + (text[:70] + "…" if len(text) > 70 else text))
        for o in r.also_in:
            same = "identical" if o.jaccard == 1.0 else f"{o.jaccard:.0%} alike"
            print(f"    - {o.year or '----'} {o.locality or '地区不详'} ({same}) {o.url}")
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
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    shown = len(results.hits)
    first = results.offset + 1 if shown else 0
    print(f"{results.total} paragraphs in {results.total_reports} reports match {results.query!r} "
          f"(read as: {results.understood or '-'}); showing {'reports ' if results.groups is not None else ''}"
          f"{first}-{results.offset + shown}, {results.took_ms:.0f} ms")
    matches = {g.best.pid: g.matches for g in results.groups or []}
    for i, hit in enumerate(results.hits, start=first):
        place = " ".join(p for p in (hit.province, hit.city, hit.county, hit.township) if p) or "地区不详"
        if hit.city == hit.province and hit.city:
            place = " ".join(p for p in (hit.province, hit.county, hit.township) if p)
        year = hit.report_year or "年份不详"
        in_report = f" · {matches[hit.pid]} matching paragraphs" if hit.pid in matches else ""
        not_report = " · [非报告 not a report]" if hit.genre and hit.genre != "report" else ""
        print(f"\n[{i}] {year} · {place} · {hit.title or '(无标题)'}{not_report}{in_report}")
        if hit.section_heading or hit.section_kind:
            print(f"    § {hit.section_heading or ''} ({hit.section_kind})")
        print("    " + _terminal_snippet(hit.snippet, color))
        print(f"    {hit.url}")
    if results.total == 0:
        print("no paragraph matches. Try fewer words, the exact form in quotes, or drop a filter.")


def _warn(message: str) -> None:
    print(f"searchlib: {message}", file=sys.stderr, flush=True)


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="indexing", file=sys.stderr, disable=None, leave=False)


# --- entry point ----------------------------------------------------------------

COMMANDS = {"parse": cmd_parse, "index": cmd_index, "delete": cmd_delete, "optimize": cmd_optimize,
            "search": cmd_search, "serve": cmd_serve,
            "kwic": cmd_kwic, "stats": cmd_stats, "reuse": cmd_reuse}


def main(argv: list[str] | None = None) -> int:
    from searchlib.indexing import IndexError_
    from searchlib.query import QueryError
    from searchlib.source import SourceError

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
        if os.environ.get("SEARCHLIB_DEBUG"):
            raise
        _warn(f"internal error: {type(exc).__name__}: {exc} (set SEARCHLIB_DEBUG=1 for details)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
