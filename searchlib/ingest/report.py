"""Clean text -> a report: metadata, sections and paragraphs with permanent ids.

The JSON shape of :meth:`Report.to_dict` is the contract of ``searchlib parse``.
Unknown values are ``None``; nothing here guesses.

Every decision is taken on the normalized text (simplified script, half-width
punctuation: :func:`searchlib.analysis.normalize`), which keeps every
character in place, so what is stored is the page's own wording.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from searchlib.analysis import SENTENCE_PUNCT, normalize
from searchlib.fields import PLACE_FIELDS
from searchlib.ingest.clean import clean_lines, normalized, strip_controls
from searchlib.ingest.inputs import Item, read_item
from searchlib.ingest.places import LEVEL_NAMES, Division, Gazetteer, Locality, Mention, gazetteer, host_divisions
from searchlib.ingest.source import read_text


@dataclass
class Paragraph:
    pid: str
    text: str


@dataclass
class Section:
    heading: str | None
    kind: str
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Report:
    source: str
    doc_id: str
    title: str | None = None
    publisher: str | None = None
    report_year: int | None = None
    publish_date: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    division_code: str | None = None
    level: str | None = None
    body: str | None = None
    genre: str = "report"
    locality_candidates: list[str] = field(default_factory=list)
    reporter: str | None = None     # who reported, as the page names them (part of doc_id)
    url: str | None = None          # where the page was fetched from (manifest or WARC), if known
    fetched_at: str | None = None   # when it was fetched (ISO date or date-time), if known
    sources: list[dict] = field(default_factory=list)  # every copy: {"path", "url", "fetched_at"}
    text_digest: str = ""           # digest of the normalized body text: identical copies share it
    sections: list[Section] = field(default_factory=list)

    def paragraphs(self) -> Iterator[tuple[int, Section, Paragraph]]:
        """(order in report, section, paragraph) for every paragraph."""
        n = 0
        for section in self.sections:
            for para in section.paragraphs:
                yield n, section, para
                n += 1

    def to_dict(self) -> dict:
        return asdict(self)


# --- header metadata ----------------------------------------------------------

# Publication dates, most specific first. 成文 (drafting) dates come after any
# publication date; 公文生成日期 is a drafting timestamp and never used.
PUBLICATION_DATE_LABELS = ("发布日期", "发布时间", "公开日期", "发文日期", "发文时间", "日期", "时间")
DRAFTING_DATE_LABELS = ("成文日期", "成文时间")
PUBLISHER_LABELS = ("发布机构", "发文机关", "发布单位")
SOURCE_LABELS = ("来源", "信息来源", "文章来源", "稿件来源")
_LABELS = sorted(set(PUBLICATION_DATE_LABELS + DRAFTING_DATE_LABELS + PUBLISHER_LABELS + SOURCE_LABELS
                     + ("索引号", "标题", "中文域名", "公文生成日期", "文号", "发文字号", "主题分类", "责任编辑",
                        "作者", "编辑", "点击", "浏览次数", "阅读次数", "访问次数", "访问量", "字号", "字体",
                        "公开方式", "公开时限", "公开类别", "统一登记号", "效力状态", "有效性", "组配分类")),
                 key=len, reverse=True)
_LABEL_ALT = "|".join(r"\s*".join(label) for label in _LABELS)
# A label starts a line or follows a space, bullet or bracket (so 日期 inside 公文生成日期 is not a label).
_LABEL_START = r"(?:^|(?<=[\s\[\]【】•·|\-]))"
# "标签:" or a bracketed label, whose colon is optional: "[ 发布日期 ] 2026-02-12".
_LABEL_END = r"(?:\s*[\]】]\s*:?|\s*:)"
_HEADER_FIELD = re.compile(
    _LABEL_START + r"(" + _LABEL_ALT + r")" + _LABEL_END + r"\s*(.*?)(?=\s{2,}|\s*\|"
    r"|\s*" + _LABEL_START + r"[\[【]?\s*(?:" + _LABEL_ALT + r")" + _LABEL_END + r"|$)"
)
# Flattened tables: "发布单位 湖南省交通运输厅 来源 厅法制处" (labels and values separated by spaces).
_FLAT_LABELS = ("索引号", "发布机构", "发布单位", "来源", "公开日期", "发布时间", "文号", "公开方式", "公开时限",
                "公开类别", "统一登记号")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_INDEX_CODE = re.compile(r"^(\d{6})(?=\D|$)")
# A unified social credit code carries the registering body's division code (11 500229 …).
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}(\d{6})[0-9A-HJ-NP-RTUWXY]{10}(?=\W|$)", re.I)


def read_header(lines: list[str]) -> dict[str, str]:
    """Label -> value pairs from the page's header area (索引号, 发布日期, 来源 ...); ``lines`` are normalized raw
    lines, spacing kept (runs of spaces separate fields)."""
    found: dict[str, str] = {}

    def keep(label: str, value: str) -> None:
        label = re.sub(r"\s+", "", label)
        value = value.strip().strip("|").strip()
        if value and label not in found:
            found[label] = value

    for line in lines:
        line = line.strip()
        if line.startswith("今天是"):
            continue  # a site clock, not the document's date
        matched = False
        for match in _HEADER_FIELD.finditer(line):
            matched = True
            keep(match.group(1), match.group(2))
        if not matched and line.split(" ", 1)[0] in _FLAT_LABELS:
            label = None
            for token in line.split():
                if token in _FLAT_LABELS:
                    label = token
                elif label:
                    keep(label, token)
                    label = None
    return found


def parse_date(value: str | None, today: dt.date | None = None) -> str | None:
    """The first Y-M-D date in ``value`` as ISO, unless impossible or in the future."""
    match = _DATE.search(value or "")
    if not match:
        return None
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if date > (today or dt.date.today()) or date.year < 1990:
        return None
    return date.isoformat()


def division_codes_in(index_number: str | None) -> list[str]:
    """Division codes an 索引号 carries: a 6-digit prefix (370403/2022-…) or a credit code."""
    if not index_number:
        return []
    value = index_number.strip()
    match = _INDEX_CODE.match(value) or _CREDIT_CODE.match(value)
    return [match.group(1)] if match else []


# --- titles ---------------------------------------------------------------------

# Lines are normalized (NFKC: no full-width ！？； left), so this is [。;!?] as before.
_SENTENCE_PUNCT = re.compile(f"[{re.escape(SENTENCE_PUNCT)}]")
_HEADING_START = re.compile(
    r"^([一二三四五六七八九十]{1,3}\s*[、.]|\(\s*[一二三四五六七八九十]{1,3}\s*\)|\d{1,2}\s*[.、](?!\d)"
    r"|[一二三四五六七八九十]{1,3}是|、|\)(?=[\u4e00-\u9fff]))")  # the last two lost their numeral or bracket
_DOC_KIND = re.compile(r"(报告|总结|情况|年报|方案|通知|要点|安排|打算|纲要|意见|规划)$")
_TITLE_TOPIC = re.compile(r"法治|依法行政|法制")
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff()]{2,30}(人民政府|政府|办公室|办事处|街道|厅|局|委员会|党委|乡|镇|县|区|市|省)$")
_CONTINUES_ORG = re.compile(r"^(关于|\d{4}|20xx|办事处)")
_TITLE_DATE = re.compile(r"\s*[((]\s*(\d{4}-\d{1,2}-\d{1,2})\s*[))]\s*$")
_BRACKET_PREFIX = re.compile(r"^【[^】]{1,30}】\s*")
_RUN_IN_TITLE = re.compile(r"^([^,,。;:、\s]{6,60}?(?:的报告|报告|工作总结))")
_TITLE_SCAN_LINES = 40  # HTML pages can carry a long menu before the title


def _title_piece(norm: str) -> bool:
    """A line that may be (part of) a title: short, no sentence punctuation, no heading number."""
    return (2 <= len(norm) <= 90 and not _SENTENCE_PUNCT.search(norm) and not norm.endswith(":")
            and not _HEADING_START.match(norm))


_TRAILING_PERIOD = re.compile(r"\s*\([^()]*\d{4}[^()]*\)$")  # 实施方案(2021—2025年)


# A title names its year or its body; a channel name (法治政府建设报告) names neither.
_TITLE_ANCHOR = re.compile(r"\d{4}|20xx|关于|人民政府|县|市|区|镇|乡|街道|省|厅|局|办|委|^政府工作报告$")


def _complete_title(norm: str) -> bool:
    norm = _TRAILING_PERIOD.sub("", _TITLE_DATE.sub("", norm))
    return (6 <= len(norm) <= 90 and bool(_DOC_KIND.search(norm))
            and bool(_TITLE_TOPIC.search(norm) or norm.endswith("报告"))
            and bool(_TITLE_ANCHOR.search(norm)))


def _body_started(norm: str) -> bool:
    return bool(_SENTENCE_PUNCT.search(norm)) and len(norm) > 50


def _title_at(norms: list[str], i: int) -> int | None:
    """Number of lines from ``i`` that form a title, or None."""
    if not _title_piece(norms[i]):
        return None
    if _complete_title(norms[i]):
        return 1
    for span in (2, 3):
        pieces = norms[i:i + span]
        if len(pieces) < span or not all(_title_piece(p) and len(p) <= 45 for p in pieces):
            return None
        joined = "".join(pieces)
        if not _complete_title(joined):
            continue
        org_split = bool(_ORG_LINE.match(pieces[0]) and _CONTINUES_ORG.match(pieces[1]))
        # Only an organisation line may precede a piece that is a whole title by itself.
        if not org_split and any(_complete_title(p) for p in pieces[1:]):
            return None
        return span
    return None


def find_title(lines: list[str], norms: list[str]) -> tuple[str | None, int, int]:
    """(title, first line, line after it) among the page's first lines.

    A title may be split over up to three lines (joined without breaks), and may be repeated; the longest form in the
    header area wins (a short title first, the full one with the publisher after it).
    """
    best: tuple[str, int, int] | None = None
    limit = min(len(lines), _TITLE_SCAN_LINES)
    i = 0
    while i < limit:
        if _body_started(norms[i]):
            break
        span = _title_at(norms, i)
        if span:
            text = "".join(lines[i:i + span])
            if best is None or _after_a_link(best, text, norms[best[2]:i]):
                best = (text, i, i + span)
            elif normalized(best[0]) in normalized(text) and len(text) > len(best[0]):
                best = (text, best[1], i + span)
            i += span
            continue
        i += 1
    if best is None:
        return None, 0, 0
    return best


def _after_a_link(best: tuple[str, int, int], text: str, between: list[str]) -> bool:
    """``text`` is another report's title than ``best`` and only link-like lines stand between them.

    Then ``best`` was a link in a list (a sidebar's 相关链接) and ``text`` the page's own heading, which
    comes last, right above the body. A sentence or an addressee between them (a notice, then the plan
    it issues) keeps the first.
    """
    earlier, later = normalized(best[0]), normalized(text)
    return earlier not in later and later not in earlier and all(_title_piece(n) for n in between)


def split_run_in_title(line: str) -> tuple[str, str] | None:
    """A title that runs straight into the body because the page lost its line breaks."""
    norm = normalized(line)
    if len(norm) < 100:
        return None
    match = _RUN_IN_TITLE.match(norm)
    if not match or not _TITLE_TOPIC.search(match.group(1)):
        return None
    cut = match.end()
    return line[:cut], line[cut:]


def tidy_title(title: str) -> tuple[str, str | None]:
    """(title without a 【…】 prefix or a glued date, the glued date if any)."""
    title = _BRACKET_PREFIX.sub("", title.strip())
    match = _TITLE_DATE.search(normalized(title))
    if match:
        return title[:match.start()].strip(), match.group(1)
    return title, None


# --- addressees and signatures --------------------------------------------------

_ADDRESSEE_WORDS = re.compile(r"政府|党委|委员|人大|常委|委|办|局|厅|代表|单位|部门|机关|街道|^各")


def is_addressee(norm: str) -> bool:
    """``省人民政府:`` / ``中共渠县委员会、渠县人民政府:``: whom the report is sent to."""
    return (norm.endswith(":") and len(norm) <= 80 and "。" not in norm and "如下" not in norm
            and not _HEADING_START.match(norm) and bool(_ADDRESSEE_WORDS.search(norm)))


_GOVERNMENT = re.compile(r"(人民政府|政府|街道办事处|办事处|党委|党工委|街道|乡|镇|县|区|市|省|旗|州|盟)$")
_DEPARTMENT = re.compile(r"(局|厅|委员会|办公室|司法所|中心|委办|办|处|所|站)(\([^)]*\))?$")
_SIGNATURE_DATE = re.compile(r"^(?:\d{4}|[〇一二三四五六七八九零○]{4})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日$")


def split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Trailing signature block (issuing body, date) apart from the body."""
    cut = len(lines)
    while cut > 0:
        norm = normalized(lines[cut - 1])
        if len(norm) > 30 or re.search(r"[。;,,:]", norm):
            break
        if not (_SIGNATURE_DATE.match(norm) or _GOVERNMENT.search(norm) or _DEPARTMENT.search(norm)):
            break
        cut -= 1
    return lines[:cut], lines[cut:]


# --- bodies and their authors --------------------------------------------------

def body_kind(organisation: str | None) -> str | None:
    """government / department from an organisation's name (东坡区司法局 is a department)."""
    if not organisation:
        return None
    norm = normalized(organisation)
    if _DEPARTMENT.search(norm) and not re.search(r"(街道办事处|办事处)$", norm):
        return "department"
    if _GOVERNMENT.search(norm) or "人民政府" in norm:
        return "government"
    return None


_YEAR_PREFIX = re.compile(r"^(?:关于)?(?:\d{4}|20xx)\s*年度?")


def organisation_in_title(title: str | None) -> str | None:
    """The reporting body a title names: 眉山市东坡区人民政府 in ``…人民政府关于2021年…``."""
    if not title:
        return None
    norm = normalized(title)
    norm = re.sub(r"^\[[^\]]*\]", lambda m: " " * len(m.group()), norm)  # [天政发〔2026〕7号] prefix
    patterns = (
        r"^\s*(?P<org>[^\d关]{2,40}?)关于",
        r"^\s*关于(?P<org>[^\d]{2,40}?)(?:\d{4}|20xx)",
        r"^\s*(?P<org>[^\d]{2,40}?)(?:\d{4}|20xx)\s*年",
        r"^\s*(?:\d{4}|20xx)\s*年度?(?P<org>[^\d]{2,30}?)(?:法治|依法)",
    )
    for pattern in patterns:
        match = re.match(pattern, norm)
        if match and not _TITLE_TOPIC.search(match.group("org")) and not match.group("org").startswith(("印发", "关于")):
            start, end = match.span("org")
            org = title[start:end].strip()
            return org or None
    return None


def government_of_place(gaz, organisation: str) -> str:
    """柳城县 as the reporting body of 柳城县2023年…报告 is 柳城县人民政府.

    Only a bare name of a county or higher division gets the 人民政府; a township or street (碧土乡, 海滨街道) is
    written as the body itself, and anything that is more than place names (…司法局) is left as it is.
    """
    norm = normalized(organisation)
    mentions = gaz.mentions(norm)
    covered = sum(len(m.name) for m in mentions)
    if not mentions or covered != len(norm):
        return organisation
    if any(d.level > 3 for d in mentions[-1].divisions):
        return organisation
    return organisation + "人民政府"


# Who "we" are: 我县 / 全县 (a county), 我局 (a department) ... weighted by how
# plainly the phrase speaks for the author.
_CLAUSE_START = r"(?:^|(?<=[,。、;:\s(“]))"
_SELF_LEVEL_CUES = {
    1: re.compile(r"(我|本)省|全省"),
    2: re.compile(r"(我|本)(市|州|盟)|全(市|州|盟)|" + _CLAUSE_START + r"市人民政府(?!.{0,8}(领导|指导))"),
    3: re.compile(r"(我|本)(县|区|旗)|全(县|区|旗)|" + _CLAUSE_START + r"(县|区)人民政府(?!.{0,8}(领导|指导))"),
    4: re.compile(r"(我|本)(镇|乡|街道|街)|全(镇|乡|街道|街)|(街道|镇|乡)(党工委|党委)"),
}
# A department speaking for itself: 我局, 本厅, or 局党组 opening a clause
# (县司法局主要负责人 in a county report is somebody else's bureau).
_SELF_DEPARTMENT = re.compile(r"(我|本)(局|厅|委|办)(?!公)|" + _CLAUSE_START + r"(局|厅)(党组|党委|机关|领导班子|主要负责|班子)|全厅")
_AUTONOMOUS_REGION = re.compile(r"自治区(党委|政府|人民政府|主席)")
_DISTRICT_ORGANS = re.compile(r"(?<!自治)区(委|政府|人民政府)")
_SUBJECT_WINDOW = 2000
_ORG_AFTER_NAME = re.compile(r"^[\u4e00-\u9fff]{0,8}?(人民政府办公室|政府办公室|人民政府|政府|党委|县委|市委|区委|党工委|办事处|"
                             r"司法局|司法厅|[\u4e00-\u9fff]{1,6}?(局|厅|委员会))")


@dataclass
class Author:
    """What the body says about who wrote it."""
    kind: str | None = None       # government / department
    level: int | None = None      # 1 province .. 4 township (the jurisdiction)


def author_from_body(norm_body: str) -> Author:
    window = norm_body[:_SUBJECT_WINDOW]
    scores = {}
    for level, pattern in _SELF_LEVEL_CUES.items():
        scores[level] = sum(3 if match.group().startswith(("我", "本")) else 1 for match in pattern.finditer(window))
    # 我区 / 全区 in an autonomous region's own report (广西, 宁夏) is the region.
    if scores[3] and _AUTONOMOUS_REGION.search(window) and not _DISTRICT_ORGANS.search(window):
        scores[1] += scores[3]
        scores[3] = 0
    level = max(scores, key=lambda k: (scores[k], k)) if any(scores.values()) else None
    department = _SELF_DEPARTMENT.search(window)
    if department and "厅" in department.group():
        level = 1  # a 厅 is always provincial
    return Author(kind="department" if department else ("government" if level else None), level=level)


@dataclass
class Subject:
    """The author as the body names it: a place, and the organisation after it (人民政府, 司法局)."""
    mention: Mention
    organisation: str | None


def find_subject(gaz: Gazetteer, norm_body: str, author: Author,
                 mentions: list[Mention] | None = None) -> Subject | None:
    """The author as the body's opening names it (``2023年,岳池县坚持…``).

    Only a place at the author's own level counts, and only if it is named in the first sentence, named twice, or named
    as an organisation (岳阳县人民政府). A department with no level cue is found by its name (江门市交通运输局).
    """
    window = norm_body[:_SUBJECT_WINDOW]
    level = author.level
    first_sentence_end = window.find("。") if "。" in window else 150
    second_sentence_end = window.find("。", first_sentence_end + 1) if "。" in window else 150
    if second_sentence_end < 0:
        second_sentence_end = len(window)
    if mentions is None:
        mentions = gaz.mentions(window, running_text=True)
    for mention in mentions:
        if mention.start >= len(window):
            break
        after = window[mention.start + len(mention.name):]
        organisation = _ORG_AFTER_NAME.match(after)
        levels = {d.level for d in mention.divisions}
        if level is None:
            # With no 我县/我市 to go by, only a name that opens a clause as its
            # subject counts (2019年,汉源县…), never one inside a document's title.
            before = window[:mention.start]
            in_book_title = before.count("《") > before.count("》")
            opens_clause = not before or before[-1] in ",。、;:\n年"
            early = mention.start <= second_sentence_end or window.count(mention.name) >= 2
            fits = (not in_book_title and opens_clause and early) or (
                author.kind == "department" and organisation and body_kind(organisation.group()) == "department")
        else:
            fits = level in levels or (level == 2 and 3 in levels and mention.name.endswith("市"))
            fits = fits and (mention.start <= first_sentence_end or window.count(mention.name) >= 2
                             or organisation is not None)
        if not fits:
            continue
        wanted = [d for d in mention.divisions if level is None or d.level == level
                  or (level == 2 and d.level == 3)]
        named = Mention(mention.start, mention.name, tuple(wanted or mention.divisions))
        in_opening = mention.start <= first_sentence_end
        return Subject(named, mention.name + organisation.group() if organisation and in_opening else None)
    return None


def upper_bound(gaz: Gazetteer, superiors: list[str], level: int | None) -> Locality:
    """The places above the author that an addressee or site label names (渠县 for its 乡)."""
    found = {}
    for text in superiors:
        for mention in gaz.mentions(text):
            for div in mention.divisions:
                found[div.code] = div
    divisions = list(found.values())
    if not divisions:
        return Locality()
    deepest = max(divisions, key=lambda d: d.level)
    chain = {d.code for d in [deepest] + gaz.ancestors(deepest)}
    if any(d.code not in chain for d in divisions) or (level is not None and deepest.level >= level):
        return Locality()
    return _bound(gaz, deepest, level)


def _bound(gaz: Gazetteer, div: Division, level: int | None) -> Locality:
    """The places at and above ``div``, where an author of ``level`` sits: no division code is the author's."""
    return replace(gaz.locality_of(div), division_code=None, level=LEVEL_NAMES.get(level) if level else None)


_CITED_WINDOW = 600
_CITED_DOCUMENT = re.compile(r"《([^》]{2,60})》")


def cited_upper_bound(gaz: Gazetteer, norm_opening: str, level: int | None) -> Locality:
    """Where the author sits, from the documents its opening cites by name: a 南京街 that carries
    out 《天津市…方案》 and 《和平区…要点》 is in 天津市和平区 (not in 南京市).

    Only full names at the start of a cited title count (天津市…, 和平区…), and at least two of
    them must form one chain of divisions (a same-named district is the one inside the other name); anything else, or
    one name alone, says nothing. No division code: the author may be the deepest of them or below it.
    """
    options: dict[str, list[Division]] = {}
    for match in _CITED_DOCUMENT.finditer(norm_opening):
        at = 0
        for mention in gaz.mentions(match.group(1)):   # the names the cited title opens with
            if mention.start != at or mention.name not in gaz.by_name:
                break
            options[mention.name] = [d for d in mention.divisions if d.level <= 3]
            at += len(mention.name)
    if len(options) < 2 or any(not divs for divs in options.values()):
        return Locality()
    deepest_level = max(d.level for divs in options.values() for d in divs)
    fits = []
    for div in (d for divs in options.values() for d in divs if d.level == deepest_level):
        chain = {div.code} | {a.code for a in gaz.ancestors(div)}
        if all(any(d.code in chain for d in divs) for divs in options.values()):
            fits.append(div)
    if len({d.code for d in fits}) != 1 or (level is not None and fits[0].level > level):
        return Locality()
    return _bound(gaz, fits[0], level)


NATIONAL = "national"   # the level of the State Council's ministries, commissions and administrations
_CENTRAL_BODY = re.compile(r"^(?:中华人民共和国)?(?:国务院[\u4e00-\u9fff]{0,14}|国家[\u4e00-\u9fff]{2,14}(?:局|委员会|署)"
                           r"|[\u4e00-\u9fff]{1,8}部|海关总署|审计署|中国人民银行|[\u4e00-\u9fff]{2,10}总局)$")


def is_central_body(gaz: Gazetteer, organisation: str | None) -> bool:
    """司法部, 国家市场监督管理总局, 国务院办公厅: a central body (its name holds no place)."""
    if not organisation:
        return False
    norm = normalized(organisation).strip()
    return bool(_CENTRAL_BODY.match(norm)) and not gaz.mentions(norm)


_OWN_PROVINCE_CUE = re.compile(r"省委|省政府|全省|我省|本省")


def own_province_bound(gaz: Gazetteer, norm_opening: str, level: int | None) -> Locality:
    """A page that speaks of 省委、省政府 (its own province) and names exactly one province in full
    (…落实辽宁省法治政府建设十项重点任务) is in that province. Only the province: nothing below it."""
    if level == 1 or not _OWN_PROVINCE_CUE.search(norm_opening):
        return Locality()
    provinces = {d.code for m in gaz.mentions(norm_opening, running_text=True) if m.name in gaz.by_name
                 for d in m.divisions if d.level == 1}
    if len(provinces) != 1:
        return Locality()
    return _bound(gaz, gaz.by_code[provinces.pop()], level)


def with_host_evidence(gaz: Gazetteer, text: Locality, hosts: list[Division], author_level: int | None,
                       resolve_with: Callable[[list[str]], Locality]) -> Locality:
    """The URL host as weak evidence: it fills what the text leaves open and never overrides it.

    * The text pins a division: the host changes nothing.
    * The text names a place several divisions share: the host may choose among them (``resolve_with`` resolves again
      with the host's divisions as superiors), and only a choice among the text's own candidates is taken.
    * The text names no place of its own: the host's division fills it when it is one chain (zuogong.changdu: 左贡县 in
      昌都市), agrees with what the text does say (a province an addressee names), and is not below the author's level
      (我市 on changzhi.gov.cn is 长治市, not 尚志市). The division code is the author's only when the levels agree.
    """
    if not hosts or text.division_code:
        return text
    if text.candidates:
        again = resolve_with([gaz.path(d) for d in hosts])
        chosen = again.division_code and gaz.path(gaz.by_code[again.division_code]) in text.candidates
        return again if chosen else text
    usable = [d for d in hosts if author_level is None or d.level <= author_level]
    usable = [d for d in usable if _agrees(gaz.locality_of(d), text)]
    if not usable:
        return text
    deepest = [d for d in usable if d.level == max(u.level for u in usable)]
    if len(deepest) != 1:
        return text
    div = deepest[0]
    chain = {div.code} | {a.code for a in gaz.ancestors(div)}
    if any(d.code not in chain for d in usable):
        return text
    filled = gaz.locality_of(div)
    if author_level is None:
        return replace(filled, division_code=None, level=text.level)
    if author_level > div.level:   # a township's report on its county's site
        return replace(filled, division_code=None, level=LEVEL_NAMES[author_level])
    return filled


def _agrees(host: Locality, text: Locality) -> bool:
    return all(getattr(text, key) in (None, getattr(host, key)) for key in PLACE_FIELDS)


# --- genre and year -----------------------------------------------------------

_OTHER_TITLE = re.compile(r"(实施方案|工作要点|实施纲要|通知|年鉴|规划|意见|政府信息公开(工作)?(年度)?报告|政府工作报告|工作安排|方案)$"
                          r"|政府信息公开(工作)?(年度)?报告|政府工作报告")
_REPORT_TITLE = re.compile(r"(报告|总结|情况|年报|打算)$")
_OTHER_BODY = re.compile(r"制定本(实施)?方案|现印发给你们|现予印发|现将.{0,30}印发|(社|网|台|报).{0,12}\d{1,2}月\d{1,2}日电"
                         r"|\(记者|^\d{4}卷$|^【[^】]{2,30}】", re.M)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}\s*[-—–~至到]+\s*(?:19|20)\d{2}\s*年")
