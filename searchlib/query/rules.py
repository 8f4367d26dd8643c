"""The matching rulebook: when a typed run of words matches a text.

Every typed run (a :class:`~searchlib.query.parse.Words` or :class:`~searchlib.query.parse.Exact` node) is planned once,
by :func:`plan_run`, into a :class:`Run`: the run as typed, its normalized string, its segmenter words and, for each
word, its parts and the strings a sentence must contain. The index query (:mod:`searchlib.query.engine`), the
same-sentence check (below), the highlights and KWIC lines (:mod:`searchlib.query.highlight`) and the "understood as"
text all read that plan, so a change to how words match is made here once.

How a typed word matches a paragraph
------------------------------------
A word matches where the segmenter produced it (as a word, or as a dictionary sub-word such as 复议 inside 行政复议),
and also where its characters stand side by side but the segmenter cut across them (化解 in 多元化|解) — Chinese has no
spaces, and a researcher typing 化解 means the characters. That literal match counts for less, so paragraphs where the
segmenter agrees rank first. Single characters are matched as words only: as strings they would match nearly everything.

A long compound the dictionary keeps whole (行政执法三项制度, 执法全过程记录) also matches, for less again, where its
parts stand apart: reports write 行政执法“三项制度” or 执法公示、全过程记录 as often as the compound itself. Shorter
words are not split that way: 依法行政 as 依法 + 行政 would match nearly every paragraph.

An unquoted run of several words, long enough and without spaces, is also looked for as typed (行政复议纠错 side by side
ranks above the words scattered, and is marked whole). A quoted string matches where the normalized text contains it,
whatever the segmenter did with it.

In one sentence (同句)
----------------------
A 同句 clause holds where one sentence (split on :data:`~searchlib.analysis.SENTENCE_END`) satisfies all its members
under the rules above. :func:`sentence_strings` states a clause as plain substring tests where it can, so the text store
can decide it without segmenting.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from searchlib.analysis import SENTENCE_END, SENTENCE_END_CHARS, normalize, segment
from searchlib.query.parse import And, Exact, Filter, Node, Not, Or, SameReport, SameSentence, Words

# An unquoted run of several words, this long, is also looked for as typed.
LITERAL_RUN_MIN_CHARS = 3
# A dictionary word this long also matches as its parts (see components()).
COMPOUND_MIN_CHARS = 6
# Beyond this many alternatives a clause is checked by the general rule, sentence by sentence.
MAX_SENTENCE_ALTERNATIVES = 32

# Parts "close together": at most this many characters between one part and the next, in one sentence
# (法治宣传和教育 for 法治宣传教育; not 法治宣传 … 教育 a clause apart).
NEAR_MAX_GAP = 6

# A compound's parts this long are terms of their own: as its parts, the compound needs them in one sentence only.
TERM_PART_MIN_CHARS = 4

# A clause as alternatives, each a set of strings that one sentence must all contain.
Alternatives = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Word:
    """One segmenter word of a typed run (normalized) and the ways it matches."""

    text: str
    # The parts of a long compound (see components()), each planned by the same rules.
    parts: tuple["Word", ...]
    # The word as strings one sentence must all contain; None: it needs the segmenter. For a compound, its parts
    # are one alternative although they must also stand close (parts_near): a necessary condition there.
    alternatives: Alternatives | None

    @property
    def by_characters(self) -> bool:
        """Whether its characters side by side match: a single character must be a word."""
        return len(self.text) >= 2


@dataclass(frozen=True)
class Run:
    """A typed run of words (or a quoted string), planned once for every consumer."""

    typed: str
    exact: bool           # a quoted string: only the characters count
    normalized: str       # normalize(typed): what the index's phrase of bigrams spells
    words: tuple[Word, ...]  # the segmenter's main words, without repeats (none for a quoted string)
    # Several words, long enough and without spaces: also looked for (and marked) as typed.
    as_typed: bool
    alternatives: Alternatives | None  # the run as sentence strings (see Word.alternatives)

    @property
    def literal(self) -> str:
        """The string marked where it occurs (a quoted string; a run found as typed)."""
        return self.normalized.strip()

    @property
    def word_texts(self) -> tuple[str, ...]:
        return tuple(w.text for w in self.words)


def plan_run(node: Words | Exact) -> Run:
    """The rules for one typed run (cached: a request asks for them per paragraph and sentence)."""
    return _run(node.text, isinstance(node, Exact))


@functools.lru_cache(maxsize=4096)
def _run(typed: str, exact: bool) -> Run:
    normalized = normalize(typed)
    if exact:
        return Run(typed, True, normalized, (), False, (frozenset([normalized]),))
    words = tuple(_word(w) for w in _main_words(normalized))
    if words:
        alternatives = _all_of([w.alternatives for w in words])
    else:
        alternatives = (frozenset([normalized.strip()]),)
    return Run(typed, False, normalized, words, len(words) > 1 and _long_run(normalized), alternatives)


def _main_words(normalized: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tok.text for tok in segment(normalized) if not tok.sub))


def _long_run(normalized: str) -> bool:
    run = normalized.strip()
    return len(run) >= LITERAL_RUN_MIN_CHARS and not any(c.isspace() for c in run)


@functools.lru_cache(maxsize=8192)
def _word(text: str) -> Word:
    parts = tuple(_word(p) for p in components(text))
    if len(text) < 2:
        alternatives = None  # a single character must be a word of the sentence, not just in it
    elif not parts:
        alternatives = (frozenset([text]),)
    else:
        by_parts = _all_of([p.alternatives for p in parts])
        alternatives = None if by_parts is None else (frozenset([text]),) + by_parts
    return Word(text, parts, alternatives)


@dataclass(frozen=True)
class Near:
    """Parts that count only close together and in order (see NEAR_MAX_GAP): how the report-level tiers
    find a concept by its parts, and what the highlighter marks for it (not a query-language node)."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class AsWord:
    """A term the report-level tiers looked up as a segmenter word (a piece, a related term, a common word): what
    the highlighter marks only where the segmenter saw it, never where its characters merely stand side by side
    across two words (送法 in 报送法治). Not a query-language node."""

    text: str


