import time

import numpy as np
import pytest

from knowledge_base import service
from knowledge_base.answering import ANSWER, CLARIFY, UNRESOLVED, Thresholds, decide, pick_answer
from knowledge_base.errors import EmptyKnowledgeBaseError, IndexMissingError
from knowledge_base.index import FaqIndex, IndexMeta, current_version, make_faiss_index

T = Thresholds(answer=0.9, margin=0.02, clarify=0.85, window=0.04)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([0.95, 0.90], (ANSWER, 1)),
        ([0.95, 0.94, 0.93, 0.80], (CLARIFY, 3)),  # close candidates: ask which
        ([0.88, 0.86, 0.70], (CLARIFY, 2)),  # middling: clarify
        ([0.87], (CLARIFY, 1)),
        ([0.80, 0.79], (UNRESOLVED, 0)),
        ([], (UNRESOLVED, 0)),
    ],
)
def test_decide(scores, expected) -> None:
    assert decide(scores, T) == expected


def test_answer_in_the_customers_language_else_the_one_it_has() -> None:
    assert pick_answer({"zh": "中", "en": "en"}, "en") == ("en", "en")
    assert pick_answer({"zh": "中"}, "en") == ("中", "zh")
    assert pick_answer({"en": "only"}, None) == ("only", "en")


def test_flat_below_the_threshold_hnsw_above() -> None:
    vectors = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, kind = make_faiss_index(vectors, hnsw_min_vectors=1000)
    assert kind == "flat" and flat.ntotal == 300
    hnsw, kind = make_faiss_index(vectors, hnsw_min_vectors=100)
    assert kind == "hnsw"
    _, rows = hnsw.search(vectors[:5], 1)
    assert list(rows[:, 0]) == [0, 1, 2, 3, 4]


def test_index_files_are_versioned_and_current_moves_forward_only(tmp_path) -> None:
    vectors = np.eye(4, dtype=np.float32)
    for version in (2, 1):
        meta = IndexMeta(version, "m", "query", "", 0.0, ["a", "b", "c", "d"], ["zh"] * 4, list("wxyz"))
        FaqIndex.build(vectors, meta, 1000).save(tmp_path)
    assert current_version(tmp_path) == 2  # the older build finished last but does not win
    loaded = FaqIndex.load(tmp_path)
    assert loaded.version == 2 and len(loaded) == 4


def test_missing_index_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(IndexMissingError, match="build-index"):
        FaqIndex.load(tmp_path / "nowhere")


def test_empty_kb_cannot_be_published(settings, embedder) -> None:
    with pytest.raises(EmptyKnowledgeBaseError, match="import"):
        service.publish(settings)


def test_answers_paraphrases_and_crosses_languages(kb_settings) -> None:
    kb = service.knowledge_base(kb_settings)
    result = kb.ask("退货的邮费是谁付？", "zh")
    assert result.candidates[0].faq_id == "returns-fee"
    assert result.candidates[0].answer.startswith("七天无理由退货")
    # An English question finds the Chinese-only entry; the answer is in the language the entry has.
    cross = kb.ask("what documents do I need for a VAT special invoice", "en")
    assert cross.candidates[0].faq_id == "invoice-vat"
    assert cross.candidates[0].answer_lang == "zh"
    # And the other way round.
    assert kb.ask("我忘记密码了怎么办", "zh").candidates[0].faq_id == "password-reset"


def test_unrelated_question_is_unresolved(kb_settings) -> None:
    result = service.knowledge_base(kb_settings).ask("明天北京天气怎么样", "zh")
    assert result.decision == UNRESOLVED
    assert result.as_dict()["decision"] == "unresolved"


def test_a_running_searcher_swaps_in_a_new_version_without_reloading_per_request(kb_settings) -> None:
    kb = service.knowledge_base(kb_settings)
    kb.reload_check_s = 0.2
    first = kb.current()
    assert kb.current() is first  # no reload between checks
    store = service.store(kb_settings)
    store.add_variants("refund-time", "en", ["refund timing for my bank card"], "ops")
    service.publish(kb_settings)
    time.sleep(0.3)
    assert kb.current().version == first.version + 1
    assert "refund timing for my bank card" in kb.current().meta.questions


def test_onnx_query_path_gives_the_pytorch_vectors(embedder) -> None:
    graph = embedder.export_onnx()
    assert graph is not None and graph.exists()
    questions = ["退货运费谁出", "how long does a refund take", "发票 invoice 混合"]
    fast = embedder.encode(questions)
    slow = embedder.model.encode([embedder.prefix("query") + q for q in questions], normalize_embeddings=True)
    assert fast.shape == slow.shape
    assert float((fast * slow).sum(axis=1).min()) > 0.9999
