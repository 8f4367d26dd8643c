"""Clean text -> a report: metadata, sections and paragraphs with permanent ids.

The JSON shape of :meth:`Report.to_dict` is the contract of ``searchlib parse``.
Unknown values are ``None``; nothing here guesses.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from searchlib.analysis import normalize
from searchlib.clean import clean_lines, tidy
from searchlib.places import gazetteer
from searchlib.source import read_text

SECTION_KINDS = ("achievements", "problems", "plans", "leadership", "other")


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

_LABEL = r"(?:[•·\-\[【\s]*)"
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_DATE_LABELS = ("发布日期", "发布时间", "发文日期", "发文时间", "公开日期", "日期", "时间", "成文时间", "成文日期")
_HEADER_FIELD = re.compile(
    _LABEL + r"(索\s*引\s*号|发布机构|发布单位|信息来源|文章来源|来源|标\s*题|"
    + "|".join(_DATE_LABELS) + r")\s*[\]】]?\s*[:：]\s*(.*?)(?=\s{2,}|\s*(?:责任编辑|文章来源|信息来源|来源|发布日期|发布时间|点击|阅读次数|编辑|字体|字号)[:：]|$)"
)
_INDEX_CODE = re.compile(r"^(\d{6})(?=\D|$)")


def read_header(lines: list[str]) -> dict[str, str]:
    """Label -> value pairs from the page's header area (索引号, 发布日期, 来源 ...)."""
    found: dict[str, str] = {}
    for line in lines:
        if line.startswith("今天是"):
            continue  # a site clock, not the document's date
        for match in _HEADER_FIELD.finditer(line):
            label = re.sub(r"\s+", "", match.group(1))
            value = match.group(2).strip()
            if value and label not in found:
                found[label] = value
    return found


def parse_date(value: str, today: dt.date | None = None) -> str | None:
    match = re.search(_DATE, value or "")
    if not match:
        return None
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if date > (today or dt.date.today()) or date.year < 1990:
        return None
    return date.isoformat()


# --- titles, years, bodies ---------------------------------------------------