@dataclass(frozen=True)
class SeenWord(Word):
    """A :class:`Word` that matches only as a word (see :class:`AsWord`)."""

    @property
    def by_characters(self) -> bool:
        return False


@functools.lru_cache(maxsize=256)
def near_pattern(parts: tuple[str, ...], max_gap: int | None = NEAR_MAX_GAP) -> re.Pattern:
    """The parts in order, each a group, at most ``max_gap`` characters apart (None: anywhere in the sentence), none
    across a sentence end."""
    ends = re.escape(SENTENCE_END_CHARS)
    gap = f"[^{ends}]*?" if max_gap is None else f"[^{ends}]{{0,{max_gap}}}?"
    return re.compile(gap.join(f"({re.escape(normalize(p))})" for p in parts))


def parts_near(word: Word) -> re.Pattern:
    """How a long compound matches as its parts: every part a word of the paragraph, in order, close together (重大行政
    决策: not 重大 … 行政 … 决策 scattered over a paragraph, words of every other sentence), or, where every part is
    a term of its own (TERM_PART_MIN_CHARS), in one sentence (行政执法公示、执法全过程记录、重大执法决定法制审核三项制度 is
    行政执法三项制度)."""
    parts = tuple(p.text for p in word.parts)
    return near_pattern(parts, _parts_gap(parts))