_BOOK_TITLE = re.compile(r"《[^》]*》")
_REPORTING_PHRASE = re.compile(r"现将.{0,20}?((?:19|20)\d{2})\s*年")


def genre_of(title: str | None, norm_opening: str) -> str:
    if title:
        norm = _TRAILING_PERIOD.sub("", normalized(title))
        if _OTHER_TITLE.search(norm):
            return "other"
        if _REPORT_TITLE.search(norm):
            return "report"
    return "other" if _OTHER_BODY.search(norm_opening[:600]) else "report"


def _years(text: str) -> list[int]:
    text = _YEAR_RANGE.sub(lambda m: " " * len(m.group()), text)
    text = _BOOK_TITLE.sub(lambda m: " " * len(m.group()), text)
    return [int(m.group(1)) for m in _YEAR.finditer(text)]


def report_year_from(title: str | None, norm_body: str, publish_date: str | None) -> int | None:
    """The year reported on: the title's, else the body's opening (现将2022年…情况报告如下)."""
    latest = int(publish_date[:4]) if publish_date else dt.date.today().year
    candidates: list[int] = []
    if title:
        candidates += _years(normalized(title))[:1]
    opening = norm_body[:600]
    if match := _REPORTING_PHRASE.search(opening):
        candidates.append(int(match.group(1)))
    if match := re.match(r"^\s*((?:19|20)\d{2})\s*年", opening):
        candidates.append(int(match.group(1)))
    candidates += _years(opening)[:1]
    for year in candidates:
        if 1990 <= year <= latest:
            return year
    return None