_TITLE_WORDS = re.compile(r"(报告|总结|情况|年报)")
_SECTION_HEADING = re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.．]\s*(.*)$")
_SUB_HEADING = re.compile(r"^[(（]([一二三四五六七八九十]{1,3})[)）]")
_LOST_BRACKET = re.compile(r"^[)）](?=\S)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_DEPARTMENT = re.compile(r"(局|厅|委员会|办公室|司法所|中心|委办|办)$")
_GOVERNMENT = re.compile(r"(人民政府|政府|街道办事处|办事处|党委|党工委)")
_OTHER_GENRE = re.compile(r"(实施方案|工作要点|实施纲要|通知|年鉴|政府信息公开工作年度报告|政府工作报告)")
_SIGNATURE_DATE = re.compile(r"^(?:\d{4}|[〇一二三四五六七八九零]{4})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日$")


def detect_title(lines: list[str]) -> int | None:
    """Index of the title line among the first lines, if there is one."""
    for i, line in enumerate(lines[:8]):
        if _SECTION_HEADING.match(line) or line.endswith(("。", ":", "：")):
            continue
        if len(line) <= 80 and _TITLE_WORDS.search(line) and "法治" in line:
            return i
    return None


def report_year_from(title: str | None, preamble: str) -> int | None:
    for text in (title or "", preamble[:300]):
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


def organisation_in_title(title: str | None) -> str | None:
    if title and "关于" in title:
        head = title.split("关于", 1)[0].strip()
        return head or None
    return None


def body_kind(publisher: str | None) -> str | None:
    if not publisher:
        return None
    if _GOVERNMENT.search(publisher):
        return "government"
    if _DEPARTMENT.search(publisher):
        return "department"
    return None


def genre_of(title: str | None) -> str:
    if title and _OTHER_GENRE.search(title) and not re.search(r"法治政府建设.*(报告|总结)", title):
        return "other"
    return "report"


# --- sections -----------------------------------------------------------------

_KIND_RULES = (
    ("leadership", re.compile(r"第一责任人|主要负责人履行")),
    ("problems", re.compile(r"问题|不足|困难|挑战|短板|差距")),
    ("plans", re.compile(r"下一步|工作安排|工作打算|打算|工作计划|工作思路|工作重点|努力方向|展望")),
    ("achievements", re.compile(r"做法|成效|情况|工作开展|工作总结|主要工作|举措|成绩|进展")),
)
# A problems section without a heading (seed 003) starts with sentences like this.
_UNHEADED_PROBLEMS = re.compile(r"^.{0,40}(存在的问题|存在问题|困难和挑战|问题和不足|不足之处|短板和不足)[:：,，]")
_CN_DIGITS = "一二三四五六七八九十"


def section_kind(heading: str | None, previous: str | None) -> str:
    if heading:
        for kind, pattern in _KIND_RULES:
            if pattern.search(heading):
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


def _is_standalone_heading(line: str) -> bool:
    return len(line) <= 30 and not re.search(r"[。；;,，:：]", line) and bool(
        re.search(r"(工作安排|下一步|存在的问题|存在问题|工作打算|主要做法|工作总结|工作计划)", line))


def split_sections(lines: list[str]) -> list[tuple[str | None, str | None, list[str]]]:
    """(heading, kind, paragraph texts) in document order."""
    sections: list[tuple[str | None, str | None, list[str]]] = [(None, "other", [])]
    last_sub = 0
    pending_sub: str | None = None

    def start(heading: str | None, kind: str) -> None:
        nonlocal last_sub
        sections.append((heading, kind, []))
        last_sub = 0

    for line in lines:
        heading_match = _SECTION_HEADING.match(line)
        if heading_match or _is_standalone_heading(line):
            text = line
            rest = ""
            if heading_match and "。" in line[:80] and not line.endswith("。"):
                cut = line.index("。") + 1
                text, rest = line[:cut], line[cut:]
            elif heading_match and len(line) > 60:
                text, rest = line[:line.index("。") + 1] if "。" in line else line, ""
                rest = line[len(text):]
            previous = next((k for _, k, _ in reversed(sections) if k != "other"), None)
            start(text.rstrip("。"), section_kind(text, previous))
            if rest.strip():
                sections[-1][2].append(rest.strip())
            continue
        if _LOST_BRACKET.match(line):
            last_sub += 1
            line = f"({_chinese_number(last_sub)})" + line[1:]
        elif (sub := _SUB_HEADING.match(line)):
            last_sub = _CN_DIGITS.find(sub.group(1)[-1]) + 1 if len(sub.group(1)) == 1 else last_sub + 1
        if _UNHEADED_PROBLEMS.match(line) and sections[-1][1] != "problems":
            start(None, "problems")
        if _SUB_HEADING.match(line) and len(line) <= 40 and not re.search(r"[。；;]", line):
            pending_sub = line if pending_sub is None else pending_sub + "\n" + line
            continue
        if pending_sub:
            line = pending_sub + "\n" + line
            pending_sub = None
        sections[-1][2].append(line)
    if pending_sub:
        sections[-1][2].append(pending_sub)
    return [s for s in sections if s[2] or s[0]]


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Trailing signature block (issuing body, date) apart from the body."""
    cut = len(lines)
    while cut > 0 and len(lines[cut - 1]) <= 30 and not re.search(r"[。；;,，:：]", lines[cut - 1]) and (
            _SIGNATURE_DATE.match(lines[cut - 1]) or _GOVERNMENT.search(lines[cut - 1])
            or _DEPARTMENT.search(lines[cut - 1])):
        cut -= 1
    return lines[:cut], lines[cut:]


# --- ids ----------------------------------------------------------------------

def _digest(text: str, size: int) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:size]


def make_doc_id(title: str | None, publish_date: str | None, first_paragraphs: list[str]) -> str:
    """Identifies the report, not the file: moving or renaming it keeps the id.

    Built from the title and publication date; a page with no title falls back
    to its opening text.
    """
    if title:
        key = "title:" + normalize(re.sub(r"\s+", "", title)) + "|" + (publish_date or "")
    else:
        key = "text:" + normalize("".join(first_paragraphs))[:300]
    return _digest(key, 12)


def assign_pids(doc_id: str, sections: list[Section]) -> None:
    """pid = doc_id + digest of the paragraph's text (and its repeat count)."""
    seen: dict[str, int] = {}
    for section in sections:
        for para in section.paragraphs:
            key = normalize(para.text)
            seen[key] = seen.get(key, 0) + 1
            suffix = "" if seen[key] == 1 else f"#{seen[key]}"
            para.pid = f"{doc_id}-{_digest(key + suffix, 8)}"


# --- the parser ---------------------------------------------------------------

def parse_file(path: Path | str) -> Report:
    """Read and parse one report file. Raises :class:`searchlib.source.SourceError`."""
    return parse_text(read_text(path), source=str(path))


def parse_text(text: str, source: str = "<text>") -> Report:
    raw_lines = [tidy(line) for line in text.splitlines() if line.strip()]
    header = read_header(raw_lines[:40])
    lines = clean_lines(text)

    title = header.get("标题")
    title_index = detect_title(lines)
    if title_index is not None:
        title = title or lines[title_index]
        lines = lines[title_index + 1:]
    lines = [l for l in lines if l != title]
    lines, signature = _split_signature(lines)

    publish_date = None
    for label in _DATE_LABELS:
        if label in header:
            publish_date = parse_date(header[label])
            if publish_date:
                break
    if publish_date is None:
        publish_date = next((parse_date(s) for s in signature if parse_date(s)), None)

    signature_org = next((s for s in signature if not _SIGNATURE_DATE.match(s)), None)
    publisher = signature_org or organisation_in_title(title) or header.get("发布机构") or header.get("发布单位")

    raw_sections = split_sections(lines)
    sections = [Section(heading, kind or "other", [Paragraph("", p) for p in paras])
                for heading, kind, paras in raw_sections]
    preamble = " ".join(p.text for p in sections[0].paragraphs) if sections else ""
    body_text = "\n".join(p.text for s in sections for p in s.paragraphs)

    codes = []
    if (index_no := header.get("索引号")) and (m := _INDEX_CODE.match(index_no)):
        codes.append(m.group(1))
    primary = [title or "", publisher or "", header.get("发布机构", ""), header.get("来源", ""),
               header.get("信息来源", "")]
    locality = gazetteer().resolve(primary, context=body_text, codes=codes)

    first = [p.text for s in sections for p in s.paragraphs][:3]
    doc_id = make_doc_id(title, publish_date, first)
    assign_pids(doc_id, sections)
    body = body_kind(publisher) or body_kind(title and organisation_in_title(title))
    if body is None and locality.level:
        body = "government"
    return Report(
        source=source,
        doc_id=doc_id,
        title=title,
        publisher=publisher,
        report_year=report_year_from(title, preamble),
        publish_date=publish_date,
        province=locality.province,
        city=locality.city,
        county=locality.county,
        township=locality.township,
        division_code=locality.division_code,
        level=locality.level,
        body=body,
        genre=genre_of(title),
        locality_candidates=locality.candidates,
        sections=sections,
    )
