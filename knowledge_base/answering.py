"""Answer a question from the published index: answer, clarify with choices, or admit it is unresolved."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.embedder import Embedder, fingerprint
from knowledge_base.errors import EmptyKnowledgeBaseError
from knowledge_base.index import FaqIndex, current_version
from knowledge_base.lexical import fuse, text_lang
from knowledge_base.publish import VARIANT_PROMPT

ANSWER, CLARIFY, UNRESOLVED = "answer", "clarify", "unresolved"
# Rows fetched per entry wanted: an entry has up to ~20 variants, and several of one entry often come first.
ROWS_PER_ENTRY = 20
# Related questions offered beside an honest "I don't know yet": at most this many, this close to the best.
RELATED = 3
# An order, tracking or phone number ("KF20231123018", "2023112300012345", "13812345678") says which order, not
# what is asked: five digits or more, with up to four letters before them. Left in, its tokens pull the question's
# vector and word overlap towards whatever entry happens to share them.
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{0,4}[0-9][0-9\-]{3,}[0-9](?![A-Za-z0-9])")
RELATED_WINDOW = 0.08
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Confidence:
    """P(the best entry is the right one), a logistic function of what the search saw (bench/kb_eval.py fits it).

    The entry score alone is a poor judge: a paraphrase that shares no words with the KB's wording, or an entry
    written only in the other language, scores lower than a near-miss in the customer's words. The lead over the
    runner-up, the word overlap and whether the match crossed languages tell those apart.
    """

    bias: float
    score: float
    margin: float
    overlap: float
    cross_lingual: float

    def of(self, best: Candidate, runner_up: Candidate | None) -> float:
        """The probability that `best` answers the question."""
        lead = best.score - (runner_up.score if runner_up else 0.0)
        z = (self.bias + self.score * best.score + self.margin * lead + self.overlap * best.overlap
             + self.cross_lingual * float(best.cross_lingual))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    @classmethod
    def from_settings(cls, settings: Any) -> Confidence:
        """Read the kb_confidence_* weights from Settings."""
        return cls(settings.kb_confidence_bias, settings.kb_confidence_score, settings.kb_confidence_margin,
                   settings.kb_confidence_overlap, settings.kb_confidence_cross_lingual)


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs for the three decisions (calibrated by bench/kb_eval.py --calibrate).

    With a confidence model, `answer_confidence` and `clarify_confidence` decide (on the probability that the best
    entry is right); without one, the entry score's `answer`, `margin` and `clarify` do.
    """

    answer: float
    margin: float
    clarify: float
    window: float
    # A near-verbatim match of a variant is answered whatever the runner-up scores.
    certain: float = 1.01
    # Below `clarify` the question is unresolved; entries scoring at least this are still offered as related
    # questions beside the honest "I don't know yet" (1.01: never).
    related: float = 1.01
    confidence: Confidence | None = None
    answer_confidence: float = 1.01
    clarify_confidence: float = 1.01

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        """Read the kb_* thresholds (and the confidence model, unless kb_answer_confidence turns it off)."""
        confidence = Confidence.from_settings(settings) if settings.kb_answer_confidence <= 1.0 else None
        return cls(settings.kb_answer_threshold, settings.kb_answer_margin, settings.kb_clarify_threshold,
                   settings.kb_clarify_window, settings.kb_answer_certain, settings.kb_related_threshold,
                   confidence, settings.kb_answer_confidence, settings.kb_clarify_confidence)


