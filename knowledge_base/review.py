"""The review queue: questions the bot failed on, grouped by meaning, until ops staff resolve them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kefu.db import utcnow
from kefu.pii import mask
from knowledge_base.db import ReviewCluster, ReviewItem
from knowledge_base.embedder import Embedder
from knowledge_base.errors import EntryNotFoundError, KnowledgeBaseError
from knowledge_base.io import EntryData
from knowledge_base.publish import VARIANT_PROMPT
from knowledge_base.store import KnowledgeStore

KINDS = ("unresolved", "unhelpful", "ignored_clarification", "off_topic", "agent_answer")
TOPICS = ("shop", "off_topic")
EXAMPLES = 5


@dataclass
class ClusterInfo:
    """A cluster as lists show it."""

    id: int
    status: str
    topic: str
    count: int
    first_seen: datetime
    last_seen: datetime
    examples: list[str]
    langs: dict[str, int]
    channels: dict[str, int]
    kinds: dict[str, int]
    top_candidates: list[dict[str, Any]]
    resolution: str | None
    resolved_faq_id: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        data = dict(self.__dict__)
        data["first_seen"] = self.first_seen.isoformat()
        data["last_seen"] = self.last_seen.isoformat()
        return data


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _info(cluster: ReviewCluster) -> ClusterInfo:
    items = cluster.items
    examples: list[str] = []
    for item in reversed(items):  # newest first, distinct
        if mask(item.text) not in examples:
            examples.append(mask(item.text))
        if len(examples) == EXAMPLES:
            break

    def tally(values: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in values:
            out[v] = out.get(v, 0) + 1
        return out

    best: dict[str, dict[str, Any]] = {}
    for item in items:
        for cand in item.candidates[:3]:
            known = best.get(cand["faq_id"])
            if known is None or cand["score"] > known["score"]:
                best[cand["faq_id"]] = {"faq_id": cand["faq_id"], "question": cand.get("question", ""),
                                        "score": cand["score"]}
    top = sorted(best.values(), key=lambda c: -c["score"])[:3]
    return ClusterInfo(cluster.id, cluster.status, cluster.topic, cluster.count, cluster.first_seen,
                       cluster.last_seen, examples,
                       tally([i.lang for i in items]), tally([i.channel for i in items]),
                       tally([i.kind for i in items]), top, cluster.resolution, cluster.resolved_faq_id)


@dataclass(frozen=True)
class ReviewRow:
    """One open shop question of the review queue, with its cluster's id and size; created_at is aware UTC."""

    cluster_id: int
    cluster_count: int
    text: str
    lang: str
    channel: str
    created_at: datetime


