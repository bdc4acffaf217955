"""The review queue: clusters of questions the bot could not answer, and the three ways to close one."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from console.api.models import ClusterDetailOut, ClustersOut, DismissedOut, PublishedEntryOut, errors
from console.api.routes.kb import EntryIn
from console.deps import CuratorDep, OpsDep
from knowledge_base.io import LANGS

router = APIRouter(prefix="/api/kb/review", tags=["review queue"], responses=errors(401, 403))


class VariantsIn(BaseModel):
    """The entry that the cluster's questions are new phrasings of."""

    faq_id: str = Field(min_length=1, max_length=64)


class DismissIn(BaseModel):
    """Why the cluster needs no answer (spam, out of scope, already handled)."""

    note: str | None = Field(default=None, max_length=1000)


def _suggested_id(curator: CuratorDep, category: str, cluster_id: int) -> str:
    """A free id in the demo's style (category-NNN), else review-N."""
    if re.fullmatch(r"[a-z_]+", category):
        taken = {e.id for e in curator.store.entries(category=category)}
        numbers = [int(m.group(1)) for i in taken if (m := re.fullmatch(rf"{category}-(\d+)", i))]
        candidate = f"{category}-{max(numbers, default=0) + 1:03d}"
        if candidate not in taken:
            return candidate
    return f"review-{cluster_id}"


@router.get("/clusters", response_model=ClustersOut)
def read_clusters(user: OpsDep, curator: CuratorDep,
                  status: Literal["open", "resolved", "dismissed", "all"] = "open",
                  order: Literal["count", "recent"] = "count",
                  topic: Literal["shop", "off_topic", "all"] = "shop",
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Clusters by count (then recency) or by recency, with examples, languages, channels and stored candidates;
    shop questions by default, off-topic messages (weather, poems) apart."""
    clusters = curator.queue.clusters(None if status == "all" else status, order, limit,
                                      None if topic == "all" else topic)
    return {"counts": curator.queue.counts(), "clusters": [c.as_dict() for c in clusters]}


@router.get("/clusters/{cluster_id}", response_model=ClusterDetailOut, responses=errors(404))
def read_cluster(cluster_id: int, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """A cluster, every question in it, the entries nearest to it now, and a prefilled draft of a new entry."""
    info, items = curator.queue.cluster(cluster_id)
    nearest = curator.nearest(info.examples)
    questions: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for item in items:
        texts = questions.setdefault(item["lang"], [])
        if item["text"] not in texts:
            texts.append(item["text"])
    category = nearest[0]["category"] if nearest and nearest[0].get("category") else "general"
    # An agent's proposal (the desk's "save as FAQ") fills the answer in its language; the newest one wins.
    proposed = {item["lang"]: item["proposed_answer"] for item in items if item.get("proposed_answer")}
    draft = {"id": _suggested_id(curator, category, cluster_id), "category": category, "status": "published",
             "answers": {lang: proposed.get(lang, "") for lang in LANGS}, "variants": questions}
    return {"cluster": info.as_dict(), "items": items, "nearest": nearest, "draft": draft}


# Published or not, the publish fields differ (vectors or publish_error): the absent one stays out of the JSON.
@router.post("/clusters/{cluster_id}/new-entry", response_model=PublishedEntryOut, response_model_exclude_unset=True,
             responses=errors(404, 409))
def resolve_new_entry(cluster_id: int, body: EntryIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Create a published entry from the cluster (its questions become variants) and publish it at once."""
    entry = curator.queue.resolve_new_entry(cluster_id, body.data(), user["username"])
    return {"entry": entry.snapshot(), **curator.publish()}


@router.post("/clusters/{cluster_id}/variants", response_model=PublishedEntryOut, response_model_exclude_unset=True,
             responses=errors(404, 409))
def resolve_as_variants(cluster_id: int, body: VariantsIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Add the cluster's questions to an existing entry and publish at once."""
    entry = curator.queue.resolve_as_variants(cluster_id, body.faq_id, user["username"])
    return {"entry": entry.snapshot(), **curator.publish()}


@router.post("/clusters/{cluster_id}/dismiss", response_model=DismissedOut, responses=errors(404, 409))
def dismiss_cluster(cluster_id: int, body: DismissIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Close the cluster without changing the knowledge base."""
    curator.queue.dismiss(cluster_id, user["username"], body.note)
    return {"dismissed": cluster_id}
