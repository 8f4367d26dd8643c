"""Text -> clean lines: page furniture and injected text removed.

The patterns live in ``data/cleaning_patterns.txt`` so that what is removed is
a reviewed list, not literals scattered through code.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from searchlib.config import DATA_DIR

PATTERNS_FILE = DATA_DIR / "cleaning_patterns.txt"


@dataclass(frozen=True)
class CleaningRules:
    drop_line: tuple[re.Pattern, ...] = ()
    remove_inline: tuple[re.Pattern, ...] = ()
    end_of_document: tuple[re.Pattern, ...] = ()


def load_rules(path: Path = PATTERNS_FILE) -> CleaningRules:
    sections: dict[str, list[re.Pattern]] = {"drop-line": [], "remove-inline": [], "end-of-document": []}
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
        sections[current].append(re.compile(line))
    return CleaningRules(
        drop_line=tuple(sections["drop-line"]),
        remove_inline=tuple(sections["remove-inline"]),
        end_of_document=tuple(sections["end-of-document"]),
    )


@functools.lru_cache(maxsize=1)
def default_rules() -> CleaningRules:
    return load_rules()


_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# White space between two CJK characters is a typesetting artefact, not a word break.
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uff00-\uffef，。、；：？！“”（）《》])[ \t\u00a0\u3000]+(?=[\u3400-\u9fff\uff00-\uffef，。、；：？！“”（）《》])")


def tidy(line: str) -> str:
    line = _CJK_GAP.sub("", line.strip())
    return _SPACES.sub(" ", line)


def clean_lines(text: str, rules: CleaningRules | None = None) -> list[str]:
    """Non-empty content lines of a page, furniture dropped, spam cut out."""
    rules = rules or default_rules()
    out: list[str] = []
    for raw in text.splitlines():
        line = tidy(raw)
        if not line:
            continue
        if any(p.search(line) for p in rules.end_of_document):
            break
        if any(p.search(line) for p in rules.drop_line):
            continue
        for p in rules.remove_inline:
            line = p.sub("", line)
        line = line.strip()
        if line:
            out.append(line)
    return out
