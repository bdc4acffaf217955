"""Knowledge-base curation: entries (both languages, draft and published), history and rollback, import and
export, and a try-it box. Every change that touches a published entry republishes the index at once."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field, field_validator

from console.api.models import (
    EntriesOut,
    EntryRevisionOut,
    FollowUpOut,
    FollowUpReportOut,
    FollowUpsOut,
    ImportDoneOut,
    ImportPreviewOut,
    ImportProblemsOut,
    MetaOut,
    RevisionOut,
    SavedEntryOut,
    TryOut,
    errors,
)
from console.deps import CuratorDep, OpsDep, TrackerDep
from knowledge_base import follow_ups, io, service
from knowledge_base.errors import EntryNotFoundError
from knowledge_base.history import changes
from knowledge_base.io import EntryData

router = APIRouter(prefix="/api/kb", tags=["knowledge base"], responses=errors(401, 403))
Lang = Literal["zh", "en"]
Status = Literal["draft", "published", "archived"]
MAX_UPLOAD = 20 * 1024 * 1024
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8",
         "yaml": "application/yaml; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
IMPORT_422 = "A file with bad rows (each in `problems`), an empty file, or a bad query parameter."
Question = Annotated[str, Field(min_length=1, max_length=io.MAX_QUESTION)]


class EntryIn(BaseModel):
    """An entry as the editor sends it: answers and question variants per language."""

    id: str = Field(pattern=io.ID_PATTERN.pattern)
    category: str = Field(default="general", min_length=1, max_length=64)
    status: Status = "published"
    answers: dict[Lang, Annotated[str, Field(max_length=io.MAX_ANSWER)]] = Field(default_factory=dict)
    variants: dict[Lang, Annotated[list[Question], Field(max_length=500)]] = Field(default_factory=dict)
    # Per customer tier (the shop's names: 金卡, vip), the answer its customers get instead, per language.
    tier_answers: dict[Annotated[str, Field(min_length=1, max_length=io.MAX_TIER)],
                       dict[Lang, Annotated[str, Field(max_length=io.MAX_ANSWER)]]] = Field(
        default_factory=dict, max_length=20)
    # The revision the editor started from: saving over someone else's newer change is refused (409).
    base_revision: int | None = None

    @field_validator("answers")
    @classmethod
    def _answers(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {lang: text.strip() for lang, text in value.items() if text.strip()}
        if not cleaned:
            raise ValueError("give an answer in at least one language")
        return cleaned

    @field_validator("variants")
    @classmethod
    def _variants(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for lang, questions in value.items():
            for q in (q.strip() for q in questions):
                if q and q not in cleaned.setdefault(lang, []):
                    cleaned[lang].append(q)
        cleaned = {lang: qs for lang, qs in cleaned.items() if qs}
        if not cleaned:
            raise ValueError("give at least one question")
        return cleaned

    @field_validator("tier_answers")
    @classmethod
    def _tier_answers(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        cleaned: dict[str, dict[str, str]] = {}
        for tier, texts in value.items():
            name = tier.strip()
            answers = {str(lang): text.strip() for lang, text in texts.items() if text.strip()}
            if not name:
                raise ValueError("a tier's answer needs the tier's name")
            if not answers:
                raise ValueError(f"give tier {name!r} an answer in at least one language, or remove it")
            if name.casefold() in (t.casefold() for t in cleaned):
                raise ValueError(f"tier {name!r} is given twice")
            cleaned[name] = answers
        return cleaned

    def data(self) -> EntryData:
        """The store's form."""
        return EntryData(id=self.id, category=self.category.strip(), status=self.status,
                         answers={str(k): v for k, v in self.answers.items()},
                         variants={str(k): list(v) for k, v in self.variants.items()},
                         tier_answers={tier: {str(lang): text for lang, text in texts.items()}
                                       for tier, texts in self.tier_answers.items()})


class StatusIn(BaseModel):
    """Publish, unpublish (draft) or archive."""

    status: Status


class RollbackIn(BaseModel):
    """Which revision to restore."""

    number: int = Field(ge=1)


class TryIn(BaseModel):
    """A question to try against the published knowledge base."""

    text: str = Field(min_length=1, max_length=io.MAX_QUESTION)
    lang: Lang | None = None


def _summary(entry: EntryData, latest: tuple[int, str, Any] | None) -> dict[str, Any]:
    return {
        "id": entry.id, "category": entry.category, "status": entry.status,
        "questions": {lang: len(entry.variants.get(lang, [])) for lang in io.LANGS},
        "title": {lang: (entry.variants.get(lang) or [""])[0] for lang in io.LANGS},
        "answers": {lang: entry.answers.get(lang, "")[:140] for lang in io.LANGS},
        "revision": latest[0] if latest else None, "author": latest[1] if latest else None,
        "updated_at": latest[2].replace(tzinfo=latest[2].tzinfo or UTC).isoformat() if latest else None,
    }


