"""Text -> clean lines: page furniture and injected text removed.

The patterns live in ``data/cleaning_patterns.txt`` so that what is removed is a reviewed list, not literals scattered
through code. They are matched against the normalized line (simplified script, half-width punctuation: see
:func:`searchlib.analysis.normalize`), so one pattern covers 打印 and 打印, ``:`` and ``：``; what is kept is the
original text.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from searchlib.analysis import SENTENCE_PUNCT, normalize
from searchlib.config import DATA_DIR

PATTERNS_FILE = DATA_DIR / "cleaning_patterns.txt"

# Each stage looks at the same lines more than once; normalizing a line once
# per page instead of once per look keeps parsing cheap.
normalized = functools.lru_cache(maxsize=16384)(normalize)
SECTIONS = ("drop-line", "remove-inline", "end-of-document")


@dataclass(frozen=True, eq=False)
class CleaningRules:
    drop_line: tuple[re.Pattern, ...] = ()
    remove_inline: tuple[re.Pattern, ...] = ()
    end_of_document: tuple[re.Pattern, ...] = ()

    @functools.cached_property
    def any_inline(self) -> re.Pattern:
        """One pass that tells whether a line needs the inline patterns at all."""
        return _union(self.remove_inline)

    @functools.cached_property
    def any_drop(self) -> re.Pattern:
        return _union(self.drop_line)

    @functools.cached_property
    def any_end(self) -> re.Pattern:
        return _union(self.end_of_document)


def _union(patterns: tuple[re.Pattern, ...]) -> re.Pattern:
    """One regex matching where any of ``patterns`` does.

    Patterns anchored at ``^`` are grouped under one anchor, so a long line is
    not re-tried against each of them at every position.
    """
    anchored = [p.pattern[1:] for p in patterns if p.pattern.startswith("^")]
    floating = [p.pattern for p in patterns if not p.pattern.startswith("^")]
    parts = []
    if anchored:
        parts.append("^(?:" + "|".join(f"(?:{a})" for a in anchored) + ")")
    parts += [f"(?:{f})" for f in floating]
    return re.compile("|".join(parts) if parts else r"(?!)")


def load_rules(path: Path = PATTERNS_FILE) -> CleaningRules:
    sections: dict[str, list[re.Pattern]] = {name: [] for name in SECTIONS}
    current = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]") and line[1:-1] in sections:
            current = line[1:-1]
            continue
        if current is None:
            raise ValueError(f"{path}:{number}: pattern outside a [section]")
        try:
            sections[current].append(re.compile(line))
        except re.error as exc:
            raise ValueError(f"{path}:{number}: bad pattern {line!r}: {exc}") from None
    # [drop-line] fills drop_line, and so on.
    return CleaningRules(**{name.replace("-", "_"): tuple(found) for name, found in sections.items()})


@functools.lru_cache(maxsize=1)
def default_rules() -> CleaningRules:
    return load_rules()


_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u200b\ufeff]+")
_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】—…,.;:?!()"
# White space next to CJK text is a typesetting artefact, not a word break.
_CJK_GAP = re.compile(
    r"(?<=[\u3400-\u9fff\uff00-\uffef" + _PUNCT + r"])[ \t\u00a0\u3000\u2002\u2003\u200b\ufeff]+"
    r"(?=[\u3400-\u9fff\uff00-\uffef" + _PUNCT + r"\d])"
    r"|(?<=[\d])[ \t\u00a0\u3000]+(?=[年月日])"
)


# Terminal escape sequences (colour, clear screen, window title) come in with text copied from a
# terminal or a log; printed back they would drive the reader's terminal. CSI (ESC [ … letter, or
# the one-byte CSI U+009B), OSC (ESC ] … BEL or ST, within its line) and the other two-byte escapes.
_ESCAPE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]")
# Form feed, vertical tab and NEL break lines (between PDF pages, in old word processors).
_LINE_BREAK_CONTROLS = re.compile(r"[\x0b\x0c\x85]")
# Every other C0/C1 control but tab and CR/LF: never text, and unsafe to print.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters; line breaks and tabs kept."""
    text = _ESCAPE.sub("", text)
    return _CONTROLS.sub("", _LINE_BREAK_CONTROLS.sub("\n", text))


def tidy(line: str) -> str:
    """One line with its edges trimmed and typesetting spaces removed."""
    line = _CJK_GAP.sub("", line.strip())
    return _SPACES.sub(" ", line).strip()


def remove_spans(line: str, patterns: tuple[re.Pattern, ...]) -> str:
    """``line`` without the text the patterns match in its normalized form.

    :func:`normalize` keeps every character in place, so a span found in the
    normalized line is the same span in the original.
    """
    for pattern in patterns:
        folded = normalized(line)
        spans = [m.span() for m in pattern.finditer(folded) if m.end() > m.start()]
        for start, end in reversed(spans):
            line = line[:start] + line[end:]
    return line


def clean_lines(text: str, rules: CleaningRules | None = None) -> list[str]:
    """Non-empty content lines of a page, furniture dropped, spam cut out."""
    rules = rules or default_rules()
    out: list[str] = []
    tail: int | None = None  # where an end-of-document line stood before any running text
    for raw in strip_controls(text).splitlines():
        line = tidy(raw)
        if not line:
            continue
        if rules.any_inline.search(normalized(line)):
            line = tidy(remove_spans(line, rules.remove_inline))
            if not line:
                continue
        folded = normalized(line)
        if rules.any_end.search(folded):
            if has_running_text(out):
                break  # after the article: the page's tail begins
            # Before it: a sidebar's 相关文章 block, whose heading is furniture and the article may follow.
            tail = len(out) if tail is None else tail
            continue
        if rules.any_drop.search(folded):
            continue
        out.append(line)
    if tail is not None and not has_running_text(out[tail:]):
        del out[tail:]  # no article came after it: it was the tail of a page with no running text
    return out


_RUNNING_TEXT = re.compile(f"[{re.escape(SENTENCE_PUNCT)}]")


def has_running_text(lines: list[str]) -> bool:
    """Whether a sentence has been written: an article has begun (menus and link lists have none)."""
    return any(_RUNNING_TEXT.search(normalized(line)) for line in lines)
