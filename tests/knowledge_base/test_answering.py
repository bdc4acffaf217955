import time

import numpy as np
import pytest

from knowledge_base import service
from knowledge_base.answering import (
    ANSWER,
    CLARIFY,
    UNRESOLVED,
    KnowledgeBase,
    Thresholds,
    decide,
    pick_answer,
    without_identifiers,
)
from knowledge_base.errors import EmptyKnowledgeBaseError, IndexMissingError
from knowledge_base.index import FaqIndex, IndexMeta, current_version, make_faiss_index
from knowledge_base.publish import language_gap

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


def test_language_gap_is_measured_on_the_bilingual_entries() -> None:
    # Entry a: two zh wordings 0.9 apart in cosine, one en wording 0.7 from both; entry b has zh only.
    zh1, zh2 = np.array([1.0, 0.0, 0.0]), np.array([0.9, np.sqrt(1 - 0.81), 0.0])
    en = np.array([0.7, 0.7 * (1 - 0.9) / np.sqrt(1 - 0.81), 0.0])
    en[2] = np.sqrt(1 - en[0] ** 2 - en[1] ** 2)
    vectors = np.vstack([zh1, zh2, en, [0.0, 0.0, 1.0]]).astype(np.float32)
    gap = language_gap(vectors, ["a", "a", "a", "b"], ["zh", "zh", "en", "zh"])
    # zh rows: best zh sibling 0.9, best en 0.7 → 0.2 each; the en row has no same-language sibling.
    assert gap == pytest.approx(0.2, abs=1e-3)
    assert language_gap(vectors[3:], ["b"], ["zh"]) == 0.0  # no bilingual entry: nothing to correct
    # Against answers: entry a's zh answer is zh1 itself, its en answer the en vector.
    answers = (np.vstack([zh1, en]).astype(np.float32), ["a", "a"], ["zh", "en"])
    # zh1: 1.0 − 0.7; zh2: 0.9 − 0.7; en: its own-language answer 1.0 − zh answer 0.7 → mean 0.3 − 0.0333…
    assert language_gap(vectors, ["a", "a", "a", "b"], ["zh", "zh", "en", "zh"], answers) == pytest.approx(
        (0.3 + 0.2 + 0.3) / 3, abs=1e-3)


def test_an_entry_without_the_questions_language_gets_the_gap_back(tmp_path) -> None:
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    meta = IndexMeta(1, "m", "query", "", 0.0, ["zh-only", "both", "both"], ["zh", "en", "zh"], ["x", "y", "z"],
                     {"zh-only": {"zh": "中"}, "both": {"zh": "中", "en": "en"}}, language_gap=0.25)
    FaqIndex.build(vectors, meta, 1000).save(tmp_path)

    class Fixed:
        fingerprint, model_name, onnx_queries = "m", "m", False

        def encode(self, texts, kind):
            return np.array([[0.8, 0.6]], dtype=np.float32)

    kb = KnowledgeBase(tmp_path, Fixed(), T)  # type: ignore[arg-type]
    assert FaqIndex.load(tmp_path).answer_vectors is None  # an index without answers: variants only
    # In English the zh-only entry scores 0.8 + 0.25 and passes "both" (0.96 on its en row).
    english = kb.ask("how", "en").candidates
    assert [c.faq_id for c in english] == ["zh-only", "both"]
    assert english[0].score == pytest.approx(0.8 + 0.25, abs=1e-3)
    # Asked in Chinese, the zh-only entry is in the question's language: no correction, and "both" leads.
    chinese = kb.ask("怎么", "zh").candidates
    assert [c.faq_id for c in chinese] == ["both", "zh-only"]
    assert chinese[1].score == pytest.approx(0.8, abs=1e-3)