@dataclass
class Candidate:
    """One FAQ entry that matches a question, with its best-matching variant and its answer."""

    faq_id: str
    question: str
    question_lang: str
    answer: str
    answer_lang: str
    score: float
    category: str = ""
    # Word overlap with the entry's wordings (the best other candidate's when it has none in this language), and
    # whether it was matched only across languages: what the confidence model reads besides the score.
    overlap: float = 0.0
    cross_lingual: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape the CLI and review queue use."""
        return {"faq_id": self.faq_id, "question": self.question, "answer": self.answer,
                "score": round(self.score, 4), "lang": self.answer_lang}


@dataclass
class Result:
    """A decision and the candidates behind it (best first)."""

    query: str
    decision: str
    candidates: list[Candidate]
    vector: np.ndarray = field(repr=False)
    version: int = 0
    # When clarifying: the candidates close enough to the best one to offer as buttons (at most 3).
    choices: list[Candidate] = field(default_factory=list)
    # When unresolved: the nearest entries, offered as related questions (at most 3; empty when none is near).
    related: list[Candidate] = field(default_factory=list)
    # P(the best entry is right) when a confidence model decided, else None.
    confidence: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """`{"query", "decision", "results": [...], "related": [ids]}` as `search --json(l)` prints it."""
        return {"query": self.query, "decision": self.decision, "results": [c.as_dict() for c in self.candidates],
                "related": [c.faq_id for c in self.related]}


def decide(scores: list[float], t: Thresholds, confidence: float | None = None) -> tuple[str, int]:
    """The decision for entry scores sorted best first, and how many candidates to offer when clarifying.

    With `confidence` (P(the best entry is right)) the confidence cut-offs decide; otherwise the score ones do.
    """
    if not scores:
        return UNRESOLVED, 0
    if confidence is not None:
        if scores[0] >= t.certain or confidence >= t.answer_confidence:
            return ANSWER, 1
        if confidence < t.clarify_confidence:
            return UNRESOLVED, 0
        close = [s for s in scores[:3] if scores[0] - s <= t.window]
        return CLARIFY, max(1, len(close))
    if scores[0] < t.clarify:
        return UNRESOLVED, 0
    second = scores[1] if len(scores) > 1 else -1.0
    if scores[0] >= t.certain or (scores[0] >= t.answer and scores[0] - second >= t.margin):
        return ANSWER, 1
    close = [s for s in scores[:3] if s >= t.clarify and scores[0] - s <= t.window]
    return CLARIFY, max(1, len(close))


def related(candidates: list[Candidate], t: Thresholds) -> list[Candidate]:
    """For an unresolved question: the entries near enough to offer as related questions (best first, at most 3)."""
    if not candidates or candidates[0].score < t.related:
        return []
    return [c for c in candidates[:RELATED] if c.score >= t.related and candidates[0].score - c.score <= RELATED_WINDOW]


def without_identifiers(text: str) -> str:
    """The question without order, tracking or phone numbers (the text itself when nothing else is left)."""
    stripped = " ".join(IDENTIFIER.sub(" ", text).split())
    return stripped if any(ch.isalpha() for ch in stripped) else text


def pick_answer(answers: dict[str, str], lang: str | None) -> tuple[str, str]:
    """The answer in the customer's language if the entry has it, else in a language it has."""
    if lang and answers.get(lang):
        return answers[lang], lang
    for other in ("zh", "en", *answers):
        if answers.get(other):
            return answers[other], other
    return "", lang or ""


