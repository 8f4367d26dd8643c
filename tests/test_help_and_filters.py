"""Every command and every page explains itself; the CLI and the web take the same filters (issue 18).

The filters are declared once (searchlib.fields), but the command line and the URL reader are checked
here by what they accept, not by what the registry says, so a surface that drifts fails.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import subprocess
import sys

import pytest
from werkzeug.datastructures import MultiDict

from searchlib import fields
from searchlib.cli import COMMANDS, build_parser, main
from searchlib.query.search import SearchRequest

WEB_ROOT = "http://localhost/"   # the tools app's configured BASE_URL (tests/conftest.py)
EDITED = "(五)基層治理。堅持和發展新時代“楓橋經驗”，推動矛盾糾紛就地化解，全區調解糾紛1300餘件。"   # as tests/test_similar.py


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def options_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s[2:]: a for a in parser._actions for s in a.option_strings if s.startswith("--")}


# --- help -----------------------------------------------------------------------------------

def test_every_command_has_a_parser_and_every_parser_a_command():
    assert set(subcommands()) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_itself(command):
    out = subprocess.run([sys.executable, "-m", "searchlib", command, "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    usage, _, rest = out.stdout.partition("\n\n")
    assert usage.startswith(f"usage: searchlib {command}")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 5, f"`searchlib {command} --help` says no more than its usage"
    undocumented = [name for name, action in options_of(subcommands()[command]).items()
                    if name != "help" and not (action.help or "").strip()]
    assert not undocumented, f"options of {command} without help: {undocumented}"


def test_the_top_level_help_lists_every_command_with_what_it_does():
    out = subprocess.run([sys.executable, "-m", "searchlib", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    summaries = {a.dest: a.help for a in action._choices_actions}
    assert set(summaries) == set(COMMANDS)
    listed = " ".join(out.stdout.split())
    for command, summary in summaries.items():
        assert summary and len(summary.split()) >= 3, f"{command} has no summary"
        assert f"{command} {' '.join(summary.split()[:3])}" in listed, f"{command} is not listed with its summary"


def html_pages(client, pid: str, doc_id: str) -> dict[str, str]:
    """Every GET route of the app whose answer is an HTML page: endpoint -> a URL of it."""
    examples = {"pid": pid, "doc_id": doc_id, "fmt": "txt", "filename": "app.css"}
    pages = {}
    for rule in client.application.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", examples[name])
        response = client.get(url)
        if response.mimetype == "text/html" and response.status_code == 200:   # not an error page
            pages[rule.endpoint] = url
    return pages


def test_every_page_says_what_it_is_for_and_links_the_syntax(tools_client, tools_library):
    from selectolax.lexbor import LexborHTMLParser

    from webui.present import PAGE_HELP

    hit = tools_library.search(SearchRequest(q="行政复议", limit=1)).hits[0]
    pages = html_pages(tools_client, hit.pid, hit.doc_id)
    assert {"search.search_page", "reading.paragraph_page", "research.kwic_page", "tools.similar_page",
            "meta.help_page"} <= set(pages), "the routes were found"
    seen = {}
    for endpoint, url in pages.items():
        dom = LexborHTMLParser(tools_client.get(url).get_data(as_text=True))
        help_box = dom.css_first("[data-page-help]")
        assert help_box is not None, f"{url} has no help"
        text = help_box.text(strip=True)
        assert len(text) >= 30, f"{url}: {text!r}"
        assert help_box.css_first("a[href='/help']") is not None, f"{url}: no link to the query syntax"
        seen[endpoint] = text
    assert len(set(seen.values())) == len(seen), "each page has help of its own"
    assert set(PAGE_HELP) == set(pages), "help for a page that does not exist"


# --- the same filters on the command line and on the web ---------------------------------------

# Names a filter could go by, gathered without the registry: the request's own fields (declared by
# hand), the facet keys, and every name a field is known by in the query language.
NOT_FILTERS = {"q", "sort", "limit", "offset", "group", "mode", "boilerplate", "snippets"}
CANDIDATES = ({f.name for f in dataclasses.fields(SearchRequest)} - NOT_FILTERS) | {
    "report_year", "section_kind", "publish_year", "publish_date", "title", "doc_id", "division_code"}


def web_filters() -> set[str]:
    """The names the web's URL reader keeps as filters (every page reads them through it)."""
    from webui.params import read_filters

    return set(read_filters(MultiDict({name: "x" for name in CANDIDATES})))


