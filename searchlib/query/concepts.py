"""What a researcher typed, as concepts, and the ways each concept may be found.

A query's concepts are what the researcher typed between spaces and operators: ``行政规范性文件 备案`` is two concepts,
``法治宣传教育`` one, however the segmenter cuts it. Each concept can be found at levels, strongest first:

``typed``
    the concept under the strict rule of :mod:`searchlib.query.rules` (its words in
    one paragraph, each as a word or as characters side by side);
``parts``
    all its parts, in one paragraph: the longest dictionary words inside each of its words (法治宣传教育 -> 法治宣传 +
    教育, so 法治宣传和教育 is found; 出庭应诉率 -> 出庭应诉);
``thesaurus``
    a member of its group in ``data/thesaurus.txt`` (普法 for 法治宣传教育), or
    for an English phrase its entry in ``data/glossary_en.txt``;
``related``
    for a topic in ``data/related.txt``, a term a report writes when it reports on the topic without naming it (法律六进
    for 送法下乡); a run that holds a topic (抓住关键少数) has that topic's terms after its own: tier 3 only, like a piece;
``piece``
    one distinctive part alone (规范性文件 for 行政规范性文件, 出庭应诉 for 出庭应诉率); which parts are distinctive
    depends on the index (a part in most reports is not), so the plan lists the candidates and
    :mod:`searchlib.query.tiers` keeps the rare ones.

A quoted string, an OR group or a 同句 clause is a concept with the typed level only: quoting a word is how a researcher
switches its expansions off. A concept written ``+word`` is required: a report without it is not shown.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

from searchlib.analysis import normalize
from searchlib.config import DATA_DIR
from searchlib.query.parse import And, Exact, Filter, Node, Not, Or, SameReport, SameSentence, Words, joined
from searchlib.query.rules import components, plan_run, query_words

THESAURUS = DATA_DIR / "thesaurus.txt"
GLOSSARY_EN = DATA_DIR / "glossary_en.txt"
RELATED = DATA_DIR / "related.txt"
# A word this long is split into its longest dictionary words for the "parts" level.
PARTS_MIN_CHARS = 3
# At most this many pieces come from thesaurus entries inside a typed run (each is a lookup).
MAX_INNER_PIECES = 8
# At most this many related terms per concept (each is a lookup; the run's own topic line comes first).
MAX_RELATED = 16
ENGLISH_FUNCTION_WORDS = frozenset(
    "a an the of for and or in on to by with from at as about into over under between within without per via "
    "how what which who whom whose where when why is are was were be been do does did can could should will would "
    "much many more most some any all each their its his her our my your this that these those it they we i".split())
LATIN_WORD = re.compile(r"^[a-z0-9'\-]+$")


@dataclass(frozen=True)
class Concept:
    """One thing the researcher typed, and the nodes that find it at each level."""

    typed: str                       # as typed (normalized)
    node: Node                       # the typed level: the strict node of the query tree
    parts: tuple[str, ...] = ()      # the parts level: all of these in one paragraph
    synonyms: tuple[str, ...] = ()   # the thesaurus level: any one of these
    pieces: tuple[str, ...] = ()     # candidates for the piece level: any one (if distinctive)
    related: tuple[str, ...] = ()    # the related level: any one of these (tier 3 only)
    words: tuple[str, ...] = ()      # the segmenter's words of a run of several (法治 讲座 of 法治讲座)
    required: bool = False

    def level_nodes(self) -> dict[str, Node]:
        """The node of each level this concept has (pieces excepted: see tiers)."""
        levels: dict[str, Node] = {"typed": self.node}
        if self.parts:
            # A one-character part is found as a character (as a word it would rarely be one).
            levels["parts"] = joined(And, [Exact(p) if len(p) == 1 else Words(p) for p in self.parts])
        if self.synonyms:
            levels["thesaurus"] = joined(Or, [Words(s) for s in self.synonyms])
        return levels


@dataclass(frozen=True)
class Plan:
    """A query tree read as concepts, plus what restricts every concept (filters, NOT clauses)."""

    concepts: tuple[Concept, ...]
    restrictions: tuple[Node, ...]
    same_report: bool = False        # /d between concepts: all of them in one report is required


def plan(tree: Node | None, expand: bool = True) -> Plan:
    """The concepts of a (parsed) query tree; with ``expand`` False, every concept has its typed level only."""
    if tree is None:
        return Plan((), ())
    children = tree.children if isinstance(tree, And) else (tree,)
    restrictions = tuple(c for c in children if isinstance(c, (Filter, Not)))
    concepts: list[Concept] = []
    same_report = False
    for node in _english_phrases([c for c in children if not isinstance(c, (Filter, Not))]):
        if isinstance(node, SameReport):
            # Each member of a 同篇 clause is required in the report.
            same_report = True
            concepts.extend(replace(concept_of(member, expand), required=True) for member in _english_phrases(list(node.children)))
        else:
            concepts.append(concept_of(node, expand))
    if expand:
        concepts = _joined_compounds(_without_function_words(concepts))
    return Plan(tuple(concepts), restrictions, same_report)


def as_chinese(tree: Node | None) -> Node | None:
    """The tree with each English glossary phrase as its Chinese terms, any one of them (administrative
    reconsideration -> 行政复议): what a paragraph can hold, so that the strict match, the counts and the research
    views find what the default search finds for it. Every other node is kept as it is."""
    if tree is None or isinstance(tree, (Exact, Filter)):
        return tree
    if isinstance(tree, Words):
        terms = glossary().get(english_key(tree.text)) if _latin_run(tree.text) else None
        return joined(Or, [Words(t) for t in terms]) if terms and not tree.required else tree
    if isinstance(tree, Not):
        return Not(as_chinese(tree.child))
    children = _english_phrases(list(tree.children)) if isinstance(tree, (And, SameSentence, SameReport)) \
        else list(tree.children)
    rewritten = [as_chinese(c) for c in children]
    if rewritten == list(tree.children):
        return tree
    if isinstance(tree, And):
        # An English query's function words (the, for …) are in no paragraph (see _without_function_words).
        rewritten = [c for c in rewritten if not (isinstance(c, Words) and not c.required
                                                  and c.text.lower() in ENGLISH_FUNCTION_WORDS)] or rewritten
    return joined(type(tree), rewritten) if isinstance(tree, (And, Or)) else type(tree)(tuple(rewritten))


def unknown_english(tree: Node | None) -> list[str]:
    """The English words of a query that no glossary phrase holds (court, rate of court appearance rate): searched
    as written, they find only the rare report that writes them, so the researcher is told."""
    unknown = []
    for concept in plan(tree).concepts:
        text = concept.typed
        if (isinstance(concept.node, Words) and _latin_run(text) and not concept.synonyms
                and any(c.isalpha() for c in text) and text.lower() not in ENGLISH_FUNCTION_WORDS):
            unknown.append(text)
    return unknown


def _latin_run(text: str) -> bool:
    return all(_latin(w) for w in text.split())


def _without_function_words(concepts: list[Concept]) -> list[Concept]:
    """An English query's function words (for, the, and …) left over once glossary phrases are joined: no report
    writes them, so as concepts they would keep every report out of tier 2. Kept when typed +word or alone."""
    kept = [c for c in concepts if c.required or not isinstance(c.node, Words)
            or c.typed.lower() not in ENGLISH_FUNCTION_WORDS]
    return kept or concepts


def _joined_compounds(concepts: list[Concept]) -> list[Concept]:
    """Two neighbouring concepts that together spell a thesaurus entry (法治文化 阵地 -> 法治文化阵地): each also
    found by the entry's group, so a report that writes a member of it holds both. They stay two concepts, as
    typed, each with its own expansions."""
    groups = thesaurus()
    out = list(concepts)
    for i in range(len(concepts) - 1):
        a, b = out[i], out[i + 1]
        if not (isinstance(a.node, Words) and isinstance(b.node, Words) and a.required == b.required):
            continue
        entry = concepts[i].typed + concepts[i + 1].typed
        if entry not in groups:
            continue
        members = tuple(m for m in groups[entry] if m.replace(" ", "") not in (a.typed, b.typed))
        out[i] = replace(a, synonyms=tuple(dict.fromkeys(a.synonyms + members)))
        out[i + 1] = replace(b, synonyms=tuple(dict.fromkeys(b.synonyms + members)))
    return out


def concept_of(node: Node, expand: bool = True) -> Concept:
    required = isinstance(node, Words) and node.required
    if isinstance(node, Words):
        run = plan_run(node)
        typed = run.literal
        if not expand:
            return Concept(typed, node, required=required)
        english = glossary().get(english_key(typed))
        if english:
            synonyms = _with_synonyms(english)
            return Concept(typed, node, synonyms=synonyms, pieces=_pieces_of_terms(english),
                           related=_related_of(None, synonyms), required=required)
        words = list(run.word_texts)
        parts = _parts(words)
        pieces = tuple(p for p in dict.fromkeys([*(words if len(words) > 1 else ()), *parts, *_sub_words(words),
                                                  *_inner_entries(typed)])
                       if len(p) >= 2 and p != typed)
        # A member that contains the typed run (政府法律顾问 for 法律顾问) finds nothing the typed level
        # does not: the typed level finds the run wherever its characters stand.
        synonyms = tuple(s for s in _synonyms_of(typed, words) if typed not in s.replace(" ", ""))
        return Concept(typed, node, parts=parts if parts != tuple(words) else (), synonyms=synonyms,
                       pieces=pieces, related=_related_of(typed, synonyms),
                       words=tuple(w for w in words if len(w) >= 2) if len(words) > 1 else (), required=required)
    if isinstance(node, Exact):
        return Concept(f'"{plan_run(node).literal}"', node)
    from searchlib.query.search import understood  # the one way a clause is spelled out
    return Concept(understood(node), node)


def _pieces_of_terms(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The pieces of an English phrase: those its Chinese terms would have as typed runs (公平竞争 of 公平竞争审查)."""
    pieces: list[str] = []
    for term in terms:
        words = query_words(term)
        pieces.extend(p for p in (*(words if len(words) > 1 else ()), *_sub_words(words)) if len(p) >= 2 and p != term)
    return tuple(dict.fromkeys(p for p in pieces if p not in terms))


