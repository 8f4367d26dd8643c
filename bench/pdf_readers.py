"""Which PDF text reader: pypdf or pdfminer.six, on a Chinese PDF made with reportlab's STSong-Light.

    .venv/bin/pip install pdfminer.six==20260107   # (the bench extra) then
    .venv/bin/python bench/pdf_readers.py [--pages 30]

Prints, per reader, the seconds to extract the text layer of a --pages page PDF (40 lines a page)
and whether every line and every Chinese character came back.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.formats import pdf_bytes  # noqa: E402

LINES = ["2023年度法治政府建设工作报告", "2023年,某县深入推进行政复议体制改革,行政复议案件纠错率12%。",
         "一、主要工作", "(一)加强组织领导,健全出庭应诉制度。"]


def pypdf_text(data: bytes) -> str:
    import pypdf
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdfminer_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text
    return extract_text(io.BytesIO(data))


def cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    from pypdf import PdfWriter, PdfReader
    page = pdf_bytes(LINES * 10)
    writer = PdfWriter()
    for _ in range(args.pages):
        writer.add_page(PdfReader(io.BytesIO(page)).pages[0])
    buf = io.BytesIO()
    writer.write(buf)
    data = buf.getvalue()
    expected = cjk("".join(LINES)) * 10 * args.pages
    for name, read in (("pypdf", pypdf_text), ("pdfminer.six", pdfminer_text)):
        started = time.perf_counter()
        text = read(data)
        took = time.perf_counter() - started
        print(f"{name:13s} {took:6.2f} s for {args.pages} pages; every line found: {all(l in text for l in LINES)}; "
              f"Chinese characters {cjk(text)} of {expected}")


if __name__ == "__main__":
    main()
