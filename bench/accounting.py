"""Every input accounted for, at size: a folder of mixed files indexed, and the summary checked.

    .venv/bin/python bench/accounting.py --files 5000 [--out /tmp/searchlib-accounting] [--procs 2]

Builds a folder of about ``--files`` inputs: synthetic reports (bench/make_corpus.py), plus
copies of some of them under another folder (to be merged), newer versions of some with one
number changed (to replace the older), a few PDF and Word renderings of other reports, and junk
that must be named (hidden files, images, dangling links, empty files, a scanned PDF). Indexes it
and prints: inputs, reports indexed, merged, replaced, separate, skipped, and whether
inputs = reports + merged + replaced + skipped.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from make_corpus import make_corpus  # noqa: E402

from searchlib.index.indexing import build_index  # noqa: E402
from tests.formats import docx_bytes, pdf_bytes, scanned_pdf_bytes  # noqa: E402


def build_folder(out: Path, files: int, seed: int = 23) -> dict[str, int]:
    rng = random.Random(seed)
    corpus = out / "corpus"
    reports = make_corpus(corpus / "reports", paragraphs=files * 9, seed=seed, report_size=(6, 12))
    made = {"reports": len(reports)}
    old = time.time() - 86400 * 30
    for path in reports:
        os.utime(path, (old, old))
    picked = rng.sample(reports, len(reports) // 6)
    copies, versions, pdfs, docxs = picked[0::4], picked[1::4], picked[2::4][:60], picked[3::4][:60]
    for path in copies:
        target = corpus / "mirror" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for path in versions:
        text = path.read_text(encoding="utf-8")
        target = corpus / "rescraped" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("。", "，据统计新增1项。", 1), encoding="utf-8")
    for path in pdfs:
        lines = path.read_text(encoding="utf-8").splitlines()
        (corpus / "attachments").mkdir(parents=True, exist_ok=True)
        (corpus / "attachments" / (path.stem + ".pdf")).write_bytes(pdf_bytes(lines[:30]))
        path.unlink()   # the attachment is the only copy
    for path in docxs:
        lines = path.read_text(encoding="utf-8").splitlines()
        (corpus / "attachments" / (path.stem + ".docx")).write_bytes(docx_bytes(lines))
        path.unlink()
    junk = corpus / "junk"
    junk.mkdir()
    (junk / ".DS_Store").write_bytes(b"\x00\x01")
    (junk / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (junk / "empty.txt").write_bytes(b"")
    (junk / "scan.pdf").write_bytes(scanned_pdf_bytes())
    (junk / "gone.html").symlink_to(junk / "nowhere.html")
    made.update(copies=len(copies), versions=len(versions), pdf=len(pdfs), docx=len(docxs), junk=5)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/searchlib-accounting"))
    parser.add_argument("--procs", type=int, default=2)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    started = time.perf_counter()
    made = build_folder(args.out, args.files)
    print(f"built {made} in {time.perf_counter() - started:.0f} s")
    summary = build_index([args.out / "corpus"], args.out / "index", rebuild=True, procs=args.procs, reuse=False)
    accounted = summary.reports + len(summary.merged) + len(summary.replaced) + len(summary.skipped)
    print(f"inputs {summary.inputs}; reports {summary.reports} ({summary.paragraphs} paragraphs); "
          f"merged {len(summary.merged)}; replaced {len(summary.replaced)}; separate {len(summary.separate)}; "
          f"skipped {len(summary.skipped)}; accounted {accounted} "
          f"({'every input' if accounted == summary.inputs else 'MISSING ' + str(summary.inputs - accounted)}); "
          f"{summary.seconds:.0f} s")
    for path, reason in summary.skipped:
        print(f"  skipped {path}: {reason}")


if __name__ == "__main__":
    main()