def _parts(words: list[str]) -> tuple[str, ...]:
    """Each word's longest dictionary sub-words, in order, with the characters no sub-word covers as
    parts of their own (依法治镇 -> 依法 治 镇: all of them, not 依法 alone, stand for it)."""
    out: list[str] = []
    for word in words:
        parts = components(word, PARTS_MIN_CHARS)
        # A three-character word cut as two characters and one (青少 年 of 青少年) is not made of its parts.
        out.extend(parts if parts and len(word) > 3 else [word])
    return tuple(dict.fromkeys(out))


def _sub_words(words: list[str]) -> list[str]:
    """Every word's longest dictionary sub-words of two characters or more (candidates for a piece)."""
    return [p for word in words for p in components(word, PARTS_MIN_CHARS) if len(p) > 1]


def _inner_entries(typed: str) -> list[str]:
    """The thesaurus groups of the entries inside a run, as pieces: 网上可办率 holds 网上可办, so a report
    that writes 互联网+政务服务 has a piece of it (tier 3, never the concept itself: the rate is not the
    service). Longest entries first, at most MAX_INNER_PIECES members."""
    groups = thesaurus()
    inner = sorted({typed[i:j] for i in range(len(typed)) for j in range(i + 2, len(typed) + 1)
                    if typed[i:j] != typed and typed[i:j] in groups}, key=lambda e: (-len(e), typed.find(e)))
    members = [m for entry in inner for m in groups[entry] if typed not in m.replace(" ", "")]
    return list(dict.fromkeys(members))[:MAX_INNER_PIECES]