def parts_near_bytes(word: Word) -> re.Pattern[bytes]:
    """A necessary condition of parts_near on a text's UTF-8 bytes (the parts in order, at most four bytes a
    character apart, sentence ends not looked at): a text it does not find is not decoded to be read."""
    parts = tuple(p.text for p in word.parts)
    gap = _parts_gap(parts)
    between = b".*?" if gap is None else b".{0,%d}?" % (4 * gap)
    return re.compile(between.join(re.escape(normalize(p).encode("utf-8")) for p in parts), re.DOTALL)


def _parts_gap(parts: tuple[str, ...]) -> int | None:
    return None if all(len(p) >= TERM_PART_MIN_CHARS for p in parts) else NEAR_MAX_GAP


def near_spans(near: Near, norm: str) -> list[tuple[int, int]]:
    """Where each part stands in the places the parts are close together, in normalized text."""
    return [m.span(i) for m in near_pattern(near.parts).finditer(norm) for i in range(1, len(near.parts) + 1)]


def query_words(text: str) -> list[str]:
    """Main words of a typed run, normalized, in order, without repeats."""
    return list(_run(text, False).word_texts)


def components(word: str, min_chars: int = COMPOUND_MIN_CHARS) -> list[str]:
    """The parts of a long compound: its longest dictionary sub-words, left to right.

    行政执法三项制度 -> 行政执法 三项制度; 一村一法律顾问 -> 一村 一 法律顾问 (a character no sub-word covers is a part
    of its own). Empty for words shorter than ``min_chars`` or without sub-words.
    """
    if len(word) < min_chars:
        return []
    longest_at: dict[int, str] = {}
    for tok in segment(word):  # (segment loads the domain dictionary the sub-words come from)
        if tok.sub and len(tok.text) > len(longest_at.get(tok.start, "")):
            longest_at[tok.start] = tok.text
    parts: list[str] = []
    i = 0
    while i < len(word):
        piece = longest_at.get(i, word[i])
        parts.append(piece)
        i += len(piece)
    return parts if any(len(p) > 1 for p in parts) and len(parts) > 1 else []


# --- in one sentence (同句) ----------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def has_compound(clause: Node) -> bool:
    """Whether a word of the clause is a long compound (one that also matches as its parts, close together)."""
    if isinstance(clause, Words):
        return any(w.parts for w in plan_run(clause).words)
    return any(has_compound(c) for c in getattr(clause, "children", ()))


def sentence_strings_sure(clause: SameSentence) -> tuple[tuple[bytes, ...], ...] | None:
    """For a clause with a compound, the strings that decide a sentence holds it with each compound as itself: a
    sentence they find holds the clause; one only sentence_strings finds is read by the general rule (its parts
    must stand close). None for a clause without a compound (sentence_strings decides alone)."""
    return sentence_strings(clause, False) if has_compound(clause) else None

def sentences_of(text: str, normalized: bool = False) -> list[str]:
    """The normalized sentences of a paragraph (split on 。！？； and line breaks)."""
    return [s for s in SENTENCE_END.split(text if normalized else normalize(text)) if s.strip()]


def sentence_match(clause: SameSentence, text: str, normalized: bool = False) -> bool:
    """True when one sentence of ``text`` holds the whole clause (``normalized``: text already is)."""
    sentences = sentences_of(text, normalized)
    literal = literal_words(clause)
    if literal is not None:
        return any(all(w in sentence for w in literal) for sentence in sentences)
    return any(_holds_in(clause, sentence, {}) for sentence in sentences)


@functools.lru_cache(maxsize=1024)
def literal_words(clause: SameSentence) -> tuple[str, ...] | None:
    """The words of a clause that holds exactly where a sentence contains them all, else None.

    That is the case for plain words of 2 to COMPOUND_MIN_CHARS - 1 characters (see _word_in_sentence: such a word
    matches a sentence if and only if it is in it literally); single characters, compounds, exact strings, OR and NOT go
    through the general rule. The common 同句 query then needs only one substring test per word and sentence.
    """
    words: list[str] = []
    for member in clause.children:
        if not isinstance(member, Words):
            return None
        found = plan_run(member).word_texts
        if not found or any(not 2 <= len(w) < COMPOUND_MIN_CHARS for w in found):
            return None
        words.extend(found)
    return tuple(dict.fromkeys(words))


