"""knowledge_base/service.py and the action server's client: one embedder and one searcher per process, even when
a server's warm-up and its first requests ask at the same moment (each would load the model again otherwise)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from actions.clients import kb as kb_client
from knowledge_base import service


def test_threads_asking_at_once_share_one_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    class SlowEmbedder:
        def __init__(self, model: str, onnx_queries: bool = True, int8: bool = True) -> None:
            built.append(model)
            time.sleep(0.2)  # long enough for every thread to ask before the first is built

    monkeypatch.setattr(service, "Embedder", SlowEmbedder)
    service.clear_embedders()
    try:
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda _: service.embedder("some-model"), range(4)))
        assert built == ["some-model"]
        assert all(e is got[0] for e in got)
    finally:
        service.clear_embedders()


def test_the_action_servers_warm_up_and_first_requests_share_one_searcher(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    gate = threading.Barrier(4)

    def slow_build() -> object:
        built.append(object())
        time.sleep(0.2)
        return built[-1]

    monkeypatch.setattr(service, "knowledge_base", slow_build)
    kb_client._knowledge_base.cache_clear()
    try:
        def ask(_: int) -> Any:
            gate.wait()
            return kb_client.knowledge_base()

        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(ask, range(4)))
        assert len(built) == 1 and all(k is built[0] for k in got)
    finally:
        kb_client._knowledge_base.cache_clear()


def test_a_question_asked_while_the_query_graph_loads_waits_for_it_instead_of_loading_pytorch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kefu.config import get_settings
    from knowledge_base import embedder as embedding

    folder = get_settings().kb_model_path
    probe = embedding.Embedder(folder)
    if not probe.onnx_graph_is_fresh():
        pytest.skip("no ONNX query graph: make kb")

    class SlowGraph:
        def __init__(self, *args: Any) -> None:
            time.sleep(0.3)  # the warm-up thread is still setting it up when the first request asks

    monkeypatch.setattr(embedding, "OnnxQueryEncoder", SlowGraph)
    monkeypatch.setattr(embedding, "FileTokenizer", lambda *args: None)
    warm = embedding.Embedder(folder)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(warm._query_encoder)
        time.sleep(0.05)
        second = pool.submit(warm._query_encoder)
        assert isinstance(first.result(), SlowGraph)
        assert second.result() is first.result()  # not None: None sends the question to PyTorch
    assert warm._model is None


def test_the_action_server_asks_what_it_has_not_just_seen_in_one_batch(kb_settings, monkeypatch) -> None:
    from actions.clients import kb as kb_client
    from knowledge_base import service as kb_service

    searcher = kb_service.knowledge_base(kb_settings)
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: searcher)
    monkeypatch.setattr(kb_client, "_recent", type(kb_client._recent)())
    batches: list[list[str]] = []
    ask_many = searcher.ask_many

    def counted(texts, lang=None, langs=None):
        batches.append(list(texts))
        return ask_many(texts, lang, langs)

    monkeypatch.setattr(searcher, "ask_many", counted)
    first = kb_client.ask("退货要付运费吗", "zh")
    results = kb_client.ask_each([("退货要付运费吗", "zh"), ("how long does a refund take", "en"),
                                  ("退货要付运费吗", "en"), ("how long does a refund take", "en")])
    assert batches == [["退货要付运费吗"], ["how long does a refund take", "退货要付运费吗"]]
    assert results[0] is first and results[1] is results[3]  # the recent result, and one search per question
    assert [r.candidates[0].faq_id for r in results] == ["returns-fee", "refund-time", "returns-fee", "refund-time"]
    assert results[2].candidates[0].answer_lang == "en" and first.candidates[0].answer_lang == "zh"
