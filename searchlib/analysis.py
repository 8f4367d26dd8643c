"""Text normalization and the two analyzers the index is built with.

Both the index and the query side go through :func:`normalize` and the same segmenter, so whatever form a researcher
types (full-width digits, traditional characters, upper-case Latin) meets the same tokens as the indexed text.

:func:`normalize` never changes the length of a string: character ``i`` of the normalized text is character ``i`` of the
original. Highlights computed on the normalized text can therefore be drawn on the stored original text directly.
"""
from __future__ import annotations

import functools
import hashlib
import re
from array import array
import threading
import unicodedata
from pathlib import Path
from typing import Iterator, NamedTuple

import opencc
import rjieba
from whoosh.analysis import Token, Tokenizer

from searchlib.config import DATA_DIR

DOMAIN_DICT = DATA_DIR / "dict" / "domain.txt"

_T2S = opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def _normalize_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    if len(folded) != 1:
        # Compatibility forms that expand (㈠ -> (一)) stay as they are: keeping
        # one character per character is what makes offsets exact.
        folded = ch.lower() if len(ch.lower()) == 1 else ch
    converted = _T2S.convert(folded)
    return converted if len(converted) == 1 else folded


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width), lower-case Latin, traditional -> simplified; as many characters as ``text``."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) != len(text):
        folded = "".join(_normalize_char(c) for c in text)
    return _convert_t2s(folded)


def _convert_t2s(text: str) -> str:
    # Phrase-level conversion is right in context (e.g. 乾隆 stays); fall back to
    # character by character only in the rare case a phrase changes length.
    converted = _T2S.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_normalize_char(c) for c in text)


# --- segmentation -----------------------------------------------------------

_dictionary_lock = threading.Lock()
_dictionary_loaded = False


def load_domain_dictionary(path: Path = DOMAIN_DICT) -> int:
    """Add the domain vocabulary (法治政府, 合法性审查 ...) to the segmenter; returns the number of words. The
    file's lines are ``word [freq]``; ``#`` starts a comment."""
    count = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        word = normalize(parts[0])
        freq = int(parts[1]) if len(parts) > 1 else None
        rjieba.add_word(word, freq, None)
        count += 1
    return count


@functools.lru_cache(maxsize=4)
def dictionary_digest(path: Path = DOMAIN_DICT) -> str:
    """A short digest of the domain vocabulary: an index records the one it was built with, because a word added
    since is one token in a query and several in that index (see searchlib.index.storage.DICTIONARY_FILE). Read
    once per process, as the segmenter loads the file once."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _ensure_dictionary() -> None:
    global _dictionary_loaded
    if _dictionary_loaded:
        return
    with _dictionary_lock:
        if not _dictionary_loaded:
            load_domain_dictionary()
            _dictionary_loaded = True


# A letter or digit: re's \w is exactly str.isalnum() plus "_" (checked over every code point).
# One regex search is a third of the cost of any(c.isalnum() ...) per token.
_WORD_CHAR = re.compile(r"[^\W_]")


def is_word(token: str) -> bool:
    """A token that is a word (holds a letter or digit), not white space or punctuation."""
    return _WORD_CHAR.search(token) is not None


class WordToken(NamedTuple):
    """A word of the normalized text: its position is a word number.

    A named tuple, not a frozen dataclass: every paragraph indexed or highlighted makes hundreds of these, and a frozen
    dataclass took 2.0 µs each to build against 0.4 µs for this (timeit, this machine, under load).
    """

    text: str
    pos: int
    start: int
    end: int
    sub: bool = False  # a search-mode sub-word, at its parent's position


def segment(normalized: str) -> list[WordToken]:
    """Words of already-normalized text, with search-mode sub-words.

    Positions count the words (punctuation advances the count, so a phrase never spans it; white space does not, so
    ``hello world`` stays a phrase). Sub-words such as 共和国 inside 中华人民共和国 carry their parent's position, which
    keeps phrases of the main words intact.
    """
    out: list[WordToken] = []
    pos = -1
    for word, start, end in main_words(normalized):
        if word.isspace():
            continue
        pos += 1
        if not is_word(word):
            continue
        out.append(WordToken(word, pos, start, end))
        for sub, offset in sub_words(word):
            out.append(WordToken(sub, pos, start + offset, start + offset + len(sub), sub=True))
    return out


def main_words(normalized: str) -> list[tuple[str, int, int]]:
    """The segmenter's own (word, start, end) cut of ``normalized``, white space and punctuation included."""
    _ensure_dictionary()
    return rjieba.tokenize(normalized, "default", True)


