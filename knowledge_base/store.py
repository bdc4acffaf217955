"""The FAQ store: entries with answers and variants per language, a revision for every change, rollback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from kefu.db import unavailable_as
from knowledge_base.db import Answer, Entry, Revision, State, TierAnswer, Variant, session_factory
from knowledge_base.errors import EntryNotFoundError, KnowledgeBaseUnavailableError, StaleEditError
from knowledge_base.io import STATUSES, EntryData

VERSION_KEY = "index_version"


@dataclass
class ImportReport:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0

    def as_dict(self) -> dict[str, int]:
        """For --json output."""
        return dict(self.__dict__)


@dataclass
class RevisionInfo:
    """One row of an entry's history."""

    number: int
    author: str
    action: str
    at: datetime
    snapshot: dict[str, Any]


def _to_data(entry: Entry) -> EntryData:
    variants: dict[str, list[str]] = {}
    for variant in entry.variants:
        variants.setdefault(variant.lang, []).append(variant.text)
    tiers: dict[str, dict[str, str]] = {}
    for answer in entry.tier_answers:
        tiers.setdefault(answer.tier, {})[answer.lang] = answer.text
    return EntryData(id=entry.id, category=entry.category, status=entry.status,
                     answers={a.lang: a.text for a in entry.answers}, variants=variants, tier_answers=tiers)


# What reading an entry whole loads with it, in one query per relationship.
WHOLE = (selectinload(Entry.answers), selectinload(Entry.variants), selectinload(Entry.tier_answers))


def _newest_row(s: Session, entry_id: str) -> Row[int, str, datetime] | None:
    """(number, author, at) of the entry's newest revision, or None before its first."""
    return s.execute(select(Revision.number, Revision.author, Revision.at).where(Revision.entry_id == entry_id)
                     .order_by(Revision.number.desc()).limit(1)).first()


def _newest(s: Session, entry_id: str, base_revision: int | None) -> int:
    """The entry's newest revision number (0 before its first); StaleEditError if it is not base_revision."""
    latest = _newest_row(s, entry_id)
    if base_revision is not None and latest is not None and latest.number != base_revision:
        raise StaleEditError(_stale(entry_id, latest.author, latest.number, base_revision))
    return latest.number if latest else 0


def _stale(entry_id: str, author: str, number: int, base: int) -> str:
    return (f"{entry_id} was changed by {author} (revision {number}) since you opened it (revision {base}): "
            "reload it and apply your change again")


