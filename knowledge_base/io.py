"""Read and write FAQ files (CSV, JSONL, YAML, XLSX): one row per question variant; rows sharing an `id` are one entry.

Fields: id, category, lang, question, answer (and optionally status and tier). The answer may be given once per
language, on any row of that (id, lang); a row with an answer and an empty question adds only the answer. A row
with a `tier` (金卡, vip: the shop's own names) gives the answer for that tier's customers instead.
A file with any bad row is rejected whole, with line numbers and reasons.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.errors import ImportFileError

LANGS = ("zh", "en")
STATUSES = ("draft", "published", "archived")
FIELDS = ("id", "category", "lang", "question", "answer")
FORMATS = ("csv", "jsonl", "yaml", "xlsx")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MAX_QUESTION = 500
MAX_ANSWER = 5000
MAX_TIER = 32


@dataclass
class EntryData:
    """An entry as files and the store exchange it."""

    id: str
    category: str = "general"
    status: str = "published"
    answers: dict[str, str] = field(default_factory=dict)
    variants: dict[str, list[str]] = field(default_factory=dict)
    # The answer per customer tier and language, given instead of `answers` to that tier's customers.
    tier_answers: dict[str, dict[str, str]] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """A plain dict (revisions store these)."""
        data = {"id": self.id, "category": self.category, "status": self.status,
                "answers": dict(self.answers), "variants": {k: list(v) for k, v in self.variants.items() if v}}
        tiers = {tier: dict(texts) for tier, texts in sorted(self.tier_answers.items()) if any(texts.values())}
        if tiers:  # absent otherwise, so revisions written before tiers existed compare equal
            data["tier_answers"] = tiers
        return data

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> EntryData:
        """Inverse of snapshot()."""
        return cls(id=data["id"], category=data["category"], status=data["status"],
                   answers=dict(data["answers"]), variants={k: list(v) for k, v in data["variants"].items()},
                   tier_answers={t: dict(v) for t, v in (data.get("tier_answers") or {}).items()})


def _format_of(path: Path, fmt: str | None) -> str:
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    return normal_format(chosen, str(path))


def normal_format(fmt: str, name: str) -> str:
    """The canonical name of a file format (yml → yaml, ndjson → jsonl); ImportFileError if unknown."""
    chosen = {"yml": "yaml", "ndjson": "jsonl", "json": "jsonl"}.get(fmt.lower(), fmt.lower())
    if chosen not in FORMATS:
        raise ImportFileError(name, [f"unknown format {chosen!r}: use .csv, .jsonl, .yaml or .xlsx (or --format)"])
    return chosen


def _xlsx_rows(data: bytes, name: str) -> list[tuple[int, Any]]:
    """(row number, row) pairs from the first sheet; the first row names the columns."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a broken file
        raise ImportFileError(name, [f"file: not a readable XLSX workbook ({type(exc).__name__})"]) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        missing = [f for f in ("id", "lang", "question") if f not in header]
        if missing:
            raise ImportFileError(name, [f"row 1: header lacks column(s) {', '.join(missing)}"])
        out: list[tuple[int, Any]] = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            out.append((number, {h: v for h, v in zip(header, values, strict=False) if h}))
        return out
    finally:
        book.close()


