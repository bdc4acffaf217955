"""The knowledge base as the action server sees it: one searcher and review queue per process, and recent results.

Rasa's KB-aware routing (bot/nlu/kb_router.py) asks `/kb/signal` about a message a few milliseconds before
`action_answer_faq` asks about the same text: `ask` keeps each result for a short while (for the index version it
came from), so the question is embedded and searched once. A replica that did not see the signal just searches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from kefu.config import get_settings
from knowledge_base import follow_ups, service
from knowledge_base.answering import KnowledgeBase, Result
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.review import ReviewQueue

logger = logging.getLogger(__name__)
RECENT = 256
RECENT_TTL_S = 30.0
# (index folder, index version, text, language) → (when, result)
_recent: OrderedDict[tuple[str, int, str, str | None], tuple[float, Result]] = OrderedDict()
_recent_lock = threading.Lock()


# Set once the model and index are loaded (or failed to load): until then /kb/health answers 503.
warmed = threading.Event()
warmed.set()


def start_warm_up() -> None:
    """Load the model and index in a background thread, so the first customer does not wait for them."""
    warmed.clear()

    def warm_up() -> None:
        try:
            knowledge_base().ask("warm-up", "zh")
        except KnowledgeBaseError as exc:
            logger.warning("knowledge base not ready at start-up: %s", exc)
        finally:
            warmed.set()

    threading.Thread(target=warm_up, name="kb-warm-up", daemon=True).start()


# The warm-up thread and the first requests ask for these at once after a (re)start; without the lock each could
# build its own searcher and load the model and index again beside the others (lru_cache does not prevent it).
_building = threading.Lock()


def knowledge_base() -> KnowledgeBase:
    """The action server's searcher over the published index (loads the model on first use)."""
    with _building:
        return _knowledge_base()


def review_queue() -> ReviewQueue:
    """The action server's review queue."""
    with _building:
        return _review_queue()


@lru_cache(maxsize=1)
def _knowledge_base() -> KnowledgeBase:
    return service.knowledge_base()


@lru_cache(maxsize=1)
def _review_queue() -> ReviewQueue:
    return service.review_queue()


def ask(text: str, lang: str | None) -> Result:
    """The KB's result for a question: a recent one for the same text, language and index version, or a search."""
    return ask_each([(text, lang)])[0]


def ask_each(questions: list[tuple[str, str | None]]) -> list[Result]:
    """The KB's result for each (text, language): recent ones as `ask` keeps them, the others searched together
    (the model runs once for them: under load the NLU workers ask about several messages at a time)."""
    kb = knowledge_base()
    version = kb.current().version
    keys = [(str(kb.index_dir), version, text, lang) for text, lang in questions]
    now = time.monotonic()
    with _recent_lock:
        results = [_kept(key, now) for key in keys]
    missing = list(dict.fromkeys(key for key, result in zip(keys, results, strict=True) if result is None))
    found: dict[tuple[str, int, str, str | None], Result] = {}
    if missing:
        found = dict(zip(missing, kb.ask_many([key[2] for key in missing], langs=[key[3] for key in missing]),
                         strict=True))
        with _recent_lock:
            for key, result in found.items():
                _recent[key] = (now, result)
                _recent.move_to_end(key)
            while len(_recent) > RECENT:
                _recent.popitem(last=False)
    return [result or found[key] for key, result in zip(keys, results, strict=True)]


def _kept(key: tuple[str, int, str, str | None], now: float) -> Result | None:
    """The kept result for a key while it is fresh (marked as just used), else None; hold `_recent_lock`."""
    hit = _recent.get(key)
    if hit is None or now - hit[0] >= RECENT_TTL_S:
        return None
    _recent.move_to_end(key)
    return hit[1]


def recent(text: str, langs: tuple[str | None, ...] = ("zh", "en", None)) -> Result | None:
    """The result `ask` keeps for this text (in the first of `langs` it has one for), without searching: None when
    there is none or it is too old."""
    kb = knowledge_base()
    version = kb.current().version
    now = time.monotonic()
    with _recent_lock:
        return next((r for lang in langs if (r := _kept((str(kb.index_dir), version, text, lang), now))), None)


def signal(result: Result) -> dict[str, Any]:
    """What routing needs to know of a result: the decision, the best score, its margin, and whether it is a shop
    question at all (the best entry scores at least KEFU_KB_SHOP_THRESHOLD)."""
    scores = [c.score for c in result.candidates]
    best = scores[0] if scores else 0.0
    second = scores[1] if len(scores) > 1 else 0.0
    top = result.candidates[0] if result.candidates else None
    return {
        "decision": result.decision,
        "score": round(best, 4),
        "margin": round(best - second, 4),
        "faq_id": top.faq_id if top else None,
        "category": top.category if top else None,
        "shop": best >= get_settings().kb_shop_threshold,
        "version": result.version,
    }


# Ops' switches reach every action server within this many seconds (the suggestions are read whole, then kept).
FOLLOW_UPS_TTL_S = 10.0
_follow_ups: tuple[float, dict[str, list[str]]] = (float("-inf"), {})
_follow_ups_lock = threading.Lock()


def follow_ups_of(faq_id: str) -> list[str]:
    """The entries the bot offers after answering this one (learned from the conversations, switched on by ops);
    none while the knowledge base's database is away."""
    global _follow_ups
    now = time.monotonic()
    with _follow_ups_lock:
        at, offered = _follow_ups
    if now - at >= FOLLOW_UPS_TTL_S:
        try:
            offered = follow_ups.offered(service.store())
        except KnowledgeBaseError as exc:
            logger.warning("follow-up questions not read: %s", exc)
        with _follow_ups_lock:
            _follow_ups = (now, offered)
    return list(offered.get(faq_id, []))