class KnowledgeBase:
    """Searches the newest published index; checks for a newer version at most every `reload_check_s`."""

    def __init__(self, index_dir: Path, embedder: Embedder, thresholds: Thresholds, top_k: int = 5,
                 reload_check_s: float = 1.0, model_resolver: Callable[[], str] | None = None,
                 lexical_weight: float = 0.0, answer_weight: float = 0.0) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        # Which model the settings name now (it changes when `tune` produces a new one).
        self.model_resolver = model_resolver or (lambda: embedder.model_name)
        self.thresholds = thresholds
        self.top_k = top_k
        self.reload_check_s = reload_check_s
        # Weight of word overlap next to embedding similarity when re-ranking the top_k entries (0: off).
        self.lexical_weight = lexical_weight
        # Weight of a candidate's answer similarity next to its best variant's (0: variants only).
        self.answer_weight = answer_weight
        self._index: FaqIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(self) -> FaqIndex:
        """The loaded index, swapped for a newer published version when there is one."""
        now = time.monotonic()
        if self._index is not None and now - self._checked < self.reload_check_s:
            return self._index
        with self._lock:
            self._checked = now
            latest = current_version(self.index_dir)
            if self._index is None or (latest is not None and latest != self._index.version):
                self._index = FaqIndex.load(self.index_dir, latest)
                if self._index.meta.model != self.embedder.fingerprint:
                    self._follow_model(self._index.meta.model)
            return self._index

    def refresh(self) -> None:
        """Look for a newer published index at the next search (this process just published one)."""
        self._checked = float("-inf")

    def _follow_model(self, wanted: str) -> None:
        """The new index was built by another (re-tuned) model: load that model for queries too."""
        name = self.model_resolver()
        if fingerprint(name) == wanted:
            logger.info("embedding model changed to %s; reloading it", wanted)
            self.embedder = Embedder(name, onnx_queries=self.embedder.onnx_queries)
        else:
            logger.warning("index v%s was built with %s but queries use %s: run `python -m knowledge_base "
                           "build-index`", self._index.version if self._index else "?", wanted,
                           self.embedder.fingerprint)

    def ask(self, text: str, lang: str | None = None) -> Result:
        """Search one question and decide."""
        return self.ask_many([text], lang)[0]

    def ask_many(self, texts: list[str], lang: str | None = None,
                 langs: list[str | None] | None = None) -> list[Result]:
        """Search questions in one batch (the model runs once) and decide for each, all in `lang` or each in its own
        of `langs`."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        each = langs if langs is not None else [lang] * len(texts)
        index = self.current()
        if len(index) == 0:
            raise EmptyKnowledgeBaseError("the published knowledge base is empty")
        queries = [without_identifiers(text) for text in texts]
        vectors = self.embedder.encode(queries, kind=VARIANT_PROMPT)
        # Several variants of one entry may match: fetch more rows than entries wanted.
        scores, rows = index.search(vectors, self.top_k * ROWS_PER_ENTRY)
        return [self._result(text, query, each[i], vectors[i], scores[i], rows[i], index)
                for i, (text, query) in enumerate(zip(texts, queries, strict=True))]

    def _result(self, text: str, query: str, lang: str | None, vector: np.ndarray, scores: np.ndarray,
                rows: np.ndarray, index: FaqIndex) -> Result:
        meta = index.meta
        asked_in = text_lang(query, lang)
        best: dict[str, Candidate] = {}
        for score, row in zip(scores, rows, strict=True):
            if row < 0:
                continue
            faq_id = meta.entry_ids[row]
            if faq_id in best:
                continue  # rows come best first: the first hit of an entry is its best variant
            answer, answer_lang = pick_answer(meta.answers.get(faq_id, {}), lang)
            best[faq_id] = Candidate(faq_id, meta.questions[row], meta.langs[row], answer, answer_lang,
                                     float(score), meta.categories.get(faq_id, ""))
        self._match_answers(vector, asked_in, list(best.values()), index)
        ranked = sorted(best.values(), key=lambda c: -c.score)[: self.top_k]
        candidates = self._rerank(query, asked_in, ranked, index)
        model = self.thresholds.confidence
        confidence = model.of(candidates[0], candidates[1] if len(candidates) > 1 else None) \
            if model is not None and candidates else None
        decision, offered = decide([c.score for c in candidates], self.thresholds, confidence)
        choices = candidates[:offered] if decision == CLARIFY else []
        near = related(candidates, self.thresholds) if decision == UNRESOLVED else []
        return Result(text, decision, candidates, vector, index.version, choices, near, confidence)

    def _match_answers(self, vector: np.ndarray, lang: str, candidates: list[Candidate], index: FaqIndex) -> None:
        """Fold each candidate's answer similarity into its score, and give back the language gap where due.

        score = (best variant + a × best answer) / (1 + a). An entry with no variant in the question's language
        was only matched against translations, so it gets the gap its KB measured for that (both terms) back.
        """
        meta, weight = index.meta, self.answer_weight
        answers = index.answer_vectors if weight > 0 else None
        gap = meta.language_gap
        if answers is not None:
            gap = (meta.language_gap + weight * meta.answer_language_gap) / (1 + weight)
        for candidate in candidates:
            if answers is not None and (rows := index.answer_rows.get(candidate.faq_id)):
                answer_score = float(np.max(answers[rows] @ vector))
                candidate.score = (candidate.score + weight * answer_score) / (1 + weight)
            has = index.entry_langs.get(candidate.faq_id)
            if has and lang not in has:
                candidate.score += gap
                candidate.cross_lingual = True

    def _rerank(self, text: str, lang: str, candidates: list[Candidate], index: FaqIndex) -> list[Candidate]:
        """Candidates scored by similarity fused with word overlap (when enabled), best first."""
        if not candidates:
            return candidates
        # The word-overlap index belongs to the same version as the vectors just searched.
        overlaps = index.lexical.scores(text, lang, [c.faq_id for c in candidates])
        known = [o for o in overlaps if o is not None]
        for candidate, overlap in zip(candidates, overlaps, strict=True):
            candidate.overlap = overlap if overlap is not None else max(known, default=0.0)
        if self.lexical_weight <= 0 or len(candidates) < 2:
            return candidates
        fused = fuse([c.score for c in candidates], overlaps, self.lexical_weight)
        for candidate, score in zip(candidates, fused, strict=True):
            candidate.score = score
        return sorted(candidates, key=lambda c: -c.score)

    def tier_answer(self, faq_id: str, tier: str | None, lang: str) -> str | None:
        """The entry's own answer for a customer tier (names compared without case), in the language of the answer
        being given; None when the tier has none, so the entry's answer stands."""
        wanted = (tier or "").strip().casefold()
        if not wanted:
            return None
        tiers = self.current().meta.tier_answers.get(faq_id) or {}
        texts = next((t for name, t in tiers.items() if name.strip().casefold() == wanted), None)
        return (texts or {}).get(lang) or None

    def entry(self, faq_id: str, lang: str | None) -> Candidate | None:
        """An entry of the current index by id (for a clarification the customer picked), or None."""
        meta = self.current().meta
        if faq_id not in meta.answers:
            return None
        row = next((i for i, e in enumerate(meta.entry_ids) if e == faq_id and meta.langs[i] == lang),
                   meta.entry_ids.index(faq_id) if faq_id in meta.entry_ids else -1)
        answer, answer_lang = pick_answer(meta.answers[faq_id], lang)
        question = meta.questions[row] if row >= 0 else faq_id
        question_lang = meta.langs[row] if row >= 0 else answer_lang
        return Candidate(faq_id, question, question_lang, answer, answer_lang, 1.0, meta.categories.get(faq_id, ""))