def _raw_rows(text: str, fmt: str, name: str) -> list[tuple[int, Any]]:
    """(line number, row) pairs; syntax errors become ImportFileError."""
    if fmt == "jsonl":
        rows: list[tuple[int, Any]] = []
        problems = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON ({exc.msg})")
        if problems:
            raise ImportFileError(name, problems)
        return rows
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = [f for f in ("id", "lang", "question") if f not in (reader.fieldnames or [])]
        if missing:
            raise ImportFileError(name, [f"line 1: header lacks column(s) {', '.join(missing)}"])
        # The header is line 1; DictReader's line_num counts physical lines, so quoted newlines stay right.
        return [(reader.line_num, dict(row)) for row in reader]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise ImportFileError(name, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if isinstance(data, dict) and "entries" in data:
        data = data["entries"]
    if not isinstance(data, list):
        raise ImportFileError(name, ["file: expected a list of rows (or a mapping with `entries:`)"])
    return [(index + 1, row) for index, row in enumerate(data)]


def parse_rows(rows: Iterable[tuple[int, Any]], name: str) -> list[EntryData]:
    """Validate rows and group them into entries; raise ImportFileError listing every bad row."""
    problems: list[str] = []
    entries: dict[str, EntryData] = {}
    answer_line: dict[tuple[str, str], int] = {}
    for number, row in rows:
        where = f"line {number}" if name else f"row {number}"
        if not isinstance(row, dict):
            problems.append(f"{where}: expected an object with fields {', '.join(FIELDS)}")
            continue
        values = {k: ("" if row.get(k) is None else str(row.get(k)).strip()) for k in (*FIELDS, "status", "tier")}
        reasons = []
        if not ID_PATTERN.match(values["id"]):
            reasons.append("`id` must be 1–64 letters, digits, '_', '.' or '-'")
        if values["lang"] not in LANGS:
            reasons.append(f"`lang` must be one of {', '.join(LANGS)}, not {values['lang']!r}")
        if not values["question"] and not values["answer"]:
            reasons.append("`question` and `answer` are both empty")
        elif len(values["question"]) > MAX_QUESTION:
            reasons.append(f"`question` is longer than {MAX_QUESTION} characters")
        if len(values["answer"]) > MAX_ANSWER:
            reasons.append(f"`answer` is longer than {MAX_ANSWER} characters")
        if values["status"] and values["status"] not in STATUSES:
            reasons.append(f"`status` must be one of {', '.join(STATUSES)}")
        if len(values["tier"]) > MAX_TIER:
            reasons.append(f"`tier` is longer than {MAX_TIER} characters")
        elif values["tier"] and not values["answer"]:
            reasons.append("a `tier` row needs the tier's `answer`")
        if reasons:
            problems.append(f"{where}: {'; '.join(reasons)}")
            continue
        entry = entries.setdefault(values["id"], EntryData(id=values["id"], category=values["category"] or "general"))
        if values["category"] and values["category"] != entry.category:
            if entry.category == "general":
                entry.category = values["category"]
            else:
                problems.append(f"{where}: category {values['category']!r} differs from {entry.category!r} "
                                f"given earlier for {entry.id}")
        if values["status"]:
            entry.status = values["status"]
        lang = values["lang"]
        if values["tier"]:
            tier = entry.tier_answers.setdefault(values["tier"], {})
            if tier.get(lang, values["answer"]) != values["answer"]:
                problems.append(f"{where}: a different {lang} answer for tier {values['tier']!r} of {entry.id} "
                                "was given earlier")
            tier[lang] = values["answer"]
        elif values["answer"]:
            key = (entry.id, lang)
            if key in answer_line and entry.answers[lang] != values["answer"]:
                problems.append(f"{where}: a different {lang} answer for {entry.id} was given on line "
                                f"{answer_line[key]}")
            else:
                answer_line.setdefault(key, number)
                entry.answers[lang] = values["answer"]
        # A row with an answer and no question gives an answer in a language the entry has no variants in.
        if values["question"]:
            questions = entry.variants.setdefault(lang, [])
            if values["question"] not in questions:
                questions.append(values["question"])
    for entry in entries.values():
        if not entry.answers:
            problems.append(f"entry {entry.id}: no answer in any language")
        if not any(entry.variants.values()):
            problems.append(f"entry {entry.id}: no question in any language")
    if problems:
        raise ImportFileError(name, problems)
    return list(entries.values())


def read_file(path: Path, fmt: str | None = None) -> list[EntryData]:
    """Parse and validate a FAQ file."""
    chosen = _format_of(path, fmt)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(str(path), ["file not found"]) from None
    return read_bytes(data, chosen, str(path))


def read_bytes(data: bytes, fmt: str, name: str) -> list[EntryData]:
    """Parse and validate the content of a FAQ file (an upload, say) in a known format."""
    chosen = normal_format(fmt, name)
    if chosen == "xlsx":
        return parse_rows(_xlsx_rows(data, name), name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(name, [f"file: not UTF-8 text (byte {exc.start})"]) from None
    return parse_rows(_raw_rows(text, chosen, name), name)


def to_rows(entries: Iterable[EntryData]) -> list[dict[str, str]]:
    """Rows in file order: per entry and language, the answer on the first variant row."""
    rows = []
    for entry in entries:
        for lang in LANGS:
            for i, question in enumerate(entry.variants.get(lang, [])):
                rows.append({"id": entry.id, "category": entry.category, "lang": lang, "question": question,
                             "answer": entry.answers.get(lang, "") if i == 0 else "", "status": entry.status})
            if not entry.variants.get(lang) and entry.answers.get(lang):
                rows.append({"id": entry.id, "category": entry.category, "lang": lang, "question": "",
                             "answer": entry.answers[lang], "status": entry.status})
        for tier, texts in sorted(entry.tier_answers.items()):
            for lang in LANGS:
                if texts.get(lang):
                    rows.append({"id": entry.id, "category": entry.category, "lang": lang, "question": "",
                                 "answer": texts[lang], "status": entry.status, "tier": tier})
    return rows


def columns_of(rows: list[dict[str, str]]) -> list[str]:
    """The columns of a table export: the fields and status, and `tier` when any row has one."""
    return [*FIELDS, "status", *(["tier"] if any(r.get("tier") for r in rows) else [])]


def write_xlsx(rows: list[dict[str, str]]) -> bytes:
    """Rows as an XLSX workbook with one sheet, a header row and frozen panes."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("faq")
    sheet.freeze_panes = "A2"
    columns = columns_of(rows)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_bytes(rows: list[dict[str, str]], fmt: str) -> bytes:
    """Serialise rows in any supported format, as bytes (UTF-8 for the text formats)."""
    chosen = normal_format(fmt, "export")
    return write_xlsx(rows) if chosen == "xlsx" else write_rows(rows, chosen).encode("utf-8")


def write_rows(rows: list[dict[str, str]], fmt: str) -> str:
    """Serialise rows as csv, jsonl or yaml."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns_of(rows))
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    return str(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False))