def _synonyms_of(typed: str, words: list[str]) -> list[str]:
    """The run's own group members; for a run of several words, each word swapped for a member of its group."""
    groups = thesaurus()
    found = list(groups.get(typed, ()))
    if len(words) > 1:
        for i, word in enumerate(words):
            for member in groups.get(word, ()):
                if member != word:
                    found.append(" ".join(words[:i] + [member] + words[i + 1:]))
    return list(dict.fromkeys(found))


def _related_of(typed: str | None, synonyms: tuple[str, ...]) -> tuple[str, ...]:
    """The related terms of the run and of each of its thesaurus members, without the members themselves
    and without terms that hold the run (the typed level finds those)."""
    table = related()
    names = list(dict.fromkeys(n for n in (typed, *thesaurus().get(typed or "", ()), *synonyms) if n))
    found = [t for n in names + _inner_topics(typed, table) for t in table.get(n.replace(" ", ""), ())]
    return tuple(t for t in dict.fromkeys(found) if t not in names and not (typed and typed in t))[:MAX_RELATED]


def _inner_topics(typed: str | None, table: dict[str, tuple[str, ...]]) -> list[str]:
    """The related.txt topics written inside a run, longest first (抓住关键少数 holds 关键少数): what is reported
    under the inner topic is what the run is about, after the run's own terms."""
    if not typed:
        return []
    run = typed.replace(" ", "")
    inner = {run[i:j] for i in range(len(run)) for j in range(i + 2, len(run) + 1) if run[i:j] != run and run[i:j] in table}
    return sorted(inner, key=lambda t: (-len(t), run.find(t)))