# --- sections -----------------------------------------------------------------

_KIND_RULES = (
    ("leadership", re.compile(r"第一责任人|主要负责人履行")),
    ("problems", re.compile(r"问题|不足|困难|挑战|短板|差距")),
    ("plans", re.compile(r"下一步|工作安排|工作打算|打算|工作计划|工作思路|工作重点|努力方向|展望|工作谋划")),
    ("achievements", re.compile(r"做法|成效|情况|工作开展|工作总结|主要工作|举措|成绩|进展")),
)
_SECTION_HEADING = re.compile(r"^([一二三四五六七八九十]{1,3}\s*[、.]|、)\s*(.*)$")
_SUB_HEADING = re.compile(r"^\(\s*([一二三四五六七八九十]{1,3})\s*\)")
_LOST_BRACKET = re.compile(r"^\)(?=\S)")
# A problems section without a heading (seed 003) starts with sentences like this.
_UNHEADED_PROBLEMS = re.compile(r"^.{0,40}(存在的问题|存在问题|困难和挑战|问题和不足|不足之处|短板和不足)[:,]")
_STANDALONE_HEADING = re.compile(r"(工作安排|下一步|存在的问题|存在问题|工作打算|主要做法|工作总结|工作计划)")
_CN_DIGITS = "一二三四五六七八九十"
_TERMINAL = tuple("。!?;:…”’」)】]")


