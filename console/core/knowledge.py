"""The knowledge base as the ops console uses it: the store, the review queue, a searcher, and publishing."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import Any

from bot.language import detect_language
from kefu.config import Settings
from kefu.pii import mask
from knowledge_base import service
from knowledge_base.answering import ANSWER, CLARIFY, KnowledgeBase, Result
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.review import ReviewQueue
from knowledge_base.store import KnowledgeStore

logger = logging.getLogger(__name__)


def _suggestions(result: Result, limit: int) -> list[dict[str, Any]]:
    """The best candidates of a search as agent assist shows them."""
    return [{"faq_id": c.faq_id, "question": c.question, "answer": c.answer, "lang": c.answer_lang,
             "score": round(c.score, 4), "category": c.category} for c in result.candidates[:limit]]


class Curator:
    """One per console process; the embedding model loads on first use (or in warm_up, off the request path)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: KnowledgeStore = service.store(settings)
        # Two ops users publishing at once would both embed and write an index; one after the other is enough.
        self._publishing = threading.Lock()

    @cached_property
    def searcher(self) -> KnowledgeBase:
        """Searches the newest published index (the same one the bot answers from)."""
        return service.knowledge_base(self.settings)

    @cached_property
    def queue(self) -> ReviewQueue:
        """The review queue of unanswered questions."""
        return service.review_queue(self.settings)

    def warm_up(self) -> None:
        """Load the embedding model and the index, so the first publish or try-it does not wait for them."""
        try:
            self.searcher.ask("warm-up", "zh")
        except KnowledgeBaseError as exc:
            logger.info("knowledge base not warmed up: %s", exc)

    def publish(self) -> dict[str, Any]:
        """Rebuild the index from the published entries; the bot swaps it in within kb_reload_check_s.

        The change is already stored when this runs: a failure here is reported, and the next publish catches up.
        """
        with self._publishing:
            try:
                index = service.publish(self.settings)
            except KnowledgeBaseError as exc:
                logger.warning("index not rebuilt: %s", exc)
                return {"published": False, "index_version": self.store.version(), "publish_error": str(exc)}
        if "searcher" in self.__dict__:  # the try-it box answers from the new version at once
            self.searcher.refresh()
        return {"published": True, "index_version": index.version, "vectors": len(index)}

    def try_question(self, text: str, lang: str | None) -> dict[str, Any]:
        """What the bot would answer: the decision, the scored candidates, and the reply it would give."""
        language = lang or detect_language(text) or "zh"
        result = self.searcher.ask(text, language)
        thresholds = self.searcher.thresholds
        reply: dict[str, Any]
        if result.decision == ANSWER:
            best = result.candidates[0]
            reply = {"kind": "answer", "faq_id": best.faq_id, "text": best.answer, "lang": best.answer_lang}
        elif result.decision == CLARIFY:
            reply = {"kind": "clarify", "choices": [{"faq_id": c.faq_id, "question": c.question}
                                                    for c in result.choices]}
        else:
            reply = {"kind": "unresolved", "related": [{"faq_id": c.faq_id, "question": c.question}
                                                       for c in result.related]}
        return {
            "query": text, "lang": language, "decision": result.decision, "index_version": result.version,
            "confidence": None if result.confidence is None else round(result.confidence, 4),
            "candidates": [{**c.as_dict(), "category": c.category, "matched": c.question,
                            "matched_lang": c.question_lang} for c in result.candidates],
            "reply": reply,
            "thresholds": {"answer": thresholds.answer, "margin": thresholds.margin,
                           "clarify": thresholds.clarify, "window": thresholds.window,
                           "certain": thresholds.certain, "related": thresholds.related,
                           "answer_confidence": thresholds.answer_confidence if thresholds.confidence else None,
                           "clarify_confidence": thresholds.clarify_confidence if thresholds.confidence else None},
        }

    def suggest(self, text: str, language: str, limit: int = 3) -> list[dict[str, Any]]:
        """The entries nearest to a customer's message, best first, each answer in their language where it has one
        (agent assist: the agent reads, edits and sends). Empty when the knowledge base is not ready."""
        try:
            result = self.searcher.ask(text, language if language in ("zh", "en") else "zh")
        except KnowledgeBaseError as exc:
            logger.info("no suggestions: %s", exc)
            return []
        return _suggestions(result, limit)

    def propose(self, question: str, answer: str, escalation: dict[str, Any], agent_name: str) -> tuple[int, int]:
        """Send a question with the answer an agent gave to the review queue (kind agent_answer), clustered with
        the same questions customers asked; (item id, cluster id)."""
        language = escalation["language"] if escalation["language"] in ("zh", "en") else (
            detect_language(question) or "zh")
        question = mask(question)  # what the queue stores, and so what is searched and clustered
        # One embedding: the search's vector clusters the item, as the FAQ action's failures are clustered.
        result = self.searcher.ask(question, language)
        candidates = [{"faq_id": c["faq_id"], "question": c["question"], "score": c["score"]}
                      for c in _suggestions(result, 3)]
        return self.queue.record(text=question, kind="agent_answer", lang=language,
                                 conversation_id=escalation["conversation_id"], channel=escalation["channel"],
                                 candidates=candidates, vector=result.vector, proposed_answer=answer,
                                 proposed_by=agent_name)

    def nearest(self, texts: list[str], limit: int = 5) -> list[dict[str, Any]]:
        """The published entries nearest to any of these questions now, best score first."""
        if not texts:
            return []
        try:
            results = self.searcher.ask_many(texts[:5])
        except KnowledgeBaseError:
            return []
        best: dict[str, dict[str, Any]] = {}
        for result in results:
            for c in result.candidates:
                known = best.get(c.faq_id)
                if known is None or c.score > known["score"]:
                    best[c.faq_id] = {"faq_id": c.faq_id, "question": c.question, "category": c.category,
                                      "score": round(c.score, 4)}
        return sorted(best.values(), key=lambda c: -c["score"])[:limit]
