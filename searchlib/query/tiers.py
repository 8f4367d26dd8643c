"""Reports in tiers: the default answer to a query (see :mod:`searchlib.query.concepts`).

A report is placed in the first tier it qualifies for:

1. some paragraph holds every concept as typed: the strict match, the same paragraphs the paragraph view, the facets and
   the research views count;
2. every concept is somewhere in the report, as typed (the words of a typed run close together, in order) or through its
   parts (likewise close) or a thesaurus entry; a section heading or the report title counts as text of the report here;
3. some concepts, or a distinctive part of one (a part found in fewer than half of the reports), or a related term of
   one (``data/related.txt``: a measure or campaign a report names when it reports on the topic);
4. only common words: a word of a typed run that most reports hold (法治 of 法治讲座, 行政 of 行政检查; never a part of
   one dictionary word, so not 行政 of 行政复议). Alone such a word says little, so these reports come last, marked
   apart, ordered by how many of the query's words they hold (each weighted by its rarity); they are there so that
   nothing holding the researcher's words is out of reach.

Within tier 3, a report that covers more of what was typed comes first: a concept it holds counts 1, a concept it does
not hold counts ``RELATED_COVER`` if a related term of it is there, or the share of its character pairs that one
paragraph holds where that is more and at least ``COVER_MIN_SHARE`` (each pair weighted by its rarity;
行政执法与刑事司法连接 holds most of 行政执法与刑事司法衔接, a paragraph with 行政执法 and 衔接 apart holds little).
Then, in every tier, reports with more concepts come first, then the higher score: per concept, the BM25F score of its
best paragraph in the report (a weaker level weighs less, see ``LEVEL_WEIGHTS``), plus a little for every further
paragraph that has it; summed over the concepts. A concept found only by its pieces scores the sum of its pieces' best paragraphs
(more of it covered). Ties go by doc_id, so the order is the same on every rebuild. ``+word`` concepts are required:
reports without them are left out of every tier.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq

from searchlib.query.concepts import Concept, Plan, plan
from searchlib.query.engine import Column, Matcher
from searchlib.query.postings import rounded
from searchlib.query.parse import And, Exact, Node, Words
from searchlib.query.rules import AsWord, Near, near_pattern, query_words

# What a paragraph found at a level is worth, against the typed level.
LEVEL_WEIGHTS = {"typed": 1.0, "parts": 0.6, "thesaurus": 0.6, "heading": 0.5, "piece": 0.3, "related": 0.3}
# A concept in the report's title adds this share of the title match's score.
TITLE_WEIGHT = 0.5
# Each further paragraph with a concept adds this, times log(1 + further paragraphs).
REPEAT_BONUS = 0.5
# A part in at least this share of reports is not distinctive: alone it does not stand for its concept.
PIECE_MAX_REPORT_SHARE = 0.5
# A concept not held counts, in tier 3's order, where one paragraph holds at least this share of its character pairs.
COVER_MIN_SHARE = 0.5
# What a related term of a concept not held counts there.
RELATED_COVER = 0.5
# At most this many paragraph texts are read per concept level to check closeness (see _parts_close).
MAX_CLOSENESS_CHECKS = 4000
TIERS = (1, 2, 3, 4)
TIER_LABELS = {1: "同段含全部检索词", 2: "同篇含全部检索词", 3: "部分匹配", 4: "仅含常见词"}


@dataclass
class Found:
    """Where one concept was found: paragraphs (weighted scores), and reports by title."""

    docs: np.ndarray
    scores: np.ndarray
    levels: dict[str, int] = field(default_factory=dict)   # level -> paragraphs found at it
    piece_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    piece_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pieces: tuple[str, ...] = ()                           # the distinctive pieces used
    piece_cover: np.ndarray | None = None                  # by report code: its pieces' summed scores
    related_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    related_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    related: tuple[str, ...] = ()                          # the related terms looked for
    title_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    title_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    common: tuple[tuple[str, np.ndarray], ...] = ()        # the parts in most reports, each with its paragraphs
    as_written: int | None = None   # a run of several words: the paragraphs that write it as typed, side by side


@dataclass
class Tiered:
    """Every result report in order, with its tier and per-concept presence."""

    plan: Plan
    found: list[Found]
    order: np.ndarray          # report codes, result order
    tier: np.ndarray           # by report code: 1, 2, 3 (0: not a result)
    concepts_in: np.ndarray    # by report code: how many concepts it holds (typed, parts, thesaurus)
    score: np.ndarray          # by report code

    def counts(self) -> dict[int, int]:
        return {t: int(np.count_nonzero(self.tier == t)) for t in TIERS}

    def terms(self) -> list[Words | Exact | Near | AsWord]:
        """What to mark in a shown paragraph: every concept at every level that found something."""
        out: list[Words | Exact | Near | AsWord] = []
        for concept, found in zip(self.plan.concepts, self.found):
            if found.levels.get("parts"):
                out.append(Near(concept.parts))
            if found.levels.get("thesaurus"):
                # A member of several words is marked where it stands as written, not word by word
                # (法治宣传和教育 must not mark every 和).
                out.extend(Words(s) if len(query_words(s)) == 1 else Exact(s) for s in concept.synonyms)
            # Pieces and related terms were looked up as words: marked only where they are words; a piece of
            # several words (行政首长出庭) where they stand together, never word by word (行政 all over a paragraph).
            out.extend(AsWord(p) if len(query_words(p)) == 1 else Near(tuple(query_words(p))) for p in found.pieces)
            out.extend(AsWord(t) if len(query_words(t)) == 1 else Exact(t) for t in found.related)
        return list(dict.fromkeys(out))

    def common_terms(self) -> list[AsWord]:
        """The common parts that placed reports in tier 4 (marked in those reports' paragraphs only)."""
        return list(dict.fromkeys(AsWord(p) for f in self.found for p, _ in f.common))

    def used(self) -> list[dict]:
        """Per concept, the levels that found paragraphs (for "understood as")."""
        return [{"concept": c.typed, "parts": list(c.parts) if f.levels.get("parts") else [],
                 "synonyms": list(c.synonyms) if f.levels.get("thesaurus") else [],
                 "pieces": list(f.pieces), "related": list(f.related), "common": [p for p, _ in f.common],
                 "required": c.required, "as_written": f.as_written,
                 "levels": {k: v for k, v in f.levels.items() if v}}
                for c, f in zip(self.plan.concepts, self.found)]


class TierRanker:
    """Places the reports of one request in tiers (one searcher, one request)."""

    def __init__(self, matcher: Matcher, reports: Column, live_reports: int, sort_values: np.ndarray | None):
        self.matcher = matcher
        self.reports = reports              # the doc_id column
        self.report_of = reports.codes      # document number -> report code
        self.report_count = len(reports.values)
        self.live_reports = live_reports    # reports in the index
        # document number -> what a sort other than relevance orders by (NaN: unknown); None for relevance
        self.sort_values = sort_values

    # --- finding ------------------------------------------------------------

    def scored(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """The documents ``node`` matches and their relevance scores (see Matcher.scores_for)."""
        docs = self.matcher.docarray(node)
        return docs, self.matcher.scores_for(node, docs)

    def plainly_scored(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """The documents ``node`` matches, scored as the plain BM25F of its words in the text (a word found only as
        characters counts as a tenth of the weakest word). The typed level's query adds bonuses for a literal run (the
        sum of its bigrams' scores) that would let a long thesaurus entry outscore the word the researcher typed."""
        docs = self.matcher.docarray(node)
        words = sorted({w for leaf in _words_in(node) for w in query_words(leaf)})
        if not words or not len(docs):
            return docs, np.ones(len(docs))
        query = wq.Or([wq.Term("text", w) for w in words]) if len(words) > 1 else wq.Term("text", words[0])
        found = self.matcher.scored(query)
        return docs, found.scores_at(docs, missing=0.1 * float(found.scores.min()) if len(found.docs) else 0.1)

    def _words_scored(self, terms: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The paragraphs holding every segmenter word of one of ``terms`` as words (no characters side by side, no
        closeness: the cheap lookup a long list of related terms can afford), scored as their BM25F."""
        alternatives = []
        for term in terms:
            words = [wq.Term("text", w) for w in query_words(term)]
            if words:
                alternatives.append(wq.And(words) if len(words) > 1 else words[0])
        if not alternatives:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        found = self.matcher.scored(wq.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
        return found.docs, found.scores

    def _field_scored(self, fieldname: str, concept: Concept) -> tuple[np.ndarray, np.ndarray]:
        """Documents whose ``fieldname`` (title, heading) holds the concept: every word of it as typed,
        of all its parts, or of one thesaurus member."""
        typed = concept.node.text if isinstance(concept.node, (Words, Exact)) else None
        spellings = [typed] if typed else []
        if concept.parts:
            spellings.append(" ".join(concept.parts))
        spellings.extend(concept.synonyms)
        alternatives = []
        for spelling in dict.fromkeys(spellings):
            words = query_words(spelling)
            if words:
                terms = [wq.Term(fieldname, w) for w in words]
                alternatives.append(wq.And(terms) if len(terms) > 1 else terms[0])
        if not alternatives:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        found = self.matcher.scored(wq.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
        return found.docs, found.scores

    def find(self, concept: Concept, allowed: np.ndarray | None, settled: np.ndarray | None = None) -> Found:
        """Where ``concept`` is found; ``settled``: by report code, the reports whose tier is already known
        (tier 1), where its closeness is taken on trust."""
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        levels: dict[str, int] = {}
        for level, node in concept.level_nodes().items():
            found_here = self.scored(node) if level == "typed" else self.plainly_scored(node)
            docs, scores = _within(*found_here, allowed)
            spread = _spread_words(concept) if level == "typed" else concept.parts if level == "parts" else ()
            if len(spread) > 1:
                docs, scores = self._parts_close(spread, docs, scores, settled)
            levels[level] = len(docs)
            parts.append((docs, scores * LEVEL_WEIGHTS[level]))
        # Headings and titles are text of their section and report here (the typed level only ranks by them).
        docs, scores = _within(*self._field_scored("heading", concept), allowed)
        levels["heading"] = len(docs)
        parts.append((docs, scores * LEVEL_WEIGHTS["heading"]))
        docs, scores = best_of(parts)
        found = Found(docs, scores, levels)
        if len(_spread_words(concept)) > 1:
            # Its words count anywhere in one paragraph (the strict rule): how many write it as typed is said beside.
            found.as_written = len(_docs_within(self.matcher.docarray(Exact(concept.node.text)), allowed))
        found.title_docs, found.title_scores = _within(*self._field_scored("title", concept), allowed)
        levels["title"] = len(found.title_docs)
        pieces, common = [], []
        for piece in concept.pieces:
            docs = self.matcher.docarray(Words(piece))
            if self._distinctive(docs):
                pieces.append(piece)
            elif piece in concept.words:
                # Only the researcher's own words are common parts: 行政 is a word of 行政 检查 typed as 行政检查,
                # not of the one word 行政复议.
                common.append((piece, _docs_within(docs, allowed)))
        found.common = tuple((p, d) for p, d in common if len(d))
        if pieces:
            found.pieces = tuple(pieces)
            piece_parts = [_within(*self.plainly_scored(Words(p)), allowed) for p in pieces]
            found.piece_docs, piece_scores = best_of(piece_parts)
            found.piece_scores = piece_scores * LEVEL_WEIGHTS["piece"]
            found.piece_cover = self._covered(piece_parts) * LEVEL_WEIGHTS["piece"]
            levels["piece"] = len(found.piece_docs)
        if concept.related:
            # One query for all of them: a topic has up to MAX_RELATED terms, and a lookup each cost up to 40 ms
            # at 1M paragraphs. The file lists no generic words, so they are not checked for distinctiveness.
            found.related = concept.related
            docs, scores = _within(*self._words_scored(concept.related), allowed)
            found.related_docs, found.related_scores = docs, scores * LEVEL_WEIGHTS["related"]
            levels["related"] = len(docs)
        return found

    def _cover(self, concept: Concept, allowed: np.ndarray | None, among: np.ndarray) -> np.ndarray | None:
        """Per report code, the largest share of the concept's character pairs that one of its paragraphs holds,
        each pair weighted by its rarity (log(1 + paragraphs / paragraphs with it)), where that share is at least
        COVER_MIN_SHARE; 0 elsewhere and outside ``among`` (by report code: the reports it is wanted for).
        None for a concept of fewer than two pairs or not typed as words."""
        if not isinstance(concept.node, (Words, And)) or not among.any():
            return None
        text = "".join(ch for ch in concept.typed if not ch.isspace())
        if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
            return None   # Latin words are matched as words only
        pairs = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1)))
        if len(pairs) < 2:
            return None
        size = self.matcher.evaluator.size
        held = np.zeros(size)
        total = 0.0
        for pair in pairs:
            docs = self.matcher.scored(wq.Term("exact", pair)).docs
            weight = float(np.log1p(size / (len(docs) + 1)))
            total += weight
            held[docs[among[self.report_of[docs]]]] += weight
        docs = np.flatnonzero(held >= COVER_MIN_SHARE * total)
        docs, shares = _within(docs, held[docs] / total, allowed)
        cover = np.zeros(self.report_count)
        if len(docs):
            np.maximum.at(cover, self.report_of[docs], shares)
        return cover

    def _parts_close(self, parts: tuple[str, ...], docs: np.ndarray, scores: np.ndarray,
                     settled: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The paragraphs where the parts stand close together, in order (see rules.NEAR_MAX_GAP), read from
        their normalized texts: the parts in one paragraph anywhere are a different topic as often as not.

        Reading texts costs ~5 µs a paragraph, so only what can change a report's tier is read: paragraphs
        of ``settled`` reports are kept unread; elsewhere the best-scored paragraphs first, a report's
        others skipped once one holds the parts close, at most MAX_CLOSENESS_CHECKS in all (a report
        still unread then is not found at this level)."""
        if not len(docs):
            return docs, scores
        near = near_pattern(parts)
        reports = self.report_of[docs]
        keep = settled[reports] if settled is not None else np.zeros(len(docs), dtype=bool)
        done = np.zeros(self.report_count, dtype=bool)
        checks = 0
        texts = self.matcher.texts
        order = np.argsort(-scores, kind="stable")
        for i in order[~keep[order]].tolist():
            code = reports[i]
            if done[code]:
                continue
            if checks >= MAX_CLOSENESS_CHECKS:
                break
            checks += 1
            if near.search(texts.get(int(docs[i]))) is not None:
                keep[i] = True
                done[code] = True
        return docs[keep], scores[keep]

    def _covered(self, piece_parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Per report code, the summed best score in it of each distinct piece: a report with 出庭应诉 and 应诉率 covers
        more of 负责人出庭应诉率 than one with 负责人 alone, whichever single piece scores higher."""
        total = np.zeros(self.report_count)
        for piece_docs, piece_scores in piece_parts:
            if len(piece_docs):
                best = np.zeros(self.report_count)
                np.maximum.at(best, self.report_of[piece_docs], piece_scores)
                total += best
        return total

    def _distinctive(self, docs: np.ndarray) -> bool:
        """Whether a part found in ``docs`` is in fewer than PIECE_MAX_REPORT_SHARE of the reports."""
        if not len(docs):
            return False
        return self.reports.distinct(docs) < PIECE_MAX_REPORT_SHARE * max(self.live_reports, 1)

    def _common_weight(self, found: list[Found]) -> np.ndarray:
        """Per report code, the summed rarity (log(1 + reports / reports with it)) of the common parts it holds."""
        weight = np.zeros(self.report_count)
        live = max(self.live_reports, 1)
        for f in found:
            for _, docs in f.common:
                present = np.zeros(self.report_count, dtype=bool)
                present[self.report_of[docs]] = True
                weight += present * np.log1p(live / max(int(present.sum()), 1))
        return weight

    # --- placing ------------------------------------------------------------

    def rank(self, tree: Node | None, strict_docs: np.ndarray, allowed: np.ndarray | None,
             sort: str = "relevance", expand: bool = True, report_rank: np.ndarray | None = None) -> Tiered:
        """Every report of the request in tiers. ``strict_docs``: the paragraphs the request matches
        strictly (after every filter); ``allowed``: the paragraphs any concept may be found in."""
        the_plan = plan(tree, expand)
        n = self.report_count
        tier = np.zeros(n, dtype=np.int8)
        tier[self.report_of[strict_docs]] = 1
        settled = tier == 1
        found = [self.find(c, allowed, settled) for c in the_plan.concepts] if expand else []
        concepts_in = np.zeros(n, dtype=np.int32)
        pieces_in = np.zeros(n, dtype=np.int32)
        holds = []   # per concept, by report code: whether the report holds it
        relateds = []   # per concept, by report code: whether the report has only a related term of it
        score = np.zeros(n)
        for concept, f in zip(the_plan.concepts, found):
            present, best = self._per_report(f.docs, f.scores)
            if len(f.title_docs):
                title_present, title_best = self._per_report(f.title_docs, f.title_scores * TITLE_WEIGHT,
                                                             repeat=False)
                present |= title_present
                best += title_best
            piece_present, piece_best = self._per_report(f.piece_docs, f.piece_scores)
            if f.piece_cover is not None:
                piece_best = f.piece_cover
            related_present, related_best = self._per_report(f.related_docs, f.related_scores)
            piece_only = (piece_present | related_present) & ~present
            holds.append(present)
            relateds.append(related_present & ~present)
            concepts_in += present
            pieces_in += piece_only
            score += best + np.where(piece_only, np.maximum(piece_best, related_best), 0.0)
            if concept.required:
                tier[~present] = -1   # never shown, whatever else it holds
        if found:
            everything = concepts_in == len(found)
            tier[(tier == 0) & everything] = 2
            tier[(tier == 0) & ((concepts_in + pieces_in) > 0)] = 3
            common_weight = self._common_weight(found)
            tier[(tier == 0) & (common_weight > 0)] = 4
            score = np.where(tier == 4, common_weight, score)
        covered = concepts_in.astype(np.float64)
        for concept, present, related in zip(the_plan.concepts, holds, relateds):
            cover = self._cover(concept, allowed, (tier == 3) & ~present)
            covered += np.maximum(cover if cover is not None else 0.0, np.where(related, RELATED_COVER, 0.0))
        tier[tier < 0] = 0
        if not found:   # filters only, or strict: the strict reports, scored by their paragraphs
            _, score = self._per_report(strict_docs, self.matcher.scores_for(tree, strict_docs))
        results = np.flatnonzero(tier > 0)
        order = self._ordered(results, tier, concepts_in, pieces_in, covered, score, sort, strict_docs, found,
                              report_rank)
        return Tiered(the_plan, found, order, tier, concepts_in, score)

    def _per_report(self, docs: np.ndarray, scores: np.ndarray,
                    repeat: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Per report code: whether any of ``docs`` is in it, and its concept score."""
        n = self.report_count
        present = np.zeros(n, dtype=bool)
        best = np.zeros(n)
        if not len(docs):
            return present, best
        codes = self.report_of[docs]
        np.maximum.at(best, codes, scores)
        present[codes] = True
        if repeat:
            further = np.bincount(codes, minlength=n) - 1
            best += REPEAT_BONUS * np.log1p(np.maximum(further, 0))
        return present, best

    def _ordered(self, results: np.ndarray, tier: np.ndarray, concepts_in: np.ndarray, pieces_in: np.ndarray,
                 covered: np.ndarray, score: np.ndarray, sort: str, strict_docs: np.ndarray, found: list[Found],
                 report_rank: np.ndarray | None) -> np.ndarray:
        if not len(results):
            return results
        rank = report_rank[results] if report_rank is not None else results
        # Tier 3 by how much of the query a report covers (see the module's docstring); rounded, so
        # that float noise never decides between equal covers.
        cover = np.where(tier[results] == 3, -np.round(covered[results], 3), 0.0)
        keys = [rank, -rounded(score[results]), -pieces_in[results], -concepts_in[results], cover]
        if sort != "relevance" and self.sort_values is not None:
            value = self._report_values(strict_docs, found)[results]
            unknown = np.isnan(value)
            signed = np.where(unknown, 0.0, value if sort == "oldest" else -value)
            keys += [signed, unknown]   # within a tier: known first, then by the value
        keys.append(tier[results])
        return results[np.lexsort(keys)]

    def _report_values(self, strict_docs: np.ndarray, found: list[Found]) -> np.ndarray:
        value = np.full(self.report_count, np.nan)
        for docs in [strict_docs] + [d for f in found for d in (f.docs, f.piece_docs, f.related_docs, f.title_docs)]:
            if len(docs):
                value[self.report_of[docs]] = self.sort_values[docs]
        return value

    # --- showing --------------------------------------------------------------

    def best_paragraphs(self, tiered: Tiered, codes: list[int], strict_docs: np.ndarray,
                        per_report: int, tree: Node | None) -> dict[int, list[tuple[int, float]]]:
        """For each report code, its best paragraphs: strict matches first, then those with more
        concepts, then the higher summed score; ties in reading order (document number)."""
        wanted = np.zeros(self.report_count, dtype=bool)
        wanted[codes] = True
        # A common word shows paragraphs only in the reports it placed (tier 4): elsewhere it would push a
        # paragraph with nothing but 法治 among a report's best. Likewise a piece or a related term only in the
        # reports they placed (tiers 3 and 4): in a report holding every concept they are not what it holds.
        common_wanted = wanted & (tiered.tier == 4)
        partial_wanted = wanted & (tiered.tier >= 3)
        rows: dict[int, list] = {}   # docnum -> [strict, concepts, score]
        for i, f in enumerate(tiered.found):
            seen_here: set[int] = set()
            # A report found by its title alone shows its first paragraphs (title matches weigh least here).
            title_scores = f.title_scores * 1e-3
            common = [(docs, np.full(len(docs), 1e-6), False, common_wanted) for _, docs in f.common]
            for docs, scores, counts, shown_in in ((f.docs, f.scores, True, wanted),
                                                   (f.piece_docs, f.piece_scores, False, partial_wanted),
                                                   (f.related_docs, f.related_scores, False, partial_wanted),
                                                   (f.title_docs, title_scores, False, wanted), *common):
                keep = shown_in[self.report_of[docs]] if len(docs) else np.zeros(0, dtype=bool)
                for d, s in zip(docs[keep].tolist(), scores[keep].tolist()):
                    row = rows.setdefault(d, [0, 0, 0.0])
                    if d in seen_here:
                        continue
                    seen_here.add(d)
                    row[1] += 1 if counts else 0
                    row[2] += s
        keep = wanted[self.report_of[strict_docs]] if len(strict_docs) else np.zeros(0, dtype=bool)
        strict_here = strict_docs[keep]
        # A paragraph that matches the query strictly shows its relevance score, as in every other view.
        strict_scores = self.matcher.scores_for(tree, strict_here)
        for d, score in zip(strict_here.tolist(), strict_scores.tolist()):
            row = rows.setdefault(d, [0, 0, 0.0])
            row[0] = 1
            row[2] = score
        compared = rounded(np.fromiter((row[2] for row in rows.values()), dtype=np.float64, count=len(rows))).tolist()
        by_report: dict[int, list[tuple[tuple, int, float]]] = {}
        for (d, (strict, count, s)), r in zip(rows.items(), compared):
            by_report.setdefault(int(self.report_of[d]), []).append(((-strict, -count, -r, d), d, s))
        out: dict[int, list[tuple[int, float]]] = {}
        for code in codes:
            ranked = sorted(by_report.get(code, []))[:per_report]
            out[code] = [(d, s) for _, d, s in ranked]
        return out


def expansion_terms(the_plan: Plan) -> list[Near | Words | Exact]:
    """What marks a concept found by its parts or a thesaurus member, whatever an index holds: the parts where they
    stand close, each member where it is written (as :meth:`Tiered.terms` marks them in results)."""
    out: list[Near | Words | Exact] = []
    for concept in the_plan.concepts:
        if concept.parts:
            out.append(Near(concept.parts))
        out.extend(Words(s) if len(query_words(s)) == 1 else Exact(s) for s in concept.synonyms)
    return list(dict.fromkeys(out))


def _spread_words(concept: Concept) -> tuple[str, ...]:
    """The words of a typed run that the strict rule finds anywhere in a paragraph (法治保障 is 法治 and
    保障): as one concept they must stand close together, in order."""
    if not isinstance(concept.node, Words):
        return ()
    return tuple(query_words(concept.node.text))


def _words_in(node: Node) -> list[str]:
    """The typed texts of every Words node in a tree."""
    if isinstance(node, Words):
        return [node.text]
    return [t for child in getattr(node, "children", ()) for t in _words_in(child)]


def best_of(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The union of several (docs, scores), each document with its highest score (each part's docs
    sorted and distinct, as the evaluator gives them)."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(parts) == 1:
        return parts[0]
    # A dense row of the documents' best scores: a sort of the concatenation cost 18 ms at 100k paragraphs.
    best = np.full(int(max(p[0][-1] for p in parts)) + 1, -np.inf)
    for docs, scores in parts:
        best[docs] = np.maximum(best[docs], scores)
    docs = np.flatnonzero(best > -np.inf)
    return docs, best[docs]


def _within(docs: np.ndarray, scores: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if allowed is None or not len(docs):
        return docs, scores
    keep = _allowed(docs, allowed)
    return docs[keep], scores[keep]


def _docs_within(docs: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    return docs if allowed is None or not len(docs) else docs[_allowed(docs, allowed)]


def _allowed(docs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of ``docs`` ``allowed`` (a mask by document number, or sorted document numbers) lets through."""
    return allowed[docs] if allowed.dtype == bool else np.isin(docs, allowed, assume_unique=True)


def describe(counts: dict[int, int], words: bool = True) -> str:
    """The tier line of a results page: N 份报告同段含全部检索词，另 M 份同篇含全部，K 份部分匹配，L 份仅含常见词;
    without ``words`` (filters only, nothing typed to look for): N 份报告符合筛选条件."""
    if not words:
        return f"{counts.get(1, 0)} 份报告符合筛选条件"
    parts = [f"{counts.get(1, 0)} 份报告同段含全部检索词"]
    if counts.get(2):
        parts.append(f"另 {counts[2]} 份同篇含全部")
    if counts.get(3):
        parts.append(f"{counts[3]} 份部分匹配")
    if counts.get(4):
        parts.append(f"{counts[4]} 份仅含常见词")
    return "，".join(parts)


__all__ = ["TierRanker", "Tiered", "TIERS", "TIER_LABELS", "describe", "best_of", "expansion_terms"]