def _all_of(parts: list[Alternatives | None]) -> Alternatives | None:
    if any(p is None for p in parts):
        return None
    combined: Alternatives = (frozenset(),)
    for part in parts:
        combined = tuple(dict.fromkeys(a | b for a in combined for b in part))
        if len(combined) > MAX_SENTENCE_ALTERNATIVES:
            return None
    return combined


def _alternatives(node: Node, by_parts: bool = True) -> Alternatives | None:
    """_holds_in as strings (None where it needs more than substring tests). A compound's parts are a necessary
    condition only (they must also stand close); without ``by_parts`` a compound is only itself: a sufficient one."""
    if isinstance(node, (Words, Exact)):
        run = plan_run(node)
        if by_parts or not any(w.parts for w in run.words):
            return run.alternatives
        return _all_of([(frozenset([w.text]),) if w.parts else w.alternatives for w in run.words])
    if isinstance(node, (And, SameSentence, SameReport)):
        return _all_of([_alternatives(c, by_parts) for c in node.children])
    if isinstance(node, Or):
        parts = [_alternatives(c, by_parts) for c in node.children]
        if any(p is None for p in parts):
            return None
        joined = tuple(dict.fromkeys(a for p in parts for a in p))
        return joined if len(joined) <= MAX_SENTENCE_ALTERNATIVES else None
    if isinstance(node, Filter):
        return (frozenset(),)
    return None  # Not: "a sentence without X" is no substring test


@functools.lru_cache(maxsize=1024)
def sentence_strings(clause: SameSentence, by_parts: bool = True) -> tuple[tuple[bytes, ...], ...] | None:
    """The clause as alternatives of UTF-8 strings, one sentence holding all of one alternative's:
    the decision of sentence_match, made by substring search alone (where the clause has a compound,
    a necessary condition: see sentence_strings_sure). None where the clause needs the general rule (a
    single character, NOT, too many alternatives)."""
    alternatives = _alternatives(clause, by_parts)
    if alternatives is None or any(not "".join(a).strip() for a in alternatives):
        return None
    # A string with a terminator in it is in no sentence: its alternative never holds.
    possible = [a for a in alternatives if not any(SENTENCE_END.search(s) for s in a)]
    return tuple(tuple(sorted(s.encode("utf-8") for s in a)) for a in possible)


def _holds_in(node: Node, sentence: str, cache: dict) -> bool:
    """Whether ``sentence`` (normalized) satisfies ``node`` under the same rules as the index."""
    if isinstance(node, (Words, Exact)):
        run = plan_run(node)
        if run.exact:
            return run.normalized in sentence
        if not run.words:
            return run.literal in sentence
        return all(_word_in_sentence(w, sentence, cache) for w in run.words)
    if isinstance(node, (And, SameSentence, SameReport)):
        return all(_holds_in(c, sentence, cache) for c in node.children)
    if isinstance(node, Or):
        return any(_holds_in(c, sentence, cache) for c in node.children)
    if isinstance(node, Not):
        return not _holds_in(node.child, sentence, cache)
    return True  # a filter is about the report, not the sentence: already applied


def _word_in_sentence(word: Word, sentence: str, cache: dict) -> bool:
    """The rules of a word, applied to one sentence."""
    if word.by_characters and word.text in sentence:
        return True  # several characters side by side match, as in the index
    if word.parts:
        return (all(_word_in_sentence(p, sentence, cache) for p in word.parts)
                and parts_near(word).search(sentence) is not None)
    if word.text not in sentence:
        return False
    if "tokens" not in cache:
        cache["tokens"] = {t.text for t in segment(sentence)}
    return word.text in cache["tokens"]
