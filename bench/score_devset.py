"""Per-field accuracy of ``searchlib parse`` on the hand-labelled dev set.

    .venv/bin/python bench/score_devset.py [path/to/reports.jsonl] [-v]

The dev set lives outside the repository (``../shared/devset/reports.jsonl``);
it is development data and is never shipped. ``-v`` lists every miss.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from searchlib.analysis import normalize
from searchlib.report import Report, parse_text

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


def score(records: list[dict]) -> tuple[dict[str, float], dict[str, list[str]], dict[str, list[str]]]:
    hits = {name: 0 for name in FIELDS}
    misses: dict[str, list[str]] = {name: [] for name in FIELDS}
    wrong: dict[str, list[str]] = {}
    for record in records:
        report = parse_text(record["text"], source=record["id"])
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
    verbose = "-v" in argv
    paths = [a for a in argv if a != "-v"]
    path = Path(paths[0]) if paths else DEFAULT_DEVSET
    records = load_devset(path)
    accuracy, misses, wrong = score(records)
    print(f"{len(records)} dev-set records")
    for name in FIELDS:
        print(f"  {name:<13} {accuracy[name]:6.1%}")
        if verbose:
            for line in misses[name]:
                print("      ", line)
    print(f"  wrong place asserted on {len(wrong)} records")
    for rid, bad in wrong.items():
        print("      ", rid, "; ".join(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
