import pytest

from knowledge_base import service
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.io import EntryData


def test_near_duplicates_share_a_cluster_and_resolving_teaches_the_bot(kb_settings) -> None:
    queue = service.review_queue(kb_settings)
    kb = service.knowledge_base(kb_settings)
    kb.reload_check_s = 0
    asked = ["你们有实体店吗", "你们有没有实体店", "do you have physical stores", "可以开发票给个人吗"]
    results = [kb.ask(q, "zh") for q in asked]
    ids = [
        queue.record(
            text=q,
            kind="unresolved",
            lang="zh",
            conversation_id=f"c{i}",
            channel="rest",
            candidates=[c.as_dict() for c in r.candidates],
            vector=r.vector,
        )
        for i, (q, r) in enumerate(zip(asked, results, strict=True))
    ]
    assert ids[0][1] == ids[1][1]  # same meaning, same cluster
    assert ids[3][1] != ids[0][1]
    top = queue.clusters()[0]
    assert top.id == ids[0][1] and top.count >= 2
    assert "你们有实体店吗" in top.examples and top.channels == {"rest": top.count}

    entry = queue.resolve_new_entry(
        top.id,
        EntryData(
            "stores",
            "general",
            answers={"zh": "我们没有实体店，只在线上销售。", "en": "We sell online only."},
        ),
        author="ops",
    )
    assert "你们有没有实体店" in entry.variants["zh"]
    service.publish(kb_settings)
    answer = kb.ask("你们有实体店吗", "zh")
    assert answer.decision == "answer" and answer.candidates[0].faq_id == "stores"
    assert queue.clusters(status="resolved")[0].resolved_faq_id == "stores"
    with pytest.raises(KnowledgeBaseError, match="already resolved"):
        queue.dismiss(top.id, "ops")


def test_resolve_as_variants_and_dismiss(kb_settings) -> None:
    queue = service.review_queue(kb_settings)
    _, cluster = queue.record(
        text="退款咋还没到账",
        kind="unhelpful",
        lang="zh",
        conversation_id="c",
        channel="socketio",
        candidates=[],
        failed_faq_id="refund-time",
    )
    queue.resolve_as_variants(cluster, "refund-time", "ops")
    assert "退款咋还没到账" in service.store(kb_settings).get("refund-time").variants["zh"]
    _, other = queue.record(
        text="asdfgh", kind="unresolved", lang="en", conversation_id="c", channel="rest", candidates=[]
    )
    queue.dismiss(other, "ops", note="noise")
    info, items = queue.cluster(other)
    assert info.status == "dismissed" and items[0]["text"] == "asdfgh"


def test_unknown_kind_is_refused(kb_settings) -> None:
    with pytest.raises(ValueError):
        service.review_queue(kb_settings).record(
            text="x", kind="bogus", lang="zh", conversation_id="c", channel="rest", candidates=[]
        )
