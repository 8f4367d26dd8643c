"""The query language, parsed into a tree that knows nothing of the engine.

Syntax (full-width forms of every operator work the same)::

    行政复议 纠错            both words (AND; the default); 、 ， ； 。 between words separate them as a space does
    行政复议 OR 行政诉讼      either (also ``|``)
    行政复议 NOT 诉讼         without (also a leading ``-``: ``-诉讼``)
    (复议 | 诉讼) 纠错        grouping
    "治政"                    exact string, whatever the segmenter did with it
    -(诉讼 | 复议)            without any of them
    行政复议 /s 纠错          both within one sentence (同句), also inside brackets
    行政复议 /p 纠错          both within one paragraph (同段): the default, same as AND
    行政复议 /d 纠错          both within one report (同篇): paragraphs with either, in reports with both
    +纠错                     required: the default search shows no report without it (see searchlib.query.tiers)
    year:2021  year:2019-2021  year:2019-  year:-2018  year:2019,2021  province:四川  level:county|township  section:problems
    年份:2021  省份:四川  章节:存在问题  title:"法治政府"   (Chinese aliases, quoted values)

Operators are upper case (``OR``, ``AND``, ``NOT``) so that Latin words in a query stay words; a lowercase one between
two Chinese terms (``行政复议 or 行政诉讼``) is read as the operator, with a note. Parsing never raises:
unknown syntax degrades to plain words, and each thing that was ignored or reread is listed in ``problems``. The one
thing that cannot be read sensibly, an unbalanced quote, is reported as a fatal problem, and callers turn it into a
clear message.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Union

from searchlib.fields import QUERY_ALIASES, value_labels

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 64
# Deeper brackets than this are read as if absent: nobody means 30 levels, and
# a recursive-descent parser must not run out of stack on pasted garbage.
MAX_DEPTH = 16

FIELD_ALIASES = QUERY_ALIASES   # every name a filter goes by (年份:2021), from the field registry

SECTION_ALIASES = {
    "achievements": "achievements", "achievement": "achievements", "成效": "achievements", "主要做法": "achievements", "做法": "achievements",
    "工作情况": "achievements", "成绩": "achievements",
    "problems": "problems", "problem": "problems", "问题": "problems", "存在问题": "problems", "存在的问题": "problems", "不足": "problems",
    "plans": "plans", "plan": "plans", "下一步": "plans", "计划": "plans", "工作安排": "plans", "打算": "plans",
    "leadership": "leadership", "第一责任人": "leadership", "履职": "leadership",
    "other": "other", "其他": "other",
}
LEVEL_ALIASES = {
    "national": "national", "中央": "national", "国家级": "national",
    "province": "province", "省级": "province", "省": "province",
    "city": "city", "市级": "city", "地市": "city", "市": "city",
    "county": "county", "县级": "county", "区县": "county", "县": "county",
    "township": "township", "乡镇": "township", "乡镇级": "township", "街道": "township",
}
BODY_ALIASES = {
    "government": "government", "政府": "government",
    "department": "department", "部门": "department",
}
GENRE_ALIASES = {"report": "report", "报告": "report", "other": "other", "其他": "other"}


# --- the tree -----------------------------------------------------------------

@dataclass(frozen=True)
class Words:
    """Typed words: segmented by the analyzer, all must match."""
    text: str
    required: bool = False   # typed +word: a report without it is never shown


@dataclass(frozen=True)
class Exact:
    """A quoted string: the normalized text must contain it."""
    text: str


@dataclass(frozen=True)
class Filter:
    field: str   # what a name of FIELD_ALIASES stands for
    value: str   # canonical value (see canonical_filter_value)


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class SameSentence:
    """All children occur within one sentence (split on 。！？；)."""
    children: tuple["Node", ...]


@dataclass(frozen=True)
class SameReport:
    """All children occur within one report (同篇); the paragraphs matched are those of any child."""
    children: tuple["Node", ...]


Node = Union[Words, Exact, Filter, And, Or, Not, SameSentence, SameReport]


@dataclass
class ParsedQuery:
    text: str
    tree: Node | None
    problems: list[str] = field(default_factory=list)
    fatal: str | None = None


class QueryError(ValueError):
    """A query that cannot be run; the message is for the researcher."""


# --- lexing -------------------------------------------------------------------

_FULLWIDTH = str.maketrans({"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "『": '"', "』": '"',
                            "（": "(", "）": ")", "－": "-", "−": "-", "｜": "|", "：": ":", "／": "/",
                            "　": " "})
_FIELD_NAMES = "|".join(sorted((re.escape(name) for name in FIELD_ALIASES), key=len, reverse=True))
# Between words, enumeration marks separate as a space does (行政复议、行政诉讼 is two words, as researchers list them).
_SEPARATORS = "\\s、,;。"
_SEPARATING = re.compile(r'[' + _SEPARATORS + r']+')
_TOKEN = re.compile(
    r'[' + _SEPARATORS + r']+'
    r'|(?P<field>(?i:' + _FIELD_NAMES + r')):(?P<fvalue>"[^"]*"?|[^\s()"]*)'  # a filter; its value may hold |
    r'|"[^"]*"?'
    r'|-(?=[("]|(?i:' + _FIELD_NAMES + r'):)'   # a minus directly before a bracket, a quote or a filter negates it
    r'|\+(?=(?i:' + _FIELD_NAMES + r'):)'     # a plus before a filter: a filter is required anyway
    r'|\(|\)|\|'
    r'|/[sSpPdD](?![A-Za-z])'
    r'|[^' + _SEPARATORS + r'()|"]+'
)


# A word written like a filter (发布机关:常庄街道, foo:bar) whose name is no filter of the query language.
_NOT_A_FILTER = re.compile(r"^([A-Za-z_]{2,20}|[\u4e00-\u9fff]{2,6}):(?!//)\S")
_QUERY_FILTER_NAMES = " ".join(dict.fromkeys(FIELD_ALIASES.values()))


def prepare(text: str) -> str:
    """Full-width operator forms to their plain forms (the words themselves are normalized later)."""
    return unicodedata.normalize("NFKC", text.translate(_FULLWIDTH))


@dataclass
class _Tok:
    kind: str   # WORD EXACT LP RP OR AND NOT MINUS SENT PARA FIELD
    value: str = ""
    field: str = ""


_UNBALANCED_QUOTE = ('unbalanced quote: add the closing " (or remove the opening one) — '
                     'quotes mark an exact string, e.g. "出庭应诉率"')
_OPERATORS = {"|": "OR", "OR": "OR", "或": "OR", "AND": "AND", "与": "AND", "NOT": "NOT", "非": "NOT",
              "(": "LP", ")": "RP", "-": "MINUS"}


def _lex(text: str, problems: list[str]) -> tuple[list[_Tok], str | None]:
    toks: list[_Tok] = []
    fatal = None
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if _SEPARATING.fullmatch(raw):
            continue
        if match.group("field") is not None:
            value = match.group("fvalue")
            if value.startswith('"'):
                if len(value) == 1 or not value.endswith('"'):
                    fatal = _UNBALANCED_QUOTE
                value = value.strip('"')
            key = FIELD_ALIASES[match.group("field").lower()]
            if value.strip(" |,、;"):
                toks.append(_Tok("FIELD", value.strip(), key))
            else:
                problems.append(f"ignored {match.group('field')}: with no value")
            continue
        if raw.startswith('"'):
            if len(raw) == 1 or not raw.endswith('"'):
                fatal = _UNBALANCED_QUOTE
                inner = raw[1:]
            else:
                inner = raw[1:-1]
            if inner.strip():
                toks.append(_Tok("EXACT", inner.strip()))
            continue
        if raw == "+":
            continue
        if raw in _OPERATORS:
            toks.append(_Tok(_OPERATORS[raw]))
        elif raw.lower() == "/s":
            toks.append(_Tok("SENT"))
        elif raw.lower() == "/d":
            toks.append(_Tok("DOC"))
        elif raw.lower() == "/p":
            toks.append(_Tok("AND"))  # paragraph scope is what AND already means
        elif raw.startswith("-") and raw.strip("-"):
            toks.append(_Tok("MINUS"))
            toks.append(_Tok("WORD", raw.lstrip("-")))
        elif raw.startswith("+") and raw.strip("+"):
            toks.append(_Tok("WORD", raw.lstrip("+"), field="+"))
        elif raw.strip("-"):
            if m := _NOT_A_FILTER.match(raw):
                problems.append(f"{m.group(1)}: is not a filter of the query ({_QUERY_FILTER_NAMES}): "
                                f"{raw} was searched as words")
            toks.append(_Tok("WORD", raw))
    return _lowercase_operators(_without_wildcards(toks, problems), problems), fatal


# Only *: a ? ends many a question typed in plain words (镇上有没有执法队？).
_WILDCARDS = re.compile(r"\*")


def _without_wildcards(toks: list[_Tok], problems: list[str]) -> list[_Tok]:
    """法治* (a legal database's truncation) is 法治: a word is found inside longer words already, so the wildcard
    is dropped with a note; a word of nothing but wildcards is no word at all. In quotes it stays a character."""
    out = []
    for tok in toks:
        if tok.kind == "WORD" and _WILDCARDS.search(tok.value):
            note = "ignored the wildcard *: a word is found inside longer words without one"
            if note not in problems:
                problems.append(note)
            tok = _Tok("WORD", _WILDCARDS.sub("", tok.value), tok.field)
            if not tok.value.strip("+-"):
                continue
        out.append(tok)
    return out


_LOWERCASE_OPERATORS = {"or": "OR", "and": "AND", "not": "NOT"}
_LATIN_ONLY = re.compile(r"^[A-Za-z0-9'\-.]+$")


def _lowercase_operators(toks: list[_Tok], problems: list[str]) -> list[_Tok]:
    """``行政复议 or 行政诉讼``: a lowercase or/and/not between two Chinese terms is the operator (as legal databases
    read it); between Latin words it stays a word, so that an English query keeps its phrases."""
    def chinese(tok: _Tok | None) -> bool:
        return tok is not None and tok.kind in ("WORD", "EXACT") and not _LATIN_ONLY.match(tok.value)

    out: list[_Tok] = []
    for i, tok in enumerate(toks):
        operator = _LOWERCASE_OPERATORS.get(tok.value) if tok.kind == "WORD" and not tok.field else None
        before = out[-1] if out else None
        after = toks[i + 1] if i + 1 < len(toks) else None
        if operator and chinese(before) and chinese(after):
            out.append(_Tok(operator))
            note = f"read '{tok.value}' between Chinese words as the operator {operator}"
            if note not in problems:
                problems.append(note)
            continue
        out.append(tok)
    return out


# --- parsing ------------------------------------------------------------------

class _Parser:
    """Recursive descent: or_expr > and_expr > sentence_expr > unary > atom."""

    def __init__(self, toks: list[_Tok], problems: list[str]):
        self.toks = toks
        self.i = 0
        self.problems = problems
        self.clauses = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def parse(self) -> Node | None:
        node = self.or_expr()
        while self.peek() is not None:  # a stray ")" : skip it and go on
            self.note("ignored an unmatched ')'")
            self.take()
            more = self.or_expr()
            node = joined(And, [node, more])
        return node

    def or_expr(self) -> Node | None:
        parts = [self.report_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            parts.append(self.report_expr())
        if len(parts) > 1 and None in parts:
            self.note("ignored an OR with nothing on one side")
        return joined(Or, parts)

    def report_expr(self) -> Node | None:
        """``A /d B``: both in one report. Filters in a member apply to the whole clause."""
        members = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "DOC":
            self.take()
            members.append(self.and_expr())
        kept = [m for m in members if m is not None]
        if len(members) > 1 and len(kept) < len(members):
            self.note("ignored a /d with nothing on one side")
        if len(kept) < 2:
            return kept[0] if kept else None
        filters: list[Node] = []
        words: list[Node] = []
        for m in kept:
            parts = m.children if isinstance(m, And) else (m,)
            found = [p for p in parts if isinstance(p, Filter)]
            filters.extend(found)
            rest = [p for p in parts if not isinstance(p, Filter)]
            if rest:
                words.append(joined(And, rest))
        if len(words) < 2:
            return joined(And, words + filters)
        return joined(And, [SameReport(tuple(words)), *filters])

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RP", "DOC"):
            if tok.kind == "AND":
                self.take()
                continue
            node = self.sentence_expr()
            if node is not None:
                parts.append(node)
        return joined(And, parts)

    def sentence_expr(self) -> Node | None:
        node = self.unary()
        members = [node] if node is not None else []
        joins = 0
        while (tok := self.peek()) is not None and tok.kind == "SENT":
            self.take()
            joins += 1
            nxt = self.unary()
            if nxt is not None:
                members.append(nxt)
        if joins and len(members) != joins + 1:
            self.note("ignored a /s with nothing on one side")
        if len(members) < 2:
            return members[0] if members else None
        if any(contains(m, (Filter,)) for m in members):
            self.note("/s joins words and quoted strings, not filters; read as AND")
            return joined(And, members)
        return joined(SameSentence, members)

    def unary(self) -> Node | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind in ("NOT", "MINUS"):
            self.take()
            child = self.unary()
            if child is None:
                self.note(f"ignored a dangling {'NOT' if tok.kind == 'NOT' else '-'}")
                return None
            return child.child if isinstance(child, Not) else Not(child)  # NOT NOT x is x
        if tok.kind in ("OR", "RP", "DOC"):
            return None
        return self.atom()

    def atom(self) -> Node | None:
        tok = self.take()
        if tok.kind == "LP":
            return self.group()
        if tok.kind == "SENT":
            self.note("ignored a /s with nothing on one side")
            return None
        if tok.kind in ("DOC", "AND"):
            return None
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            self.note(f"only the first {MAX_CLAUSES} terms are used")
            return None
        if tok.kind == "EXACT":
            return Exact(tok.value)
        if tok.kind == "FIELD":
            value = canonical_filter_value(tok.field, tok.value)
            if value is None:
                self.note(f"unknown value {tok.value!r} for {tok.field}: searched as words")
                return Words(tok.value)
            return Filter(tok.field, value)
        return Words(tok.value, required=tok.field == "+")

    def group(self) -> Node | None:
        if self.depth >= MAX_DEPTH:
            # Read on as if this bracket were not there; its ")" is skipped as unmatched.
            self.note(f"brackets nested deeper than {MAX_DEPTH} levels were ignored")
            return None
        self.depth += 1
        try:
            node = self.or_expr()
        finally:
            self.depth -= 1
        if (nxt := self.peek()) is not None and nxt.kind == "RP":
            self.take()
        else:
            self.note("closed an unmatched '('")
        return node


def contains(node: Node | None, kinds: tuple[type, ...]) -> bool:
    """Whether ``node`` is, or holds anywhere inside it, a node of one of ``kinds``."""
    if isinstance(node, kinds):
        return True
    inside = (node.child,) if isinstance(node, Not) else getattr(node, "children", ())
    return any(contains(child, kinds) for child in inside)


def joined(kind: type[And | Or | SameSentence], parts: list[Node | None]) -> Node | None:
    """The parts joined by ``kind`` (None ones left out, ones of that kind flattened); None without any,
    the part alone for one."""
    parts = [p for p in parts if p is not None]
    if len(parts) < 2:
        return parts[0] if parts else None
    flat: list[Node] = []
    for p in parts:
        flat.extend(p.children if isinstance(p, kind) else (p,))
    return kind(tuple(flat))


_YEAR = r"((?:19|20)\d{2})(?:年度?)?"
_YEAR_TO = r"(?:[-~至到—–]|\.\.)"
_YEAR_RANGE = re.compile(rf"^{_YEAR}(?:\s*{_YEAR_TO}\s*{_YEAR})?$")
# Open ranges: 2019- (2019.., 2019年以来) from a year on, -2021 (..2021) up to one.
_YEAR_FROM = re.compile(rf"^{_YEAR}\s*(?:{_YEAR_TO}|以来|以后|起)$")
_YEAR_UNTIL = re.compile(rf"^{_YEAR_TO}\s*{_YEAR}(?:以前)?$")
# Values of one filter, any of which will do: level:county|township, year:2019,2021, 省份:四川、重庆. A title is
# free text (a comma is part of it), so only | separates its values.
_VALUE_SEPARATORS = re.compile(r"[|,、;]")


def canonical_filter_value(field_name: str, value: str) -> str | None:
    """The value a filter means, or None when it cannot mean anything.

    Several values may be given with ``|``, ``,`` or ``、`` (``level:county|township``, ``year:2019,2021``); the result
    keeps those that mean something, in order, joined by ``|``. Years become ``"2021"`` or ``"2019-2021"``
    (``2019..2021`` and ``2019至2021`` too); aliases become the index's English terms; place
    names and titles are kept as typed (short place names are resolved against the index's own values by the engine).
    """
    kept: list[str] = []
    for part in (value.split("|") if field_name == "title" else _VALUE_SEPARATORS.split(value)):
        meaning = _one_filter_value(field_name, part.strip())
        if meaning is not None and meaning not in kept:
            kept.append(meaning)
    return "|".join(kept) or None


def year_bounds(alternative: str) -> tuple[int | None, int | None]:
    """First and last year of one canonical year value: ``2021`` (2021, 2021), ``2019-2021``, ``2019-`` (2019,
    None: from 2019 on), ``-2021`` (None, 2021)."""
    lo, dash, hi = alternative.partition("-")
    first = int(lo) if lo else None
    return first, int(hi) if hi else (None if dash else first)


def years_of(value: str) -> list[int]:
    """The years a canonical year filter value stands for (``2019-2021|2023`` -> 2019 2020 2021 2023), in order; an
    open range (``2019-``) stands for no year it could list."""
    years: set[int] = set()
    for alternative in value.split("|"):
        first, last = year_bounds(alternative)
        if first is not None and last is not None:
            years.update(range(first, last + 1))
    return sorted(years)


def _one_filter_value(field_name: str, value: str) -> str | None:
    if not value:
        return None
    if field_name == "year":
        if m := _YEAR_FROM.match(value):
            return f"{m.group(1)}-"
        if m := _YEAR_UNTIL.match(value):
            return f"-{m.group(1)}"
        m = _YEAR_RANGE.match(value)
        if not m:
            return None
        lo, hi = sorted((m.group(1), m.group(2) or m.group(1)))
        return lo if lo == hi else f"{lo}-{hi}"
    aliases = {"section": SECTION_ALIASES, "level": LEVEL_ALIASES, "body": BODY_ALIASES,
               "genre": GENRE_ALIASES}.get(field_name)
    if aliases is not None:
        # The sidebar's own labels of the values (其他文件, 下一步安排, 乡镇级) mean them too.
        labels = {label: key for key, label in value_labels(field_name).items()}
        return aliases.get(value.lower()) or labels.get(value)
    return value


def parse(text: str) -> ParsedQuery:
    """Parse a query string; never raises."""
    problems: list[str] = []
    if len(text) > MAX_QUERY_CHARS:
        return ParsedQuery(text, None, problems,
                           fatal=f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    prepared = prepare(text)
    toks, fatal = _lex(prepared, problems)
    try:
        tree = _Parser(toks, problems).parse()
    except RecursionError:
        return ParsedQuery(text, None, problems, fatal="query nested too deeply")
    return ParsedQuery(text, tree, problems, fatal=fatal)


def filters_in(node: Node | None) -> list[Filter]:
    """Top-level filters (those ANDed with the whole query)."""
    if isinstance(node, Filter):
        return [node]
    if isinstance(node, And):
        return [c for c in node.children if isinstance(c, Filter)]
    return []


def positive_terms(node: Node | None) -> list[Words | Exact]:
    """The words and exact strings a hit is expected to contain (for highlighting)."""
    if node is None or isinstance(node, (Filter, Not)):
        return []
    if isinstance(node, (Words, Exact)):
        return [node]
    out: list[Words | Exact] = []
    for child in node.children:
        out.extend(positive_terms(child))
    return out


def written_restrictions(q: str | None) -> list[str]:
    """The filters and NOT clauses of a query's top level, written back (what every concept of it is found under)."""
    tree = parse(q or "").tree
    top = tree.children if isinstance(tree, And) else (tree,) if tree is not None else ()
    return [text for node in top if isinstance(node, (Filter, Not)) and (text := query_text(node))]


def has_terms(q: str | None) -> bool:
    """Whether a query holds anything to look for in the text (not only filters and NOTs)."""
    return bool(positive_terms(parse(q or "").tree))


# --- writing a tree back as a query ---------------------------------------------

_NEEDS_QUOTES = re.compile(r'[\s()]')


def query_text(node: Node | None) -> str | None:
    """A query string that parses back to exactly ``node`` (filters in their canonical form), or None when
    the language cannot say it (a word that reads as an operator, a filter value holding a quote): callers
    that rewrite a query (searchlib.query.suggest) change the tree and write it back here, never the raw string."""
    if node is None:
        return None
    text = _written(node)
    parsed = parse(text)
    return text if parsed.fatal is None and parsed.tree == node else None


def _written(node: Node) -> str:
    if isinstance(node, Words):
        return ("+" if node.required else "") + node.text
    if isinstance(node, Exact):
        return f'"{node.text}"'
    if isinstance(node, Filter):
        return f'{node.field}:"{node.value}"' if _NEEDS_QUOTES.search(node.value) else f"{node.field}:{node.value}"
    if isinstance(node, Not):
        child = node.child
        if isinstance(child, Exact) or (isinstance(child, Words) and not child.required):
            return "-" + _written(child)
        return f"-({_written(child)})"
    if isinstance(node, And):
        return " ".join(_member(c, (Or, SameReport, And)) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(_member(c, (Or,)) for c in node.children)
    if isinstance(node, SameSentence):
        return " /s ".join(_member(c, (And, Or, SameSentence, SameReport)) for c in node.children)
    if isinstance(node, SameReport):
        return " /d ".join(_member(c, (Or, SameReport)) for c in node.children)
    raise TypeError(f"unknown query node {node!r}")


def _member(node: Node, bracketed: tuple[type, ...]) -> str:
    """A clause inside another, in brackets when it binds more loosely than its parent."""
    text = _written(node)
    return f"({text})" if isinstance(node, bracketed) else text