class ReviewReader:
    """Reads of the review queue's tables, for lists and the dashboard; needs no model."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store

    def open_questions(self, start: datetime, end: datetime, channel: str | None = None,
                       lang: str | None = None) -> list[ReviewRow]:
        """Items of open shop clusters (off-topic messages are not gaps in the knowledge base) recorded in
        [start, end), optionally of one channel and language, in the order they were recorded."""
        query = (select(ReviewItem.cluster_id, ReviewCluster.count, ReviewItem.text, ReviewItem.lang,
                        ReviewItem.channel, ReviewItem.created_at)
                 .join(ReviewCluster, ReviewItem.cluster_id == ReviewCluster.id)
                 .where(ReviewCluster.status == "open", ReviewCluster.topic == "shop",
                        ReviewItem.created_at >= start, ReviewItem.created_at < end)
                 .order_by(ReviewItem.id))
        if channel is not None:
            query = query.where(ReviewItem.channel == channel)
        if lang is not None:
            query = query.where(ReviewItem.lang == lang)
        with self.store.session() as s:
            rows = s.execute(query).all()
        return [ReviewRow(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]),
                          r[5] if r[5].tzinfo else r[5].replace(tzinfo=UTC)) for r in rows]


class ReviewQueue(ReviewReader):
    """Records failures (before the customer is answered) and groups near-duplicates into clusters."""

    def __init__(self, store: KnowledgeStore, embedder: Embedder, threshold: float) -> None:
        super().__init__(store)
        self.embedder = embedder
        self.threshold = threshold

    def record(self, *, text: str, kind: str, lang: str, conversation_id: str, channel: str,
               candidates: list[dict[str, Any]], failed_faq_id: str | None = None,
               vector: np.ndarray | None = None, proposed_answer: str | None = None,
               proposed_by: str | None = None) -> tuple[int, int]:
        """Store one failure (or, kind agent_answer, a question with the answer an agent proposes); return (item id,
        cluster id). Pass the question's vector if it is at hand."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        # Ops read the queue and its questions become FAQ variants: personal data is masked before it is stored.
        text = mask(text)
        if vector is None:
            vector = self.embedder.encode([text], kind=VARIANT_PROMPT)[0]
        vector = _unit(np.asarray(vector, dtype=np.float32))
        # Off-topic messages cluster only among themselves, so a shop question never hides in an off-topic cluster.
        topic = "off_topic" if kind == "off_topic" else "shop"
        with self.store.session() as s:
            clusters = list(s.scalars(select(ReviewCluster).where(ReviewCluster.status == "open",
                                                                  ReviewCluster.topic == topic)))
            cluster = None
            if clusters:
                centres = np.vstack([np.frombuffer(c.centroid, dtype=np.float32) for c in clusters])
                sims = centres @ vector
                best = int(np.argmax(sims))
                if sims[best] >= self.threshold:
                    cluster = clusters[best]
            now = utcnow()
            if cluster is None:
                cluster = ReviewCluster(status="open", topic=topic, count=0, first_seen=now, last_seen=now,
                                        centroid=vector.tobytes())
                s.add(cluster)
                s.flush()
            else:
                # Running mean of the members, kept unit length.
                centre = np.frombuffer(cluster.centroid, dtype=np.float32)
                cluster.centroid = _unit(centre * cluster.count + vector).astype(np.float32).tobytes()
            cluster.count += 1
            cluster.last_seen = now
            item = ReviewItem(kind=kind, text=text, lang=lang, conversation_id=conversation_id, channel=channel,
                              candidates=candidates, failed_faq_id=failed_faq_id, cluster_id=cluster.id,
                              created_at=now, proposed_answer=proposed_answer, proposed_by=proposed_by)
            s.add(item)
            s.flush()
            return item.id, cluster.id

    def clusters(self, status: str | None = "open", order: str = "count", limit: int = 50,
                 topic: str | None = None) -> list[ClusterInfo]:
        """Clusters by count (then recency) or by recency; of one topic (shop, off_topic) or all."""
        with self.store.session() as s:
            query = select(ReviewCluster).options(selectinload(ReviewCluster.items))
            if status:
                query = query.where(ReviewCluster.status == status)
            if topic:
                query = query.where(ReviewCluster.topic == topic)
            if order == "recent":
                query = query.order_by(ReviewCluster.last_seen.desc())
            else:
                query = query.order_by(ReviewCluster.count.desc(), ReviewCluster.last_seen.desc())
            return [_info(c) for c in s.scalars(query.limit(limit))]

    def cluster(self, cluster_id: int) -> tuple[ClusterInfo, list[dict[str, Any]]]:
        """A cluster and all its items."""
        with self.store.session() as s:
            cluster = s.get(ReviewCluster, cluster_id, options=[selectinload(ReviewCluster.items)])
            if cluster is None:
                raise EntryNotFoundError(f"no review cluster {cluster_id}")
            items = [{"id": i.id, "at": i.created_at.isoformat(), "kind": i.kind, "text": mask(i.text), "lang": i.lang,
                      "conversation_id": i.conversation_id, "channel": i.channel, "candidates": i.candidates,
                      "failed_faq_id": i.failed_faq_id, "proposed_answer": i.proposed_answer,
                      "proposed_by": i.proposed_by} for i in cluster.items]
            return _info(cluster), items

    def counts(self) -> dict[str, int]:
        """Number of clusters per status."""
        with self.store.session() as s:
            rows = s.execute(select(ReviewCluster.status, func.count()).group_by(ReviewCluster.status))
            return {status: int(n) for status, n in rows}

    def _questions(self, cluster_id: int, lang: str | None = None) -> dict[str, list[str]]:
        _, items = self.cluster(cluster_id)
        by_lang: dict[str, list[str]] = {}
        for item in items:
            if lang and item["lang"] != lang:
                continue
            texts = by_lang.setdefault(item["lang"], [])
            if item["text"] not in texts:
                texts.append(item["text"])
        return by_lang

    def _close(self, cluster_id: int, resolution: str, author: str, faq_id: str | None, note: str | None) -> None:
        with self.store.session() as s:
            cluster = s.get(ReviewCluster, cluster_id)
            if cluster is None:
                raise EntryNotFoundError(f"no review cluster {cluster_id}")
            if cluster.status != "open":
                raise KnowledgeBaseError(f"review cluster {cluster_id} is already {cluster.status}")
            cluster.status = "dismissed" if resolution == "dismissed" else "resolved"
            cluster.resolution, cluster.resolved_faq_id = resolution, faq_id
            cluster.resolved_by, cluster.resolved_at, cluster.note = author, utcnow(), note

    def resolve_new_entry(self, cluster_id: int, entry: EntryData, author: str) -> EntryData:
        """Create a published entry whose variants are the cluster's questions (plus any given)."""
        for lang, texts in self._questions(cluster_id).items():
            current = entry.variants.setdefault(lang, [])
            current += [t for t in texts if t not in current]
        try:
            self.store.get(entry.id)
        except EntryNotFoundError:
            pass
        else:
            raise KnowledgeBaseError(f"FAQ entry {entry.id!r} exists already: resolve as a variant of it instead")
        if not entry.answers:
            raise KnowledgeBaseError("a new entry needs an answer in at least one language")
        entry.status = "published"
        self.store.save(entry, author, f"from-review-{cluster_id}")
        self._close(cluster_id, "new_entry", author, entry.id, None)
        return entry

    def resolve_as_variants(self, cluster_id: int, faq_id: str, author: str) -> EntryData:
        """Add the cluster's questions as variants of an existing entry."""
        data = self.store.get(faq_id)
        for lang, texts in self._questions(cluster_id).items():
            current = data.variants.setdefault(lang, [])
            current += [t for t in texts if t not in current]
        self.store.save(data, author, f"variants-from-review-{cluster_id}")
        self._close(cluster_id, "variant", author, faq_id, None)
        return data

    def dismiss(self, cluster_id: int, author: str, note: str | None = None) -> None:
        """Close a cluster without changing the knowledge base."""
        self._close(cluster_id, "dismissed", author, None, note)
