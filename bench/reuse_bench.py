"""Time and memory of the text-reuse pass on a synthetic corpus (figures in bench/RESULTS_reuse.md).

    .venv/bin/python bench/reuse_bench.py 100000 300000 1000000

Each size runs in its own process so peak memory is that size's alone. The
corpus imitates what the pass meets: reports of ~35 paragraphs of 60-300
characters drawn from a shared vocabulary of the genre's words (so unrelated
paragraphs share topic shingles, as real ones do), plus

- 3% of paragraphs copied verbatim from an earlier report,
- 3% copied with 1-3 characters changed (numbers, place names),
- 20 templates that each reach 2% of reports with the locality swapped in,
  which makes clusters of hundreds of near-identical texts at 1M paragraphs.
"""
from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchlib.research import reuse  # noqa: E402

WORDS = ("法治政府 建设 行政复议 行政诉讼 执法 监督 依法行政 推进 全面 落实 制度 改革 工作 机制 规范 公开 服务 群众 基层 "
         "社会治理 审查 备案 规范性文件 合法性 重大 决策 程序 法律顾问 公职律师 培训 学习 宣传 普法 矛盾纠纷 调解 "
         "化解 信访 营商环境 放管服 证明事项 告知承诺制 综合执法 队伍 能力 水平 提升 加强 深化 健全 完善 开展 组织 "
         "领导 责任 考核 督察 整改 问题 不足 下一步 持续 坚持 习近平法治思想 党委 政府 部门 乡镇 街道 村 社区 案件 "
         "办理 受理 审结 纠错 应诉 出庭 负责人 公共法律服务 体系 平台 热线 数据 信息化 标准化 专业化").split()
PLACES = [a + b for a in "东西南北中上下新长永安平和" for b in ("城区", "江县", "山县", "河区", "湖区", "阳市")]
PUNCT = "，，，、。；"


def sentence(rng: random.Random, n_words: int) -> str:
    return "".join(rng.choice(WORDS) + (rng.choice(PUNCT) if rng.random() < 0.2 else "")
                   for _ in range(n_words)) + "。"


def synthetic(n_paragraphs: int, seed: int = 1) -> list[reuse.ParagraphRecord]:
    rng = random.Random(seed)
    per_report = 35
    n_reports = max(1, n_paragraphs // per_report)
    templates = [sentence(rng, rng.randint(25, 60)) for _ in range(20)]
    template_reach = [set(rng.sample(range(n_reports), max(1, n_reports // 50))) for _ in templates]
    records: list[reuse.ParagraphRecord] = []
    for r in range(n_reports):
        doc = f"d{r:07d}"
        place = PLACES[r % len(PLACES)]
        for p in range(per_report):
            roll = rng.random()
            if records and roll < 0.03:
                text = rng.choice(records).text                       # verbatim copy
            elif records and roll < 0.06:
                chars = list(rng.choice(records).text)                # near copy
                for _ in range(rng.randint(1, 3)):
                    chars[rng.randrange(len(chars))] = rng.choice("0123456789区县市")
                text = "".join(chars)
            else:
                text = sentence(rng, rng.randint(15, 70))
            records.append(reuse.ParagraphRecord(f"{doc}-{p:03d}", doc, text, p))
        for t, reach in enumerate(template_reach):
            if r in reach:
                records.append(reuse.ParagraphRecord(f"{doc}-t{t:02d}", doc, place + templates[t], 100 + t))
    return records


def run_one(n: int) -> dict:
    started = time.perf_counter()
    records = synthetic(n)
    made = time.perf_counter() - started
    chars = sum(len(r.text) for r in records)
    t0 = time.perf_counter()
    result = reuse.find_reuse(records)
    t1 = time.perf_counter()
    reports = {r.doc_id: reuse.ReportMeta(r.doc_id, year=2020) for r in records}
    with tempfile.TemporaryDirectory() as tmp:
        path = reuse.write_reuse(result, reports, Path(tmp) / reuse.FILE_NAME)
        size = path.stat().st_size
    t2 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss / 1024
    return {"paragraphs": len(records), "characters": chars, "generate_s": round(made, 1),
            "find_reuse_s": round(t1 - t0, 1), "write_sqlite_s": round(t2 - t1, 1), "sqlite_mb": round(size / 2**20, 1),
            "peak_rss_mb": round(rss), "cpu_s_whole_process": round(usage.ru_utime + usage.ru_stime, 1),
            **{k: (round(v, 1) if isinstance(v, float) else v)
                                          for k, v in result.stats.items()}}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        print(json.dumps(run_one(int(argv[1]))))
        return
    for n in argv or ["100000"]:
        out = subprocess.run([sys.executable, __file__, "--one", n], capture_output=True, text=True, check=True)
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