class KnowledgeStore:
    """Entries, their revisions and the published index version, in one SQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        with unavailable_as(KnowledgeBaseUnavailableError, "the knowledge base's database"):
            self._sessions = session_factory(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; database failures raise
        KnowledgeBaseUnavailableError."""
        with unavailable_as(KnowledgeBaseUnavailableError, "the knowledge base's database"), \
                self._sessions() as session, session.begin():
            yield session

    # -- reading -----------------------------------------------------------------------------------
    def get(self, entry_id: str) -> EntryData:
        """The entry, or EntryNotFoundError."""
        with self.session() as s:
            entry = s.get(Entry, entry_id, options=WHOLE)
            if entry is None:
                raise EntryNotFoundError(f"no FAQ entry {entry_id!r}")
            return _to_data(entry)

    def entries(self, status: str | None = None, category: str | None = None, lang: str | None = None,
             text: str | None = None) -> list[EntryData]:
        """Entries matching every filter given (text matches questions and answers), ordered by id."""
        with self.session() as s:
            query = select(Entry).options(*WHOLE).order_by(Entry.id)
            if status:
                query = query.where(Entry.status == status)
            if category:
                query = query.where(Entry.category == category)
            entries = [_to_data(e) for e in s.scalars(query)]
        if lang:
            entries = [e for e in entries if e.variants.get(lang) or e.answers.get(lang)]
        if text:
            needle = text.lower()
            entries = [e for e in entries if needle in e.id.lower()
                       or any(needle in q.lower() for qs in e.variants.values() for q in qs)
                       or any(needle in a.lower() for a in e.answers.values())]
        return entries

    def published_variants(self) -> list[tuple[str, str, str]]:
        """(entry id, lang, question) of every variant of every published entry."""
        with self.session() as s:
            rows = s.execute(
                select(Variant.entry_id, Variant.lang, Variant.text)
                .join(Entry, Entry.id == Variant.entry_id)
                .where(Entry.status == "published")
                .order_by(Variant.id)
            )
            return [(r[0], r[1], r[2]) for r in rows]

    def published_answers(self) -> dict[str, dict[str, str]]:
        """Answers per language of every published entry."""
        with self.session() as s:
            rows = s.execute(
                select(Answer.entry_id, Answer.lang, Answer.text)
                .join(Entry, Entry.id == Answer.entry_id)
                .where(Entry.status == "published")
            )
            answers: dict[str, dict[str, str]] = {}
            for entry_id, lang, text in rows:
                answers.setdefault(entry_id, {})[lang] = text
            return answers

    def published_tier_answers(self) -> dict[str, dict[str, dict[str, str]]]:
        """Per published entry, the answer of each customer tier that has one, per language."""
        with self.session() as s:
            rows = s.execute(select(TierAnswer.entry_id, TierAnswer.tier, TierAnswer.lang, TierAnswer.text)
                             .join(Entry, Entry.id == TierAnswer.entry_id).where(Entry.status == "published"))
            tiers: dict[str, dict[str, dict[str, str]]] = {}
            for entry_id, tier, lang, text in rows:
                tiers.setdefault(entry_id, {}).setdefault(tier, {})[lang] = text
            return tiers

    def stats(self) -> dict[str, Any]:
        """Counts by status, category and language."""
        entries = self.entries()
        published = [e for e in entries if e.status == "published"]
        return {
            "entries": len(entries),
            "by_status": dict(Counter(e.status for e in entries)),
            "by_category": dict(sorted(Counter(e.category for e in published).items())),
            "variants_by_lang": {lang: sum(len(e.variants.get(lang, [])) for e in published) for lang in ("zh", "en")},
            "answers_by_lang": {lang: sum(1 for e in published if lang in e.answers) for lang in ("zh", "en")},
            "index_version": self.version(),
        }

    def revisions(self, entry_id: str) -> list[RevisionInfo]:
        """The entry's history, oldest first."""
        with self.session() as s:
            rows = s.scalars(select(Revision).where(Revision.entry_id == entry_id).order_by(Revision.number))
            result = [RevisionInfo(r.number, r.author, r.action, r.at, r.snapshot) for r in rows]
        if not result:
            raise EntryNotFoundError(f"no history for FAQ entry {entry_id!r}")
        return result

    def latest_revisions(self) -> dict[str, tuple[int, str, datetime]]:
        """(number, author, time) of every entry's newest revision, in one query."""
        newest = (select(Revision.entry_id, func.max(Revision.number).label("number"))
                  .group_by(Revision.entry_id).subquery())
        with self.session() as s:
            rows = s.execute(select(Revision.entry_id, Revision.number, Revision.author, Revision.at)
                             .join(newest, (newest.c.entry_id == Revision.entry_id)
                                   & (newest.c.number == Revision.number)))
            return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def latest_revision(self, entry_id: str) -> tuple[int, str, datetime] | None:
        """(number, author, time) of one entry's newest revision, or None before its first."""
        with self.session() as s:
            row = _newest_row(s, entry_id)
            return (row[0], row[1], row[2]) if row else None

    def categories(self) -> list[str]:
        """Every category in use, sorted."""
        with self.session() as s:
            return sorted(c for c in s.scalars(select(Entry.category).distinct()) if c)

    # -- writing -----------------------------------------------------------------------------------
    def _write(self, s: Session, data: EntryData, author: str, action: str, base_revision: int | None = None) -> bool:
        """Make the stored entry equal to data; record a revision if anything changed."""
        if data.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        entry = s.get(Entry, data.id, options=WHOLE)
        if entry is not None and _to_data(entry).snapshot() == data.snapshot():
            _newest(s, data.id, base_revision)
            return False
        if entry is None:
            entry = Entry(id=data.id, author=author)
            s.add(entry)
        entry.category, entry.status, entry.author = data.category, data.status, author
        entry.answers = [Answer(lang=lang, text=text) for lang, text in data.answers.items() if text]
        entry.tier_answers = [TierAnswer(tier=tier.strip(), lang=lang, text=text)
                              for tier, texts in data.tier_answers.items() if tier.strip()
                              for lang, text in texts.items() if text]
        # Keep the rows of variants that stay, so ids (and cached vectors) are stable across edits.
        wanted = [(lang, q) for lang, qs in data.variants.items() for q in qs]
        kept = [v for v in entry.variants if (v.lang, v.text) in wanted]
        have = {(v.lang, v.text) for v in kept}
        entry.variants = kept + [Variant(lang=lang, text=q) for lang, q in wanted if (lang, q) not in have]
        # The flush takes the entry's row lock (the database's write lock on SQLite), so the newest revision read
        # next cannot change before this transaction ends: an edit based on an older one is refused here.
        s.flush()
        number = _newest(s, data.id, base_revision) + 1
        s.add(Revision(entry_id=data.id, number=number, author=author, action=action, snapshot=data.snapshot()))
        return True

    def save(self, data: EntryData, author: str, action: str = "edit", base_revision: int | None = None) -> bool:
        """Create or replace an entry; True if anything changed.

        With base_revision (the revision the editor opened), the save is refused with StaleEditError when the
        entry has a newer one. The check runs in the saving transaction after its write lock is taken; should two
        saves still race past it, both claim the same revision number and the unique (entry, number) key keeps one.
        """
        try:
            with self.session() as s:
                return self._write(s, data, author, action, base_revision)
        except IntegrityError as exc:
            if base_revision is None:
                raise
            newest = self.latest_revision(data.id)
            who, number = (newest[1], newest[0]) if newest else ("someone", base_revision + 1)
            raise StaleEditError(_stale(data.id, who, number, base_revision)) from exc

    def import_entries(self, entries: list[EntryData], author: str, replace: bool = False) -> ImportReport:
        """Merge entries into the store (new variants added, given answers replace old ones), in one transaction.

        With replace, each entry in the file replaces the stored one whole, and entries not in the file are
        archived (their history stays, so the old KB can be rolled back entry by entry).
        """
        report = ImportReport()
        with self.session() as s:
            existing = {e.id: _to_data(e) for e in s.scalars(select(Entry).options(*WHOLE))}
            for data in entries:
                old = existing.get(data.id)
                if old is not None and not replace:
                    variants = {lang: list(old.variants.get(lang, [])) for lang in {*old.variants, *data.variants}}
                    for lang, questions in data.variants.items():
                        variants[lang] += [q for q in questions if q not in variants[lang]]
                    tiers = {t: dict(v) for t, v in old.tier_answers.items()}
                    for tier, texts in data.tier_answers.items():
                        tiers.setdefault(tier, {}).update(texts)
                    data = EntryData(id=data.id, category=data.category or old.category, status=data.status,
                                     answers={**old.answers, **data.answers}, variants=variants, tier_answers=tiers)
                changed = self._write(s, data, author, "import" if old is None else "import-update")
                if old is None:
                    report.created += 1
                elif changed:
                    report.updated += 1
                else:
                    report.unchanged += 1
            if replace:
                incoming = {e.id for e in entries}
                for entry_id, old in existing.items():
                    if entry_id not in incoming and old.status != "archived":
                        old.status = "archived"
                        self._write(s, old, author, "import-replace-archive")
                        report.archived += 1
        return report

    def add_variants(self, entry_id: str, lang: str, questions: list[str], author: str) -> EntryData:
        """Add question variants to an entry (those it already has are skipped)."""
        data = self.get(entry_id)
        current = data.variants.setdefault(lang, [])
        current += [q for q in questions if q not in current]
        self.save(data, author, "add-variants")
        return data

    def set_status(self, entry_id: str, status: str, author: str) -> EntryData:
        """Publish, unpublish (draft) or archive an entry."""
        data = self.get(entry_id)
        data.status = status
        self.save(data, author, f"status-{status}")
        return data

    def rollback(self, entry_id: str, number: int, author: str) -> EntryData:
        """Restore the entry as it was at revision `number` (recorded as a new revision)."""
        target = next((r for r in self.revisions(entry_id) if r.number == number), None)
        if target is None:
            raise EntryNotFoundError(f"FAQ entry {entry_id!r} has no revision {number}")
        data = EntryData.from_snapshot(target.snapshot)
        self.save(data, author, f"rollback-to-{number}")
        return data

    def delete_all(self) -> None:
        """Remove every entry and revision (tests and `import --replace` on an empty start use this)."""
        with self.session() as s:
            s.execute(delete(Variant))
            s.execute(delete(Answer))
            s.execute(delete(TierAnswer))
            s.execute(delete(Entry))
            s.execute(delete(Revision))

    # -- published index version ---------------------------------------------------------------------
    def version(self) -> int:
        """The newest published index version (0 before the first build)."""
        with self.session() as s:
            row = s.get(State, VERSION_KEY)
            return int(row.value) if row else 0

    def next_version(self) -> int:
        """Reserve and return the next index version."""
        with self.session() as s:
            row = s.get(State, VERSION_KEY, with_for_update=True)
            if row is None:
                row = State(key=VERSION_KEY, value="0")
                s.add(row)
            row.value = str(int(row.value) + 1)
            return int(row.value)