def test_answer_similarity_is_folded_into_the_score(tmp_path) -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    answers = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    meta = IndexMeta(1, "m", "query", "", 0.0, ["a", "b"], ["en", "en"], ["x", "y"],
                     {"a": {"en": "A"}, "b": {"en": "B", "zh": "乙"}}, answer_entries=["a", "b", "b"],
                     answer_langs=["en", "en", "zh"], answer_language_gap=0.1)
    FaqIndex.build(vectors, meta, 1000, answers).save(tmp_path)
    loaded = FaqIndex.load(tmp_path)
    assert loaded.answer_vectors is not None and loaded.answer_rows == {"a": [0], "b": [1, 2]}

    class Fixed:
        fingerprint, model_name, onnx_queries = "m", "m", False

        def encode(self, texts, kind):
            return np.array([[0.8, 0.6]], dtype=np.float32)

    # Variants alone: a 0.8, b 0.6. With the answers at weight 1: a (0.8 + 0.6) / 2, b (0.6 + max(0.8, 0.96)) / 2.
    kb = KnowledgeBase(tmp_path, Fixed(), T, answer_weight=1.0)  # type: ignore[arg-type]
    candidates = kb.ask("q", "en").candidates
    assert [c.faq_id for c in candidates] == ["b", "a"]
    assert [round(c.score, 3) for c in candidates] == [0.78, 0.7]
    # Asked in Chinese both entries lack the language: each gets (0 + 1 × 0.1) / 2 back.
    assert [round(c.score, 3) for c in kb.ask("问", "zh").candidates] == [0.83, 0.75]
    assert KnowledgeBase(tmp_path, Fixed(), T).ask("q", "en").candidates[0].faq_id == "a"  # weight 0: off


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


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("这个问题怎么处理 48213", "这个问题怎么处理"),
        ("订单KF20231123018 怎么退货", "订单 怎么退货"),
        ("call 138-1234-5678 for help", "call for help"),
        ("满199减20怎么用", "满199减20怎么用"),  # prices and sizes are what is asked about
        ("size 42 exchange", "size 42 exchange"),
        ("2023112300012345", "2023112300012345"),  # nothing else: left as it is
    ],
)
def test_order_and_phone_numbers_are_left_out_of_the_query(text: str, query: str) -> None:
    assert without_identifiers(text) == query


def test_an_appended_order_number_changes_nothing(kb_settings) -> None:
    kb = service.knowledge_base(kb_settings)
    plain = kb.ask("退货的邮费是谁付？", "zh")
    for number in ("48213", "KF20231123018", "2023112300012345"):
        numbered = kb.ask(f"退货的邮费是谁付？{number}", "zh")
        assert numbered.query.endswith(number)  # the review queue keeps the customer's words
        assert (numbered.decision, [c.faq_id for c in numbered.candidates]) == (
            plain.decision, [c.faq_id for c in plain.candidates])
        assert numbered.candidates[0].score == pytest.approx(plain.candidates[0].score, abs=1e-6)


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
    from knowledge_base.onnx_query import INT8_FILE, OnnxQueryEncoder, int8_check, query_graph

    graph = embedder.export_onnx()
    assert graph is not None and graph.exists()
    questions = ["退货运费谁出", "how long does a refund take", "发票 invoice 混合"]
    prefixed = [embedder.prefix("query") + q for q in questions]
    slow = embedder.model.encode(prefixed, normalize_embeddings=True)
    # The fp32 graph is the PyTorch model and serves by default; the int8 copy stays within its check's floor of it.
    fp32 = OnnxQueryEncoder(graph, embedder.model.tokenizer, 512).encode(prefixed)
    assert float((fp32 * slow).sum(axis=1).min()) > 0.9999
    folder = graph.parent.parent
    check = int8_check(folder)
    assert check is not None and check["keep_int8"] and check["cosine_mean"] >= 0.99 and check["cosine_min"] >= 0.98
    assert query_graph(folder, int8=True) == folder / INT8_FILE
    int8 = OnnxQueryEncoder(folder / INT8_FILE, embedder.model.tokenizer, 512).encode(prefixed)
    assert float((int8 * slow).sum(axis=1).min()) > 0.98
    fast = embedder.encode(questions)
    assert fast.shape == slow.shape
    assert float((fast * slow).sum(axis=1).min()) > 0.9999


def test_questions_asked_together_get_what_each_gets_alone_in_its_own_language(kb_settings) -> None:
    kb = service.knowledge_base(kb_settings)
    questions = [("退货要付运费吗", "zh"), ("how long does a refund take", "en"), ("I forgot my password", None),
                 ("增值税专用发票要什么资料", "en")]
    together = kb.ask_many([t for t, _ in questions], langs=[lang for _, lang in questions])
    for (text, lang), batch in zip(questions, together, strict=True):
        alone = kb.ask(text, lang)
        assert (batch.decision, [c.faq_id for c in batch.candidates]) == (alone.decision,
                                                                        [c.faq_id for c in alone.candidates])
        assert [c.answer_lang for c in batch.candidates] == [c.answer_lang for c in alone.candidates]
        assert [c.score for c in batch.candidates] == pytest.approx([c.score for c in alone.candidates], abs=1e-5)
    with pytest.raises(ValueError, match="languages"):
        kb.ask_many(["a", "b"], langs=["zh"])
