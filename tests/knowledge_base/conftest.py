"""A small bilingual KB in a temporary store, with the real embedding model (loaded once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.config import Settings, get_settings
from knowledge_base import service
from knowledge_base.embedder import Embedder
from knowledge_base.io import EntryData

# The model the product uses: the KB-tuned one once `make kb` has made it, else the converted base model.
MODEL = Path(get_settings().kb_model_path)

ENTRIES = [
    EntryData(
        "returns-fee",
        "returns",
        answers={
            "zh": "七天无理由退货运费¥10，质量问题由我们承担。",
            "en": "No-reason returns cost ¥10; we pay for quality issues.",
        },
        variants={
            "zh": ["退货运费谁出", "退货要付运费吗", "退回去邮费谁承担"],
            "en": ["who pays return shipping", "do I pay postage for a return"],
        },
    ),
    EntryData(
        "refund-time",
        "returns",
        answers={"zh": "退款1–3个工作日原路退回。", "en": "Refunds take 1–3 business days."},
        variants={
            "zh": ["退款多久到账", "钱什么时候退回来"],
            "en": ["how long does a refund take", "when do I get my money back"],
        },
    ),
    EntryData(
        "invoice-vat",
        "invoices",
        answers={"zh": "增值税专用发票需要公司名称、税号、地址电话和开户行。"},
        variants={"zh": ["增值税专用发票要什么资料", "开专票需要提供哪些信息"]},
    ),
    EntryData(
        "password-reset",
        "account",
        answers={"en": "Tap Forgot password on the login page."},
        variants={"en": ["how do I reset my password", "I forgot my password"]},
    ),
]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    if not MODEL.exists():
        pytest.fail(
            "the embedding model is missing: run `make kb` (or `python -m knowledge_base setup-model`)"
        )
    return service.embedder(str(MODEL))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        kb_database_url=f"sqlite:///{tmp_path}/kb.db",
        kb_index_dir=tmp_path / "index",
        kb_embedding_model=str(MODEL),
    )


@pytest.fixture
def kb_settings(settings: Settings, embedder: Embedder) -> Iterator[Settings]:
    """Settings whose store holds ENTRIES and whose index is published."""
    service.store(settings).import_entries(
        [EntryData.from_snapshot(e.snapshot()) for e in ENTRIES], author="test"
    )
    service.publish(settings)
    yield settings