def cli_filters(command: str) -> set[str]:
    """The names a command takes as --NAME options that reach its search request."""
    from searchlib.cli import _research_filters

    parser = subcommands()[command]
    accepted = set()
    for name in sorted(CANDIDATES):
        value = "report" if name == "genre" else "2021"   # stats' --genre takes report | other | all
        args, unknown = parser.parse_known_args([f"--{name}", value, "q"])
        if not unknown and _research_filters(args).get(name) == value:
            accepted.add(name)
    return accepted


def query_commands() -> list[str]:
    """The commands that search (they take a --year)."""
    return sorted(c for c, p in subcommands().items() if "year" in options_of(p))


def test_the_query_commands_are_the_ones_that_search():
    assert {"search", "kwic", "stats", "indicators", "compliance", "diffusion", "collocates", "frequency",
            "keyness", "similar"} == set(query_commands())


@pytest.mark.parametrize("command", ["search", "kwic", "stats", "indicators", "compliance", "diffusion",
                                     "collocates", "frequency", "keyness", "similar"])
def test_every_query_command_takes_the_webs_filters(command):
    assert cli_filters(command) == web_filters()


def test_the_filters_are_the_registrys_and_the_requests():
    request_fields = {f.name for f in dataclasses.fields(SearchRequest)} - NOT_FILTERS
    assert web_filters() == set(fields.FILTER_PARAMS) == request_fields
    assert {"township", "genre", "publisher", "published"} <= web_filters()   # the CLI lacked the first two


def test_the_keyness_reference_takes_every_filter_too():
    assert {name[4:] for name in options_of(subcommands()["keyness"]) if name.startswith("ref-")} == \
        {"q"} | web_filters()


def values_of(library) -> dict[str, str]:
    """A value of each filter that some paragraph of the index has, from a township's report."""
    from searchlib.export import paragraph_row

    hit = library.search(SearchRequest(q="枫桥经验", group=False, limit=50))
    hit = next(h for h in hit.hits if h.township)
    row = paragraph_row(hit, library.paragraph(hit.pid))
    return {"year": str(row["report_year"]), "province": row["province"], "city": row["city"],
            "county": row["county"], "township": row["township"], "level": row["level"], "body": row["body"],
            "section": row["section_kind"], "genre": row["genre"] or "report", "publisher": row["publisher"] or "",
            "published": (row["publish_date"] or "")[:4]}


def test_each_filter_narrows_the_cli_and_the_web_alike(index_dir, client, library, capsys):
    values = values_of(library)
    assert set(values) == web_filters(), "a value for every filter"
    everything = client.get("/api/search?q=法治&group=paragraph").get_json()["total"]
    narrowed = 0
    for name, value in values.items():
        if not value:
            continue
        assert main(["search", "法治", "--paragraphs", "--json", f"--{name}", value, "--index", str(index_dir)]) == 0
        printed = json.loads(capsys.readouterr().out)
        served = client.get("/api/search", query_string={"q": "法治", "group": "paragraph", name: value}).get_json()
        assert printed["total"] == served["total"], name
        assert printed["filters"] == served["filters"] and printed["filters"].get(name) == value, name
        narrowed += served["total"] < everything
    assert narrowed >= 8, "the filters filter"


# --- CSV: one writer on both sides --------------------------------------------------------------

def spreadsheet_rows(raw: bytes) -> list[dict]:
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    body = raw[3:]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert body.count(b"\r\n") >= len(rows) + 1 and body.count(b"\n") == body.count(b"\r\n"), "CRLF, every line"
    return rows


@pytest.mark.parametrize("command, web", [
    (["indicators", "--province", "安徽"], "/indicators.csv?province=安徽"),
    (["indicators", "--indicator", "appearance_rate", "--table"],
     "/indicators.csv?indicator=appearance_rate&view=table"),
    (["compliance", "--part", "late"], "/compliance.csv?part=late"),
    (["compliance"], "/compliance.csv"),
    (["diffusion", "枫桥经验"], "/diffusion.csv?q=枫桥经验"),
    (["collocates", "行政复议"], "/collocates.csv?q=行政复议"),
    (["frequency", "--year", "2021"], "/frequency.csv?year=2021"),
    (["keyness", "--year", "2021"], "/keyness.csv?year=2021"),
    (["similar", EDITED], f"/similar.csv?text={EDITED}"),
])
def test_the_tools_cli_csv_is_the_webs_byte_for_byte(tools_index_dir, tools_client, capsysbinary, command, web):
    base = ["--base-url", WEB_ROOT] if "base-url" in options_of(subcommands()[command[0]]) else []
    assert main([*command, "--csv", *base, "--index", str(tools_index_dir)]) == 0
    printed = capsysbinary.readouterr().out
    served = tools_client.get(web)
    assert served.status_code == 200
    assert printed == served.get_data()
    rows = spreadsheet_rows(printed)
    assert rows, "something to compare"
    assert all(r["url"].startswith(WEB_ROOT) for r in rows if r.get("url")), "absolute links, as on the web"


