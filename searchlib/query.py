"""The query language, parsed into a tree that knows nothing of the engine.

Syntax (full-width forms of every operator work the same)::

    行政复议 纠错            both words (AND; the default)
    行政复议 OR 行政诉讼      either (also ``|``)
    行政复议 NOT 诉讼         without (also a leading ``-``: ``-诉讼``)
    (复议 | 诉讼) 纠错        grouping
    "治政"                    exact string, whatever the segmenter did with it
    行政复议 /s 纠错          both within one sentence (同句)
    year:2021  year:2019-2021  province:四川  level:county  section:problems
    年份:2021  省份:四川  章节:存在问题                     (Chinese aliases)

Parsing never raises: unknown syntax degrades to plain words. The one thing
that cannot be read sensibly, an unbalanced quote, is reported as a fatal
problem, and callers turn it into a clear message.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Union

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 64

FIELD_ALIASES = {
    "year": "year", "年份": "year", "年度": "year", "年": "year",
    "province": "province", "省份": "province", "省": "province",
    "city": "city", "城市": "city", "市": "city",
    "county": "county", "区县": "county", "县": "county", "区": "county",
    "township": "township", "乡镇": "township", "街道": "township",
    "level": "level", "层级": "level", "级别": "level",
    "body": "body", "主体": "body", "机关": "body",
    "section": "section", "章节": "section", "部分": "section",
    "title": "title", "标题": "title",
    "genre": "genre", "类型": "genre",
}
FILTER_FIELDS = tuple(sorted(set(FIELD_ALIASES.values())))

SECTION_ALIASES = {
    "achievements": "achievements", "成效": "achievements", "主要做法": "achievements", "做法": "achievements",
    "工作情况": "achievements", "成绩": "achievements",
    "problems": "problems", "问题": "problems", "存在问题": "problems", "存在的问题": "problems", "不足": "problems",
    "plans": "plans", "下一步": "plans", "计划": "plans", "工作安排": "plans", "打算": "plans",
    "leadership": "leadership", "第一责任人": "leadership", "履职": "leadership",
    "other": "other", "其他": "other",
}
LEVEL_ALIASES = {
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


@dataclass(frozen=True)
class Exact:
    """A quoted string: the normalized text must contain it."""
    text: str


@dataclass(frozen=True)
class Filter:
    field: str   # one of FILTER_FIELDS
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


Node = Union[Words, Exact, Filter, And, Or, Not, SameSentence]


@dataclass
class ParsedQuery:
    text: str
    tree: Node | None
    problems: list[str] = field(default_factory=list)
    fatal: str | None = None


class QueryError(ValueError):
    """A query that cannot be run; the message is for the researcher."""


# --- lexing -------------------------------------------------------------------

_FULLWIDTH = str.maketrans({"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "（": "(", "）": ")",
                            "－": "-", "｜": "|", "：": ":", "／": "/", "　": " "})
_TOKEN = re.compile(r'\s+|"[^"]*"?|\(|\)|\||/s\b|[^\s()|"]+')


def prepare(text: str) -> str:
    text = text.translate(_FULLWIDTH)
    return unicodedata.normalize("NFKC", text)


@dataclass
class _Tok:
    kind: str   # WORD EXACT LP RP OR AND NOT MINUS SENT FIELD
    value: str = ""
    field: str = ""


def _lex(text: str, problems: list[str]) -> tuple[list[_Tok], str | None]:
    toks: list[_Tok] = []
    fatal = None
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if raw.isspace():
            continue
        if raw.startswith('"'):
            if len(raw) == 1 or not raw.endswith('"'):
                fatal = ('unbalanced quote: add the closing " (or remove the opening one) — '
                         'quotes mark an exact string, e.g. "出庭应诉率"')
                inner = raw[1:]
            else:
                inner = raw[1:-1]
            if inner.strip():
                toks.append(_Tok("EXACT", inner.strip()))
            continue
        if raw == "(":
            toks.append(_Tok("LP"))
        elif raw == ")":
            toks.append(_Tok("RP"))
        elif raw in ("|", "OR", "或"):
            toks.append(_Tok("OR"))
        elif raw in ("AND", "与"):
            toks.append(_Tok("AND"))
        elif raw in ("NOT", "非"):
            toks.append(_Tok("NOT"))
        elif raw == "/s":
            toks.append(_Tok("SENT"))
        elif raw.startswith("-") and len(raw) > 1:
            toks.append(_Tok("MINUS"))
            toks.extend(_word_or_field(raw[1:]))
        else:
            toks.extend(_word_or_field(raw))
    return toks, fatal


def _word_or_field(raw: str) -> list[_Tok]:
    if ":" in raw:
        name, _, value = raw.partition(":")
        key = FIELD_ALIASES.get(name.lower())
        if key and value:
            return [_Tok("FIELD", value, key)]
    raw = raw.strip("-")
    return [_Tok("WORD", raw)] if raw else []


# --- parsing ------------------------------------------------------------------

class _Parser:
    def __init__(self, toks: list[_Tok], problems: list[str]):
        self.toks = toks
        self.i = 0
        self.problems = problems
        self.clauses = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        node = self.or_expr()
        while self.peek() is not None:  # a stray ")" : skip it and go on
            self.problems.append("ignored an unmatched ')'")
            self.take()
            more = self.or_expr()
            node = _and([node, more])
        return node

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            parts.append(self.and_expr())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RP"):
            if tok.kind == "AND":
                self.take()
                continue
            node = self.sentence_expr()
            if node is not None:
                parts.append(node)
        return _and(parts)

    def sentence_expr(self) -> Node | None:
        node = self.unary()
        members = [node] if node is not None else []
        while (tok := self.peek()) is not None and tok.kind == "SENT":
            self.take()
            nxt = self.unary()
            if nxt is not None:
                members.append(nxt)
        if len(members) > 1:
            if all(isinstance(m, (Words, Exact)) for m in members):
                return SameSentence(tuple(members))
            self.problems.append("/s joins words or quoted strings only; read as AND")
            return _and(members)
        return members[0] if members else None

    def unary(self) -> Node | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind in ("NOT", "MINUS"):
            self.take()
            child = self.unary()
            if child is None:
                self.problems.append(f"ignored a dangling {'NOT' if tok.kind == 'NOT' else '-'}")
                return None
            return Not(child)
        return self.atom()

    def atom(self) -> Node | None:
        tok = self.take()
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            if self.clauses == MAX_CLAUSES + 1:
                self.problems.append(f"only the first {MAX_CLAUSES} terms are used")
            return None
        if tok.kind == "LP":
            node = self.or_expr()
            if (nxt := self.peek()) is not None and nxt.kind == "RP":
                self.take()
            else:
                self.problems.append("closed an unmatched '('")
            return node
        if tok.kind == "EXACT":
            return Exact(tok.value)
        if tok.kind == "FIELD":
            value = canonical_filter_value(tok.field, tok.value)
            if value is None:
                self.problems.append(f"unknown value {tok.value!r} for {tok.field}: searched as words")
                return Words(tok.value)
            return Filter(tok.field, value)
        if tok.kind == "WORD":
            return Words(tok.value)
        if tok.kind == "SENT":
            self.problems.append("ignored a /s with nothing before it")
            return None
        # OR/RP cannot reach here; anything else is read as a word
        self.problems.append(f"ignored {tok.kind}")
        return None


def _and(parts: list[Node | None]) -> Node | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for p in parts:
        flat.extend(p.children if isinstance(p, And) else (p,))
    return And(tuple(flat))


_YEAR_RANGE = re.compile(r"^((?:19|20)\d{2})(?:\s*[-~至到]\s*((?:19|20)\d{2}))?年?$")


def canonical_filter_value(field_name: str, value: str) -> str | None:
    """The value a filter means, or None when it cannot mean anything.

    Years become ``"2021"`` or ``"2019-2021"``; aliases become the index's
    English terms; place names are kept as typed (short forms are resolved
    against the index's own values by the engine).
    """
    value = value.strip()
    if not value:
        return None
    if field_name == "year":
        m = _YEAR_RANGE.match(value)
        if not m:
            return None
        lo, hi = m.group(1), m.group(2) or m.group(1)
        lo, hi = sorted((lo, hi))
        return lo if lo == hi else f"{lo}-{hi}"
    if field_name == "section":
        return SECTION_ALIASES.get(value.lower()) or SECTION_ALIASES.get(value)
    if field_name == "level":
        return "|".join(v for part in value.split("|") if (v := LEVEL_ALIASES.get(part.lower()))) or None
    if field_name == "body":
        return BODY_ALIASES.get(value.lower())
    if field_name == "genre":
        return GENRE_ALIASES.get(value.lower())
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
