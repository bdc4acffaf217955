import threading

import pytest

from knowledge_base.errors import EntryNotFoundError, StaleEditError
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


def test_an_edit_based_on_an_older_revision_is_refused_and_changes_nothing(store: KnowledgeStore) -> None:
    store.save(entry(), "olga")
    store.save(entry(answers={"zh": "新答案"}), "li", base_revision=1)
    with pytest.raises(StaleEditError, match=r"changed by li \(revision 2\).*\(revision 1\)"):
        store.save(entry(answers={"zh": "另一个答案"}), "olga", base_revision=1)
    assert store.get("e-1").answers == {"zh": "新答案"}
    assert [r.number for r in store.revisions("e-1")] == [1, 2]


def test_two_editors_saving_from_the_same_revision_at_once_keep_exactly_one_edit(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/kb.db"
    KnowledgeStore(url).save(entry(), "olga")
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(author: str) -> None:
        editor = KnowledgeStore(url)  # each editor on its own connection pool, as two console workers would be
        start.wait()
        try:
            outcomes[author] = editor.save(entry(answers={"zh": f"{author}的答案"}), author, base_revision=1)
        except StaleEditError as exc:
            outcomes[author] = exc

    threads = [threading.Thread(target=edit, args=(a,)) for a in ("li", "wang")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [a for a, o in outcomes.items() if o is True]
    losers = [o for o in outcomes.values() if isinstance(o, StaleEditError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    store = KnowledgeStore(url)
    assert store.get("e-1").answers == {"zh": f"{winners[0]}的答案"}
    assert [(r.number, r.author) for r in store.revisions("e-1")] == [(1, "olga"), (2, winners[0])]


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


def test_tier_answers_are_stored_revised_merged_and_published(store: KnowledgeStore) -> None:
    data = entry()
    data.tier_answers = {"金卡": {"zh": "金卡会员免运费"}}
    assert store.save(data, "ops")
    assert store.get("e-1").tier_answers == {"金卡": {"zh": "金卡会员免运费"}}
    assert store.published_tier_answers() == {"e-1": {"金卡": {"zh": "金卡会员免运费"}}}
    assert store.revisions("e-1")[-1].snapshot["tier_answers"] == {"金卡": {"zh": "金卡会员免运费"}}
    # An import adds a tier's other language and keeps what the file does not name.
    more = entry()
    more.tier_answers = {"金卡": {"en": "Free for gold members"}, "vip": {"zh": "VIP 专线"}}
    store.import_entries([more], "ops")
    assert store.get("e-1").tier_answers == {"金卡": {"zh": "金卡会员免运费", "en": "Free for gold members"},
                                             "vip": {"zh": "VIP 专线"}}
    store.rollback("e-1", 1, "ops")  # back to the first revision: one tier, one language
    assert store.get("e-1").tier_answers == {"金卡": {"zh": "金卡会员免运费"}}
    data.tier_answers = {}
    store.save(data, "ops")
    assert store.published_tier_answers() == {} and "tier_answers" not in store.revisions("e-1")[-1].snapshot