def _with_synonyms(terms: tuple[str, ...]) -> tuple[str, ...]:
    groups = thesaurus()
    return tuple(dict.fromkeys([t for term in terms for t in (term, *groups.get(term, ()))]))


def _english_phrases(nodes: list[Node]) -> list[Node]:
    """Consecutive Latin words that spell a glossary phrase become one typed run (rule of law government)."""
    entries = glossary()
    longest = max((len(k.split()) for k in entries), default=1)
    out: list[Node] = []
    i = 0
    while i < len(nodes):
        node, size = nodes[i], 1
        if isinstance(node, Words) and _latin(node.text):
            for longer in range(min(longest, len(nodes) - i), 1, -1):
                run = nodes[i:i + longer]
                if all(isinstance(n, Words) and _latin(n.text) for n in run):
                    phrase = " ".join(normalize(n.text).strip().lower() for n in run)
                    if english_key(phrase) in entries:
                        node, size = Words(phrase), longer
                        break
        out.append(node)
        i += size
    return out


def _latin(text: str) -> bool:
    return bool(LATIN_WORD.match(normalize(text).strip().lower()))


@functools.lru_cache(maxsize=1)
def thesaurus(path: Path = THESAURUS) -> dict[str, tuple[str, ...]]:
    """member -> every member of its groups (itself included), in the file's order."""
    groups: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        members = list(dict.fromkeys(normalize(m) for m in line.split()))
        for member in members:
            groups.setdefault(member, [])
            groups[member].extend(m for m in members if m not in groups[member])
    return {k: tuple(v) for k, v in groups.items()}


def english_key(phrase: str) -> str:
    """How an English phrase is looked up in the glossary: lower case, hyphens as spaces, each word singular
    (legal advisers = legal adviser, law-based = law based, FOI requests = foi request)."""
    return " ".join(_singular(w) for w in normalize(phrase).lower().replace("-", " ").split())


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


@functools.lru_cache(maxsize=1)
def related(path: Path = RELATED) -> dict[str, tuple[str, ...]]:
    """topic -> the terms a report writes when it reports on the topic without naming it (``topic: term term``)."""
    table: dict[str, list[str]] = {}
    if not path.exists():
        return {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        topic, _, terms = line.partition(":")
        members = table.setdefault(normalize(topic.strip()), [])
        members.extend(t for t in (normalize(t) for t in terms.split()) if t not in members)
    return {k: tuple(v) for k, v in table.items() if k and v}


@functools.lru_cache(maxsize=1)
def glossary(path: Path = GLOSSARY_EN) -> dict[str, tuple[str, ...]]:
    """English phrase (as english_key spells it) -> its Chinese terms."""
    entries: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        english, _, chinese = line.partition("=")
        key = english_key(english)
        terms = tuple(normalize(t).strip() for t in chinese.split("|") if t.strip())
        entries[key] = tuple(dict.fromkeys(entries.get(key, ()) + terms))   # a plural's line adds to the singular's
    return entries
