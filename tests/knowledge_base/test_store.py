import pytest

from knowledge_base.errors import EntryNotFoundError
from knowledge_base.io import EntryData
from knowledge_base.store import KnowledgeStore


@pytest.fixture
def store(tmp_path) -> KnowledgeStore:
    return KnowledgeStore(f"sqlite:///{tmp_path}/kb.db")


def entry(variants=None, answers=None, **kw) -> EntryData:
    return EntryData(
        "e-1",
        kw.get("category", "orders"),
        answers=answers or {"zh": "答案"},
        variants=variants or {"zh": ["问题一"]},
        status=kw.get("status", "published"),
    )


def test_import_merges_and_replace_archives_the_rest(store: KnowledgeStore) -> None:
    report = store.import_entries(
        [entry(), EntryData("e-2", "x", answers={"en": "A"}, variants={"en": ["Q"]})], "ops"
    )
    assert (report.created, report.updated) == (2, 0)
    report = store.import_entries([entry(variants={"zh": ["问题二"]}, answers={"en": "Answer"})], "ops")
    assert report.updated == 1
    merged = store.get("e-1")
    assert merged.variants == {"zh": ["问题一", "问题二"]}
    assert merged.answers == {"zh": "答案", "en": "Answer"}
    assert store.import_entries([merged], "ops").unchanged == 1

    report = store.import_entries([entry()], "ops", replace=True)
    assert (report.updated, report.archived) == (1, 1)
    assert store.get("e-1").variants == {"zh": ["问题一"]}
    assert store.get("e-2").status == "archived"
    assert [e.id for e in store.entries(status="published")] == ["e-1"]


def test_every_change_is_a_revision_and_any_revision_can_be_restored(store: KnowledgeStore) -> None:
    store.save(entry(), "alice", "create")
    store.add_variants("e-1", "en", ["where is my parcel"], "bob")
    store.set_status("e-1", "draft", "carol")
    history = store.revisions("e-1")
    assert [(r.number, r.author, r.action) for r in history] == [
        (1, "alice", "create"),
        (2, "bob", "add-variants"),
        (3, "carol", "status-draft"),
    ]
    restored = store.rollback("e-1", 1, "dave")
    assert restored.variants == {"zh": ["问题一"]} and restored.status == "published"
    assert store.get("e-1").snapshot() == history[0].snapshot
    assert store.revisions("e-1")[-1].action == "rollback-to-1"
    with pytest.raises(EntryNotFoundError):
        store.rollback("e-1", 99, "dave")


def test_saving_the_same_content_records_nothing(store: KnowledgeStore) -> None:
    assert store.save(entry(), "a") is True
    assert store.save(entry(), "a") is False
    assert len(store.revisions("e-1")) == 1


def test_published_variants_and_answers_skip_drafts(store: KnowledgeStore) -> None:
    store.save(entry(), "a")
    store.save(
        EntryData("d-1", "x", status="draft", answers={"zh": "草稿"}, variants={"zh": ["草稿问题"]}), "a"
    )
    assert store.published_variants() == [("e-1", "zh", "问题一")]
    assert store.published_answers() == {"e-1": {"zh": "答案"}}


def test_versions_increase(store: KnowledgeStore) -> None:
    assert store.version() == 0
    assert [store.next_version(), store.next_version()] == [1, 2]
    assert store.version() == 2


def test_filters(store: KnowledgeStore) -> None:
    store.save(entry(), "a")
    store.save(
        EntryData("e-2", "account", answers={"en": "Reset it"}, variants={"en": ["forgot password"]}), "a"
    )
    assert [e.id for e in store.entries(category="account")] == ["e-2"]
    assert [e.id for e in store.entries(lang="zh")] == ["e-1"]
    assert [e.id for e in store.entries(text="PASSWORD")] == ["e-2"]
    with pytest.raises(EntryNotFoundError):
        store.get("missing")