def section_kind(heading: str | None, previous: str | None) -> str:
    if heading:
        for kind, pattern in _KIND_RULES:
            if pattern.search(normalized(heading)):
                return kind
    # A numbered theme heading ("强化执法监督") reports work done, unless it
    # follows the problems, where it lays out what comes next.
    return "plans" if previous in ("problems", "plans") else "achievements"


def _chinese_number(n: int) -> str:
    if n <= 10:
        return _CN_DIGITS[n - 1]
    if n < 20:
        return "十" + _CN_DIGITS[n - 11]
    tens, ones = divmod(n, 10)
    return _CN_DIGITS[tens - 1] + "十" + (_CN_DIGITS[ones - 1] if ones else "")


def _is_standalone_heading(norm: str) -> bool:
    return len(norm) <= 30 and not re.search(r"[。;,:]", norm) and bool(_STANDALONE_HEADING.search(norm))


def join_broken_lines(lines: list[str]) -> list[str]:
    """Join lines a hard line break cut inside a sentence (力求\\n高质量, 《…条例\\n》)."""
    width = wrap_width([normalized(line) for line in lines])
    out: list[str] = []
    last = ""  # the last physical line: the wrap width is measured on it, not on what was joined
    for line in lines:
        norm = normalized(line)
        if out and (_continues(normalized(out[-1]), norm) or _cut_at_width(last, norm, width)):
            out[-1] += line
        else:
            out.append(line)
        last = norm
    return out