def test_tool_csv_links_come_from_the_configured_address_not_the_host_header(tools_client):
    served = tools_client.get("/diffusion.csv?q=枫桥经验", headers={"Host": "evil.example"}).get_data()
    rows = spreadsheet_rows(served)
    assert rows and all(r["url"].startswith(WEB_ROOT + "p/") for r in rows)
    assert b"evil.example" not in served


def test_formula_like_cells_stay_text_on_both_sides(reuse_index_dir, reuse_client, capsysbinary):
    query = "-出庭应诉 行政复议"
    assert main(["kwic", query, "--csv", "--index", str(reuse_index_dir)]) == 0
    printed = spreadsheet_rows(capsysbinary.readouterr().out)
    served = spreadsheet_rows(reuse_client.get("/stats.csv", query_string={"q": query}).get_data())
    assert printed and served
    assert served[0]["query"] == "'" + query, "a leading - would be run as a formula"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in printed + served for v in r.values() if v)


def test_kwic_width_is_one_limit(reuse_index_dir, reuse_client, capsys):
    from searchlib.research.kwic import MAX_WIDTH

    assert reuse_client.get(f"/kwic?q=行政复议&width={MAX_WIDTH}").status_code == 200
    assert reuse_client.get(f"/kwic?q=行政复议&width={MAX_WIDTH + 1}").status_code == 400
    assert main(["kwic", "行政复议", "--width", str(MAX_WIDTH), "--json", "--index", str(reuse_index_dir)]) == 0
    capsys.readouterr()
    assert main(["kwic", "行政复议", "--width", str(MAX_WIDTH + 1), "--index", str(reuse_index_dir)]) != 0


def test_every_stored_filter_field_is_a_column_of_the_paragraph_export():
    from searchlib.export import PARAGRAPH_COLUMNS

    filtered = {f.name for f in fields.FIELDS if f.param in web_filters() and f.stored}
    assert filtered and filtered <= set(PARAGRAPH_COLUMNS), "a researcher can filter on it, so a row says it"


@pytest.mark.parametrize("command, option, choices", [
    ("search", "sort", "searchlib.query.search:SORTS"), ("search", "boilerplate", "searchlib.query.search:BOILERPLATE_MODES"),
    ("kwic", "sort", "searchlib.research.kwic:SORTS"), ("stats", "by", "searchlib.research.stats:BY"),
    ("stats", "metric", "searchlib.research.stats:METRICS"), ("diffusion", "by", "searchlib.research.diffusion:BY"),
    ("collocates", "sort", "searchlib.research.wordstats:COLLOCATE_SORTS"), ("similar", "order", "searchlib.research.similar:ORDERS"),
])
def test_the_clis_choices_are_the_librarys(command, option, choices):
    """The CLI spells its choices out (it imports the library only when a command runs); they must not drift."""
    import importlib

    module, name = choices.split(":")
    assert tuple(options_of(subcommands()[command])[option].choices) == tuple(getattr(importlib.import_module(module),
                                                                                       name))


def test_the_clis_query_help_states_the_librarys_query_limit():
    from searchlib.cli import QUERY_HELP
    from searchlib.query.search import MAX_QUERY_CHARS

    assert f"A query is at most {MAX_QUERY_CHARS} characters." in " ".join(QUERY_HELP.split())


def test_the_keyness_form_keeps_every_reference_filter_it_does_not_show(tools_client):
    from selectolax.lexbor import LexborHTMLParser

    meaningful = {"level": "county", "body": "government", "genre": "report", "published": "2022",
                  "city": "杭州", "county": "西湖", "township": "转塘", "publisher": "杭州市西湖区人民政府"}
    hidden = {f"ref_{p}": meaningful[p] for p in web_filters() if p not in ("year", "province", "section")}
    response = tools_client.get("/keyness", query_string={"year": "2021", **hidden})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    kept = {node.attributes["name"]: node.attributes["value"]
            for node in LexborHTMLParser(html).css("input[type=hidden]") if node.attributes["name"] in hidden}
    assert kept == hidden