def _ends_typecode(length: int) -> str:
    return "B" if length < 1 << 8 else "H" if length < 1 << 16 else "I"


def packed_word_ends(normalized: str) -> bytes:
    """Where each of :func:`main_words` ends in ``normalized``, packed as the smallest unsigned
    integers that hold its length (one byte a word for most paragraphs): kept per paragraph
    so a highlight can find the word around a match without segmenting again."""
    return array(_ends_typecode(len(normalized)), [end for _, _, end in main_words(normalized)]).tobytes()


def word_ends(normalized: str, packed: bytes) -> memoryview:
    """The word ends :func:`packed_word_ends` packed for ``normalized``, as a sorted sequence of ints."""
    return memoryview(packed).cast(_ends_typecode(len(normalized)))


@functools.lru_cache(maxsize=200_000)
def sub_words(word: str) -> tuple[tuple[str, int], ...]:
    """Dictionary words strictly inside ``word``, each once, with its offset.

    Like jieba's search mode, but every length, so 法治政府 is found inside
    法治政府建设 (search mode stops at three characters).
    """
    n = len(word)
    if n < 3:
        return ()
    # The cache must never hold an answer computed without the domain words.
    _ensure_dictionary()
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for size in range(2, n):
        for i in range(n - size + 1):
            piece = word[i:i + size]
            if piece not in seen and rjieba.has_word(piece):
                seen.add(piece)
                found.append((piece, i))
    return tuple(found)


@functools.lru_cache(maxsize=50_000)
def outer_sub_words(word: str) -> tuple[tuple[str, int], ...]:
    """The :func:`sub_words` of ``word`` that no longer sub-word of it contains: in 马克思主义, 马克思
    but not the 马克 inside it. A highlight marks those, never such fragments."""
    subs = sub_words(word)
    return tuple((sub, at) for sub, at in subs
                 if not any(len(other) > len(sub) and other_at <= at and at + len(sub) <= other_at + len(other)
                            for other, other_at in subs))


def words(text: str) -> list[str]:
    """The main words of ``text`` as the index sees them (for display and queries)."""
    return [t.text for t in segment(normalize(text)) if not t.sub]


# What ends a sentence (同句 means: no one of these between; a snippet is whole sentences). NFKC has
# already made ！？； into !?; but the full-width forms stay listed for text that was not normalized.
# The punctuation alone is what marks a line as running text rather than a title (see report.py).
SENTENCE_PUNCT = "。！？；!?;"
SENTENCE_END_CHARS = SENTENCE_PUNCT + "\n"
SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_END_CHARS)}]")


def bigrams(normalized: str) -> list[str]:
    """Overlapping character bigrams; the last character stands alone.

    Consecutive bigrams at consecutive positions spell out a substring, so a
    phrase of bigrams matches exactly the texts that contain the string.
    """
    return [normalized[i:i + 2] for i in range(len(normalized))]


# --- Whoosh analyzers ---------------------------------------------------------
# These classes are pickled into the index's schema: renaming or moving them
# makes existing indexes unreadable, so keep their import path stable.


class WordTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`segment`, with word positions."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = normalize(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for w in segment(normalize(value)):
            t.text = w.text
            t.boost = 1.0
            if keeporiginal:
                t.original = w.text
            t.stopped = False
            if positions:
                t.pos = start_pos + w.pos
            if chars:
                t.startchar = start_char + w.start
                t.endchar = start_char + w.end
            yield t


class BigramTokenizer(Tokenizer):
    """Whoosh tokenizer emitting the character bigrams of the normalized text."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, gram in enumerate(bigrams(normalize(value))):
            t.text = gram
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = gram
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar = start_char + i
                t.endchar = start_char + i + len(gram)
            yield t