def wrap_width(norms: list[str]) -> int | None:
    """The width a hard-wrapped page (plain text, PDF) was cut at, or None when it was not.

    Lines cut inside a sentence share one length on such a page, give or take a few half-width
    digits; on an HTML page the few lines a <br> cuts have no common length, and a long numbered
    heading there must not be taken for a cut line.
    """
    cut = sorted(len(a) for a, b in zip(norms, norms[1:]) if _continues(a, b))
    if len(cut) < 3:
        return None
    median = cut[len(cut) // 2]
    near = [n for n in cut if abs(n - median) <= max(2, median // 10)]
    return min(near) if 3 * len(near) >= 2 * len(cut) else None


def _cut_at_width(last: str, line: str, width: int | None) -> bool:
    """``last`` runs to the page's wrap width without ending a sentence: the wrap, not the author, broke it."""
    return (width is not None and len(last) >= width and not last.endswith(_TERMINAL)
            and not _HEADING_START.match(line) and not _is_standalone_heading(line))


def _continues(previous: str, line: str) -> bool:
    if _HEADING_START.match(line) or _is_standalone_heading(line):
        return False
    if previous.count("《") > previous.count("》") or previous.count("(") > previous.count(")"):
        return True
    if line[:1] in "》),,。;:":
        return True
    # A sentence-like line (long, or with a comma) that stops without closing punctuation.
    sentence_like = len(previous) >= 40 or (len(previous) >= 15 and "," in previous)
    if not sentence_like or previous.endswith(_TERMINAL):
        return False
    # A numbered line that stops so is a heading (（一）坚持党的领导,统筹推进…), unless a sentence already
    # ended in it: then body text runs in after its heading (（一）加强领导。乡党委…全年组织法治).
    return not _HEADING_START.match(previous) or bool(_SENTENCE_PUNCT.search(previous))


def split_heading(line: str) -> tuple[str, str]:
    """A numbered heading apart from body text run into it (``一、强化领导。坚持…``)."""
    norm = normalized(line)
    for mark in ("。", ":"):
        cut = norm.find(mark)
        if 0 < cut < 60 and cut < len(norm) - 1:
            return line[:cut + (1 if mark == "。" else 0)], line[cut + 1:].strip()
    return line, ""


def split_sections(lines: list[str]) -> list[tuple[str | None, str, list[str]]]:
    """(heading, kind, paragraph texts) in document order."""
    sections: list[tuple[str | None, str, list[str]]] = [(None, "other", [])]
    last_sub = 0
    pending_sub: str | None = None

    def start(heading: str | None, kind: str) -> None:
        nonlocal last_sub
        sections.append((heading, kind, []))
        last_sub = 0

    for line in lines:
        norm = normalized(line)
        if _SECTION_HEADING.match(norm) or _is_standalone_heading(norm):
            text, rest = split_heading(line) if _SECTION_HEADING.match(norm) else (line, "")
            if text.startswith("、"):
                number = sum(1 for h, _, _ in sections if h) + 1
                text = _chinese_number(number) + text  # the numeral was lost (d044)
            previous = next((k for _, k, _ in reversed(sections) if k != "other"), None)
            if pending_sub:
                sections[-1][2].append(pending_sub)
                pending_sub = None
            start(text.rstrip("。:"), section_kind(text, previous))
            if rest:
                sections[-1][2].append(rest)
            continue
        if _LOST_BRACKET.match(norm):
            last_sub += 1
            opening = "（" if line[0] == "）" else "("  # the bracket style the page uses
            line = f"{opening}{_chinese_number(last_sub)}" + line[0] + line[1:]
            norm = normalized(line)
        elif sub := _SUB_HEADING.match(norm):
            numeral = sub.group(1)
            last_sub = _CN_DIGITS.find(numeral[-1]) + 1 if len(numeral) == 1 else last_sub + 1
        if _UNHEADED_PROBLEMS.match(norm) and sections[-1][1] != "problems":
            start(None, "problems")
        if _SUB_HEADING.match(norm) and len(norm) <= 40 and not re.search(r"[。;]", norm):
            pending_sub = line if pending_sub is None else pending_sub + "\n" + line
            continue
        if pending_sub:
            line = pending_sub + "\n" + line
            pending_sub = None
        sections[-1][2].append(line)
    if pending_sub:
        sections[-1][2].append(pending_sub)
    split_off_closing(sections)
    return [s for s in sections if s[2] or s[0]]


def split_off_closing(sections: list[tuple[str | None, str, list[str]]]) -> None:
    """A closing paragraph after the last numbered item is not part of that item's section.

    Seed 004 ends section 七's (一)(二)(三) with "2021年,街道法治建设取得阶段性成效…":
    it closes the report, so it goes to a section of kind ``other``.
    """
    if len(sections) < 2 or len(sections[-1][2]) < 3:
        return
    *items, last = sections[-1][2]
    if all(_HEADING_START.match(normalized(p)) for p in items) and not _HEADING_START.match(normalized(last)):
        sections[-1] = (sections[-1][0], sections[-1][1], items)
        sections.append((None, "other", [last]))


# --- ids ----------------------------------------------------------------------

def _digest(text: str, size: int) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:size]


def _id_text(text: str) -> str:
    return re.sub(r"\s+", "", normalized(text))


def make_doc_id(title: str | None, publish_date: str | None, first_paragraphs: list[str],
                reporter: str | None = None, report_year: int | None = None) -> str:
    """Identifies the report, not the file: moving or renaming it keeps the id.

    Built from who reported and where (``reporter``: division code or place, and the body's own name), the title and the
    year reported on (the publication date when the year is unknown); a page with no title falls back to its opening
    text. Two bodies' same-titled reports of one day thus never share an id, and a re-scraped page of the same body,
    year and title keeps its id when its text changes.
    """
    who = "who:" + _id_text(reporter or "") + "|"
    if title:
        when = str(report_year) if report_year is not None else (publish_date or "")
        key = who + "title:" + _id_text(title) + "|" + when
    else:
        key = who + "text:" + _id_text("".join(first_paragraphs))[:300]
    return _digest(key, 12)


def text_digest(sections: list[Section]) -> str:
    """Digest of a report's whole body text, normalized: two files with the same digest are one report."""
    return _digest("".join(_id_text(p.text) for s in sections for p in s.paragraphs), 16)


def place_of(located) -> str:
    """The place a locality, a report or an indexed paragraph's stored fields name: the division code, else the place
    names joined; "" when none."""
    get = located.get if isinstance(located, dict) else lambda key: getattr(located, key)
    return get("division_code") or "/".join(p for key in PLACE_FIELDS if (p := get(key)))


def reporter_of(locality: Locality, publisher: str | None, header: dict[str, str]) -> str | None:
    """Who reported and where, from the page's own words (never from a URL): the resolved division (or its candidates
    when ambiguous), and the body's name (publisher, else the header's 来源/发布机构 organisation)."""
    where = place_of(locality)
    if not where and locality.candidates:
        where = ",".join(sorted(locality.candidates))
    name = publisher or next((_place_part(header.get(label)) for label in PUBLISHER_LABELS + SOURCE_LABELS
                              if _place_part(header.get(label))), "")
    who = "|".join(part for part in (where, normalized(name) if name else "") if part)
    return who or None


def distinct_doc_id(doc_id: str, digest: str) -> str:
    """The id of a report that shares body, title and year with another but not its text."""
    return _digest(f"{doc_id}|{digest}", 12)


def reidentify(report: Report, doc_id: str) -> None:
    """Give ``report`` another id (and its paragraphs pids under it)."""
    report.doc_id = doc_id
    assign_pids(doc_id, report.sections)


def assign_pids(doc_id: str, sections: list[Section]) -> None:
    """pid = doc_id + digest of the paragraph's text (and its repeat count): depending only on the paragraph's own
    text keeps a pid when anything else in the report changes."""
    seen: dict[str, int] = {}
    for section in sections:
        for para in section.paragraphs:
            key = _id_text(para.text)
            seen[key] = seen.get(key, 0) + 1
            suffix = "" if seen[key] == 1 else f"#{seen[key]}"
            para.pid = f"{doc_id}-{_digest(key + suffix, 8)}"


# --- the parser ---------------------------------------------------------------

_HEADER_LINES = 40


def parse_file(path: Path | str) -> Report:
    """Read and parse one report file. Raises :class:`searchlib.ingest.source.SourceError`."""
    return parse_text(read_text(path), source=str(path))


def parse_item(item: Item) -> Report:
    """Read and parse one input (a file or a WARC record), with its URL and capture date."""
    return parse_text(read_item(item), source=item.label, url=item.url, fetched_at=item.fetched_at)


def _place_part(value: str | None) -> str:
    """A header value as locality evidence: only its leading run of CJK (no 本网, no URLs)."""
    if not value:
        return ""
    match = re.match(r"[\u4e00-\u9fff()]+", value)
    return match.group() if match else ""


def parse_text(text: str, source: str = "<text>", url: str | None = None, fetched_at: str | None = None) -> Report:
    text = strip_controls(text)  # the header is read from the raw lines, before clean_lines would strip them
    raw_norm = [normalize(line) for line in text.splitlines()[:_HEADER_LINES * 3] if line.strip()]
    header = read_header(raw_norm[:_HEADER_LINES])
    lines = clean_lines(text)
    norms = [normalized(line) for line in lines]

    # Title, then what sits between it and the body (repeats, addressee).
    title, _, end = find_title(lines, norms)
    if title is None and header.get("标题"):
        title = header["标题"]
    if title is None and lines and (split := split_run_in_title(lines[0])):
        title, rest = split
        lines, end = [title, rest] + lines[1:], 1
    title_date = None
    if title:
        lines = lines[end:] if end else lines
        title, title_date = tidy_title(title)
    title_norm = normalized(title) if title else ""
    addressees: list[str] = []
    body_lines: list[str] = []
    for index, line in enumerate(lines):
        norm = normalized(line)
        if index < 8 and not body_lines and title_norm and len(norm) >= 4 and norm in title_norm:
            continue  # the title again, whole or in pieces
        if index < 12 and len(body_lines) <= 1 and is_addressee(norm):
            addressees.append(line)
            continue
        body_lines.append(line)
    body_lines, signature = split_signature(body_lines)
    body_lines = join_broken_lines(body_lines)

    publish_date = next((d for label in PUBLICATION_DATE_LABELS if (d := parse_date(header.get(label)))), None)
    publish_date = publish_date or parse_date(title_date)
    publish_date = publish_date or next((d for label in DRAFTING_DATE_LABELS if (d := parse_date(header.get(label)))), None)
    publish_date = publish_date or next((d for s in signature if (d := parse_date(normalized(s)))), None)

    signature_org = next((s for s in signature if not _SIGNATURE_DATE.match(normalized(s))), None)
    title_org = organisation_in_title(title)
    header_org = next((header[label] for label in PUBLISHER_LABELS if header.get(label)), None)
    publisher = title_org or signature_org or header_org

    raw_sections = split_sections(body_lines)
    sections = [Section(heading, kind, [Paragraph("", p) for p in paras]) for heading, kind, paras in raw_sections]
    norm_body = normalize("\n".join(p.text for s in sections for p in s.paragraphs))  # once per page: not cached

    gaz = gazetteer()
    author = author_from_body(norm_body)
    codes = division_codes_in(header.get("索引号"))
    primary = [title_norm, normalized(title_org or ""), normalized(signature_org or ""), _place_part(header_org)]
    primary += [_place_part(header.get(label)) for label in SOURCE_LABELS]
    superiors = [normalized(a) for a in addressees] + [_place_part(header.get("中文域名"))]
    level = author.level
    body_mentions = gaz.mentions(norm_body[:_SUBJECT_WINDOW], running_text=True)
    subject = find_subject(gaz, norm_body, author, body_mentions)
    kind = body_kind(publisher) or body_kind(subject and subject.organisation) or author.kind
    locality = gaz.resolve(primary, codes=codes, superiors=superiors, subject=subject and subject.mention,
                           context_mentions=body_mentions)
    if locality.level is None:
        locality = upper_bound(gaz, superiors, level)
    if locality.level is None and locality.province is None:
        locality = cited_upper_bound(gaz, norm_body[:_CITED_WINDOW], level)
    if locality.level is None and locality.province is None:
        locality = own_province_bound(gaz, norm_body[:_CITED_WINDOW], level)
    text_locality = locality   # who reported, in the page's own words: the report's identity
    if url:
        locality = with_host_evidence(gaz, locality, host_divisions(url), level, lambda hosts: gaz.resolve(
            primary, codes=codes, superiors=superiors + hosts, subject=subject and subject.mention,
            context_mentions=body_mentions))
    if locality.level is None and level is not None:
        locality = replace(locality, level=LEVEL_NAMES[level])
    if locality.province is None and locality.level is None and is_central_body(gaz, publisher or header_org):
        locality = replace(locality, level=NATIONAL)   # a ministry: a department with national scope
        kind = "department"
    if kind is None and locality.level is not None:
        kind = "government"

    if publisher is not None and publisher == title_org:
        publisher = government_of_place(gaz, publisher)

    first = [p.text for s in sections for p in s.paragraphs][:3]
    genre = genre_of(title, norm_body)
    report_year = report_year_from(title, norm_body, publish_date)
    if genre == "other" and not (title and normalized(title).endswith("报告")):
        report_year = None  # a plan or notice has no year reported on
    reporter = reporter_of(text_locality, publisher, header)
    doc_id = make_doc_id(title, publish_date, first, reporter=reporter, report_year=report_year)
    assign_pids(doc_id, sections)
    return Report(
        source=source,
        doc_id=doc_id,
        title=title,
        publisher=publisher,
        report_year=report_year,
        publish_date=publish_date,
        **{key: getattr(locality, key) for key in PLACE_FIELDS + ("division_code", "level")},
        body=kind,
        genre=genre,
        locality_candidates=locality.candidates,
        reporter=reporter,
        url=url,
        fetched_at=fetched_at,
        sources=[{"path": source, "url": url, "fetched_at": fetched_at}],
        text_digest=text_digest(sections),
        sections=sections,
    )