@router.get("/meta", response_model=MetaOut)
def read_meta(user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Counts, categories, the published index version, the review queue's size, and the embedder's drift."""
    return {**curator.store.stats(), "categories": curator.store.categories(),
            "review": curator.queue.counts(), "formats": list(io.FORMATS),
            "embedder": service.tuning_drift(curator.settings)}


@router.get("/entries", response_model=EntriesOut)
def read_entries(user: OpsDep, curator: CuratorDep, q: str | None = None, category: str | None = None,
                 lang: Lang | None = None, status: Status | None = None,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> dict[str, Any]:
    """Entries matching every filter given; `q` searches ids, questions and answers."""
    entries = curator.store.entries(status=status, category=category, lang=lang, text=q)
    latest = curator.store.latest_revisions()
    return {"total": len(entries), "entries": [_summary(e, latest.get(e.id)) for e in entries[:limit]]}


@router.get("/entries/{entry_id}", response_model=EntryRevisionOut, responses=errors(404))
def read_entry(entry_id: str, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """One entry whole, with the number of its newest revision (send it back as base_revision when saving)."""
    entry = curator.store.get(entry_id)
    latest = curator.store.latest_revision(entry_id)
    return {**entry.snapshot(), "revision": latest[0] if latest else None}


def _saved(curator: CuratorDep, entry: EntryData, was_published: bool) -> dict[str, Any]:
    latest = curator.store.latest_revision(entry.id)
    result: dict[str, Any] = {"entry": {**entry.snapshot(), "revision": latest[0] if latest else None}}
    if was_published or entry.status == "published":
        result.update(curator.publish())
    return result


# The publish fields are there only when a publish ran: keys the dict lacks stay out of the JSON.
@router.post("/entries", status_code=status.HTTP_201_CREATED, response_model=SavedEntryOut,
             response_model_exclude_unset=True, responses=errors(409))
def create_entry(body: EntryIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """A new entry; 409 if the id is taken."""
    try:
        curator.store.get(body.id)
    except EntryNotFoundError:
        pass
    else:
        raise HTTPException(status.HTTP_409_CONFLICT, f"an entry {body.id!r} exists already")
    entry = body.data()
    curator.store.save(entry, user["username"], "create")
    return _saved(curator, entry, False)


@router.put("/entries/{entry_id}", response_model=SavedEntryOut, response_model_exclude_unset=True,
            responses=errors(404, 409))
def update_entry(entry_id: str, body: EntryIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Replace an entry's category, status, answers and questions (both languages at once)."""
    if body.id != entry_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the id in the body differs from the URL's")
    old = curator.store.get(entry_id)
    entry = body.data()
    curator.store.save(entry, user["username"], "edit", base_revision=body.base_revision)
    return _saved(curator, entry, old.status == "published")


@router.post("/entries/{entry_id}/status", response_model=SavedEntryOut, response_model_exclude_unset=True,
             responses=errors(404))
def update_status(entry_id: str, body: StatusIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Publish, unpublish or archive an entry."""
    old = curator.store.get(entry_id)
    entry = curator.store.set_status(entry_id, body.status, user["username"])
    return _saved(curator, entry, old.status == "published")


@router.get("/entries/{entry_id}/revisions", response_model=list[RevisionOut], responses=errors(404))
def read_revisions(entry_id: str, user: OpsDep, curator: CuratorDep) -> list[dict[str, Any]]:
    """The entry's history, newest first, each revision with what it changed."""
    revisions = curator.store.revisions(entry_id)
    out = []
    previous: dict[str, Any] | None = None
    for r in revisions:
        out.append({"number": r.number, "author": r.author, "action": r.action,
                    "at": r.at.replace(tzinfo=r.at.tzinfo or UTC).isoformat(), "snapshot": r.snapshot,
                    "changes": changes(previous, r.snapshot)})
        previous = r.snapshot
    return out[::-1]


@router.post("/entries/{entry_id}/rollback", response_model=SavedEntryOut, response_model_exclude_unset=True,
             responses=errors(404, 409))
def rollback_entry(entry_id: str, body: RollbackIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """Restore the entry as it was at a revision (recorded as a new revision)."""
    old = curator.store.get(entry_id)
    entry = curator.store.rollback(entry_id, body.number, user["username"])
    return _saved(curator, entry, old.status == "published")


class SwitchIn(BaseModel):
    """Offer a follow-up suggestion after its entry's answer, or not."""

    enabled: bool


def _follow_up(curator: CuratorDep, found: follow_ups.Suggestion, offered: dict[str, list[str]],
               titles: dict[str, dict[str, str]]) -> dict[str, Any]:
    if found.next_id not in titles:
        try:
            variants = curator.store.get(found.next_id).variants
            titles[found.next_id] = {lang: qs[0] for lang, qs in variants.items() if qs}
        except EntryNotFoundError:
            titles[found.next_id] = {}
    return {**found.as_dict(), "offered": found.next_id in offered.get(found.entry_id, []),
            "titles": titles[found.next_id]}


@router.get("/follow-ups", response_model=FollowUpsOut)
def read_follow_ups(user: OpsDep, curator: CuratorDep, entry_id: str | None = None) -> dict[str, Any]:
    """The follow-up questions learned from the conversations (of one entry), most frequent first."""
    found = follow_ups.suggestions(curator.store, entry_id)
    offered = follow_ups.offered(curator.store)
    titles: dict[str, dict[str, str]] = {}
    thresholds = follow_ups.Thresholds.from_settings(curator.settings)
    return {"suggestions": [_follow_up(curator, f, offered, titles) for f in found],
            "min_count": thresholds.min_count, "min_share": thresholds.min_share, "days": thresholds.days}


@router.post("/follow-ups/recompute", response_model=FollowUpReportOut, responses=errors(503))
def recompute_follow_ups(user: OpsDep, curator: CuratorDep, events: TrackerDep) -> dict[str, Any]:
    """Count again what customers asked next after each entry, over the stored conversations (ops' switches
    stay)."""
    return follow_ups.recompute(curator.store, events, follow_ups.Thresholds.from_settings(curator.settings))


@router.put("/follow-ups/{entry_id}/{next_id}", response_model=FollowUpOut, responses=errors(404))
def switch_follow_up(entry_id: str, next_id: str, body: SwitchIn, user: OpsDep,
                     curator: CuratorDep) -> dict[str, Any]:
    """Switch one suggestion on or off; the bot follows within seconds."""
    found = follow_ups.switch(curator.store, entry_id, next_id, body.enabled, str(user["username"]))
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no follow-up {next_id} after {entry_id}")
    return _follow_up(curator, found, follow_ups.offered(curator.store), {})


@router.post("/import", response_model=ImportPreviewOut | ImportDoneOut, response_model_exclude_unset=True,
             responses={**errors(413), 422: {"model": ImportProblemsOut, "description": IMPORT_422}})
async def import_entries(request: Request, user: OpsDep, curator: CuratorDep,
                         format: Annotated[str, Query(pattern=r"^(csv|jsonl|ndjson|yaml|yml|xlsx)$")],
                         filename: str = "upload", replace: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """Import the request body (a CSV, JSONL, YAML or XLSX file); a file with bad rows is refused whole (422,
    with every bad row named). `dry_run` validates only; `replace` archives entries the file lacks."""
    body = await request.body()
    if len(body) > MAX_UPLOAD:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {MAX_UPLOAD >> 20} MiB")
    if not body:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the file is empty")
    entries = io.read_bytes(body, format, filename[:200])
    variants = sum(len(q) for e in entries for q in e.variants.values())
    summary = {"file": filename, "entries": len(entries), "variants": variants, "dry_run": dry_run}
    if dry_run:
        known = {e.id for e in curator.store.entries()}
        return {**summary, "new": sum(e.id not in known for e in entries),
                "existing": sum(e.id in known for e in entries)}
    report = curator.store.import_entries(entries, user["username"], replace=replace)
    return {**summary, **report.as_dict(), **curator.publish()}


@router.get("/export", response_class=Response,
            responses={200: {"description": "The file.", "content": {media: {} for media in MEDIA.values()}}})
def export_entries(user: OpsDep, curator: CuratorDep,
                   format: Annotated[str, Query(pattern=r"^(csv|jsonl|yaml|xlsx)$")] = "csv",
                   status_: Annotated[Status | None, Query(alias="status")] = None) -> Response:
    """Every entry (or those of one status) in the import format, as a download that imports back unchanged."""
    entries = curator.store.entries(status=status_)
    data = io.write_bytes(io.to_rows(entries), format)
    name = f"kefu-faq{'-' + status_ if status_ else ''}.{format}"
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/try", response_model=TryOut, responses=errors(503))
def try_question(body: TryIn, user: OpsDep, curator: CuratorDep) -> dict[str, Any]:
    """What the bot would answer now: decision, candidates with scores, and the reply."""
    return curator.try_question(body.text.strip(), body.lang)
