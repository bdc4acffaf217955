"""Answer a question from the published index: answer, clarify with choices, or admit it is unresolved."""

from __future__ import annotations

import logging
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
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """Cosine-similarity cut-offs for the three decisions (calibrated by bench/kb_eval.py --calibrate)."""

    answer: float
    margin: float
    clarify: float
    window: float
    # A near-verbatim match of a variant is answered whatever the runner-up scores.
    certain: float = 1.01

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        """Read the kb_* thresholds from Settings."""
        return cls(settings.kb_answer_threshold, settings.kb_answer_margin, settings.kb_clarify_threshold,
                   settings.kb_clarify_window, settings.kb_answer_certain)


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

    def as_dict(self) -> dict[str, Any]:
        """`{"query", "decision", "results": [...]}` as `search --json(l)` prints it."""
        return {"query": self.query, "decision": self.decision, "results": [c.as_dict() for c in self.candidates]}


def decide(scores: list[float], t: Thresholds) -> tuple[str, int]:
    """The decision for entry scores sorted best first, and how many candidates to offer when clarifying."""
    if not scores or scores[0] < t.clarify:
        return UNRESOLVED, 0
    second = scores[1] if len(scores) > 1 else -1.0
    if scores[0] >= t.certain or (scores[0] >= t.answer and scores[0] - second >= t.margin):
        return ANSWER, 1
    close = [s for s in scores[:3] if s >= t.clarify and scores[0] - s <= t.window]
    return CLARIFY, max(1, len(close))


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

    def ask_many(self, texts: list[str], lang: str | None = None) -> list[Result]:
        """Search questions in one batch (the model runs once) and decide for each."""
        index = self.current()
        if len(index) == 0:
            raise EmptyKnowledgeBaseError("the published knowledge base is empty")
        vectors = self.embedder.encode(texts, kind=VARIANT_PROMPT)
        # Several variants of one entry may match: fetch more rows than entries wanted.
        scores, rows = index.search(vectors, self.top_k * ROWS_PER_ENTRY)
        return [self._result(text, lang, vectors[i], scores[i], rows[i], index) for i, text in enumerate(texts)]

    def _result(self, text: str, lang: str | None, vector: np.ndarray, scores: np.ndarray, rows: np.ndarray,
                index: FaqIndex) -> Result:
        meta = index.meta
        asked_in = text_lang(text, lang)
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
        candidates = self._rerank(text, asked_in, ranked, index)
        decision, offered = decide([c.score for c in candidates], self.thresholds)
        choices = candidates[:offered] if decision == CLARIFY else []
        return Result(text, decision, candidates, vector, index.version, choices)

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

    def _rerank(self, text: str, lang: str, candidates: list[Candidate], index: FaqIndex) -> list[Candidate]:
        """Candidates scored by similarity fused with word overlap (when enabled), best first."""
        if self.lexical_weight <= 0 or len(candidates) < 2:
            return candidates
        # The word-overlap index belongs to the same version as the vectors just searched.
        overlaps = index.lexical.scores(text, lang, [c.faq_id for c in candidates])
        fused = fuse([c.score for c in candidates], overlaps, self.lexical_weight)
        for candidate, score in zip(candidates, fused, strict=True):
            candidate.score = score
        return sorted(candidates, key=lambda c: -c.score)

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
