"""Per-field accuracy of ``searchlib parse`` on the hand-labelled dev set.

    .venv/bin/python bench/score_devset.py [path/to/reports.jsonl] [-v] [--urls]

The dev set lives outside the repository (``../shared/devset/reports.jsonl``);
it is development data and is never shipped. ``-v`` lists every miss. ``--urls`` writes
the records to a folder with a ``manifest.csv`` of their URLs and reads them as
``searchlib index`` would, so the URL host counts as (weak) evidence.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from searchlib.analysis import normalize
from searchlib.ingest.report import Report, parse_text

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = REPO_ROOT.parent / "shared" / "devset" / "reports.jsonl"
FIELDS = ("title", "report_year", "province", "level_body", "genre", "publish_date", "city", "county", "township")


def load_devset(path: Path = DEFAULT_DEVSET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def admin_level(report: Report) -> str | None:
    """Our level+body in the dev set's vocabulary (department is a level there)."""
    if report.body == "department":
        return "department"
    return report.level


def _same_title(ours: str | None, theirs: str | None) -> bool:
    if ours is None or theirs is None:
        return ours is theirs
    return normalize(ours).replace(" ", "") == normalize(theirs).replace(" ", "")


def field_values(report: Report, record: dict) -> dict[str, tuple[object, object, bool]]:
    """field -> (ours, expected, equal)."""
    pairs = {
        "title": (report.title, record["title"]),
        "report_year": (report.report_year, record["report_year"]),
        "province": (report.province, record["province"]),
        "level_body": (admin_level(report), record["admin_level"]),
        "genre": (report.genre, record["genre"]),
        "publish_date": (report.publish_date, record["publish_date"]),
        "city": (report.city, record["city"]),
        "county": (report.county, record["county"]),
        "township": (report.township, record["township"]),
    }
    out = {}
    for name, (ours, theirs) in pairs.items():
        equal = _same_title(ours, theirs) if name == "title" else ours == theirs
        out[name] = (ours, theirs, equal)
    return out


def wrong_assertions(report: Report, record: dict) -> list[str]:
    """Place fields we filled with a value the reader did not (a wrong guess, not a null)."""
    wrong = []
    for name in ("province", "city", "county", "township"):
        ours = getattr(report, name)
        if ours is not None and ours != record[name]:
            wrong.append(f"{name}={ours} (expected {record[name]})")
    return wrong


def parse_with_manifest(records: list[dict], folder: Path) -> dict[str, Report]:
    """Each record as a file in ``folder`` with a manifest.csv of their URLs, parsed the way
    `searchlib index` reads a folder (so the URL host is the evidence it is there)."""
    import csv

    from searchlib.ingest.inputs import find_inputs
    from searchlib.ingest.report import parse_item

    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "url"])
        for record in records:
            (folder / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
            writer.writerow([f"{record['id']}.txt", record["url"]])
    found = find_inputs([folder])
    assert not found.problems, found.problems
    return {Path(item.path).stem: parse_item(item) for item in found.items}


def score(records: list[dict], with_urls: bool = False
          ) -> tuple[dict[str, float], dict[str, list[str]], dict[str, list[str]]]:
    """Per-field accuracy; ``with_urls`` reads the records through a manifest of their URLs."""
    hits = {name: 0 for name in FIELDS}
    misses: dict[str, list[str]] = {name: [] for name in FIELDS}
    wrong: dict[str, list[str]] = {}
    parsed: dict[str, Report] = {}
    if with_urls:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            parsed = parse_with_manifest(records, Path(folder))
    for record in records:
        report = parsed.get(record["id"]) or parse_text(record["text"], source=record["id"])
        for name, (ours, theirs, equal) in field_values(report, record).items():
            if equal:
                hits[name] += 1
            else:
                misses[name].append(f"{record['id']}: ours={ours!r} expected={theirs!r}")
        if bad := wrong_assertions(report, record):
            wrong[record["id"]] = bad
    accuracy = {name: hits[name] / len(records) for name in FIELDS}
    return accuracy, misses, wrong


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", type=Path, default=DEFAULT_DEVSET,
                        help="the labelled records, JSON Lines (default: ../shared/devset/reports.jsonl)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--urls", action="store_true",
                        help="read the records through a manifest of their URLs, as `searchlib index` would")
    args = parser.parse_args(argv)
    if not args.devset.exists():
        print(f"dev set not found at {args.devset}", file=sys.stderr)
        return 2
    records = load_devset(args.devset)
    accuracy, misses, wrong = score(records, with_urls=args.urls)
    print(f"{len(records)} dev-set records" + (" (read through a manifest of their URLs)" if args.urls else ""))
    for name in FIELDS:
        print(f"  {name:<13} {accuracy[name]:6.1%}")
        if args.verbose:
            for line in misses[name]:
                print("      ", line)
    print(f"  wrong place asserted on {len(wrong)} records")
    for rid, bad in wrong.items():
        print("      ", rid, "; ".join(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
