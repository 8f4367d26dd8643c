"""How big searchlib/ is at a revision: raw lines, and code lines (no docstrings, comments or blank lines).

    python bench/code_size.py [REV ...]        # default: HEAD; e.g. 4afa46f HEAD to compare

Issue 18 asks that searchlib/ shrink; this is the count the closing notes quote.
"""
from __future__ import annotations

import argparse
import io
import subprocess
import tokenize

SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL}


def code_lines(source: str) -> int:
    """Lines holding code: a string that stands alone as a statement (a docstring) is not code."""
    lines: set[int] = set()
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in SKIPPED:
            previous = token if token.type != tokenize.COMMENT else previous
            continue
        if token.type == tokenize.STRING and (previous is None or previous.type in STATEMENT_START):
            previous = token
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
        previous = token
    return len(lines)


def size(rev: str, folder: str = "searchlib") -> tuple[int, int]:
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, folder], capture_output=True, text=True,
                           check=True).stdout.split()
    raw = code = 0
    for name in names:
        if name.endswith(".py"):
            source = subprocess.run(["git", "show", f"{rev}:{name}"], capture_output=True, text=True,
                                    check=True).stdout
            raw += source.count("\n")
            code += code_lines(source)
    return raw, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD"])
    parser.add_argument("--folder", default="searchlib")
    args = parser.parse_args()
    for rev in args.revs:
        raw, code = size(rev, args.folder)
        print(f"{rev:12} {args.folder}: {raw} lines, {code} code lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
