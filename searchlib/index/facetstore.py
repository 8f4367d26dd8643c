"""Per-paragraph facet values as integer code arrays, written with each segment.

Counting facets (year, province, …) over every matching paragraph needs each paragraph's values at hand. Reading them
from the stored fields costs ~50 µs a paragraph (5 s for 100k) every time the index is reopened, which is after every
update. So the indexer writes, beside each Whoosh segment, a small file ``MAIN_<segment id>.facets.npz``: for each field
in :data:`FIELDS` an array of codes (one ``int32`` per paragraph of the segment, in segment order) and the list of
values the codes stand for. Code 0 always means "no value" (``None``). Whoosh's own housekeeping keeps the file while
the segment is live and deletes it with the segment; an update's generation carries it over as a hard link.

Query side::

    facets = load_facets(searcher)            # once per searcher (cache it)
    facets.counts("province", docnums)        # [(value, count), …], most first
    facets.codes["report_year"][docnums]      # numpy fancy indexing
    facets.values["report_year"]              # code -> value (index 0: None)

``docnums`` are the searcher's global document numbers (a list or numpy array). Every segment of an index of this format
(:mod:`searchlib.index.storage`) has its file, with every field of :data:`FIELDS`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from searchlib.fields import FACET_COLUMNS
from searchlib.index.storage import REBUILD_COMMAND, IndexDamaged, atomic_write, require, storage_folder  # noqa: F401

FIELDS = FACET_COLUMNS   # from searchlib.fields


def field_value(row: dict, name: str):
    """A field's value in a stored row; ``publish_year`` is the year of ``publish_date`` (2022-02-15 -> 2022)."""
    if name == "publish_year":
        date = row.get("publish_date") or ""
        return int(date[:4]) if date[:4].isdigit() else None
    return row.get(name)
SUFFIX = ".facets.npz"


def facet_file(folder: Path | str, segment) -> Path:
    return Path(folder) / f"{segment.segment_id()}{SUFFIX}"


def _encode(rows: Iterable[dict], fields: tuple[str, ...] = FIELDS) -> dict[str, np.ndarray]:
    """Stored-field dicts (in document order) -> ``codes_<field>`` and ``values_<field>`` arrays."""
    tables: dict[str, dict] = {name: {None: 0} for name in fields}
    codes: dict[str, list[int]] = {name: [] for name in fields}
    for row in rows:
        for name in fields:
            table = tables[name]
            value = field_value(row, name)
            code = table.get(value)
            if code is None:
                code = table[value] = len(table)
            codes[name].append(code)
    arrays: dict[str, np.ndarray] = {}
    for name in fields:
        arrays[f"codes_{name}"] = np.asarray(codes[name], dtype=np.int32)
        arrays[f"values_{name}"] = np.array(json.dumps(list(tables[name]), ensure_ascii=False))
    return arrays


def segment_rows(storage, schema, segment) -> list[dict]:
    """Every paragraph's stored fields in segment order, deleted ones included."""
    from whoosh.reading import SegmentReader

    reader = SegmentReader(storage, schema, segment)
    try:
        return [reader.stored_fields(docnum) for docnum in range(segment.doc_count_all())]
    finally:
        reader.close()


def write_segment_facets(folder: Path | str, segment, rows: list[dict]) -> None:
    """Write the facet file of a finished segment from its stored rows (segment order)."""
    with atomic_write(facet_file(folder, segment)) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **_encode(rows))


@dataclass
class Facets:
    """Facet codes for every document number of one searcher."""

    codes: dict[str, np.ndarray]
    values: dict[str, list]

    def counts(self, name: str, docnums) -> list[tuple[object, int]]:
        """(value, count) over ``docnums``, most frequent first; ``None`` counts paragraphs without a value."""
        selected = self.codes[name][np.asarray(docnums, dtype=np.int64)]
        tally = np.bincount(selected, minlength=len(self.values[name]))
        order = np.argsort(-tally, kind="stable")
        return [(self.values[name][code], int(tally[code])) for code in order if tally[code]]

    def distinct(self, name: str, docnums) -> int:
        """How many different values (``None`` not counted) ``docnums`` have."""
        selected = np.unique(self.codes[name][np.asarray(docnums, dtype=np.int64)])
        return int(np.count_nonzero(selected))


def load_facets(searcher, fields: tuple[str, ...] = FIELDS) -> Facets:
    """The facet codes of every document of ``searcher`` (global document numbers)."""
    reader = searcher.reader()
    total = reader.doc_count_all()
    codes = {name: np.zeros(total, dtype=np.int32) for name in fields}
    tables: dict[str, dict] = {name: {None: 0} for name in fields}
    for leaf, offset in reader.leaf_readers():
        segment = leaf.segment()
        if segment is None or segment.doc_count_all() == 0:
            continue
        arrays = _read_segment(leaf, segment, fields)
        size = segment.doc_count_all()
        for name in fields:
            local_values = json.loads(str(arrays[f"values_{name}"]))
            table = tables[name]
            remap = np.empty(len(local_values), dtype=np.int32)
            for code, value in enumerate(local_values):
                if value not in table:
                    table[value] = len(table)
                remap[code] = table[value]
            codes[name][offset:offset + size] = remap[arrays[f"codes_{name}"]]
    return Facets(codes=codes, values={name: list(tables[name]) for name in fields})


def _read_segment(leaf, segment, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    path = facet_file(storage_folder(leaf.storage()), segment)
    require([path], "the facet file", segment)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    missing = [name for name in fields if f"codes_{name}" not in arrays]
    if missing:
        raise IndexDamaged(f"the facet file {path} has no {missing[0]} codes: rebuild the index with "
                           f"`{REBUILD_COMMAND}`")
    return arrays
